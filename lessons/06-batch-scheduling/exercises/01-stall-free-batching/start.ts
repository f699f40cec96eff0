// What your scheduler sees before every iteration (copies: changing them changes nothing).
interface RunningRequest {
  id: number;
  arrivalMs: number;
  promptLen: number;
  outputLen: number;
  // Prompt tokens processed; the request decodes once this reaches promptLen.
  prefilled: number;
  // Output tokens so far.
  generated: number;
}
interface WaitingRequest {
  id: number;
  arrivalMs: number;
  promptLen: number;
  outputLen: number;
}
interface SchedulerState {
  nowMs: number;
  // Most tokens (decodes + prompt tokens) one iteration may process.
  tokenBudget: number;
  // Most requests running at once (the KV cache's room).
  maxRunning: number;
  // Admitted, in the order they were admitted.
  running: RunningRequest[];
  // Arrived, not admitted, in arrival order.
  waiting: WaitingRequest[];
}
// What it returns: prompt tokens per request (naming a waiting request admits it),
// and the requests that decode one token each.
interface Batch {
  prefill: { id: number; tokens: number }[];
  decodes: number[];
}

// Prefill-first: while any prompt waits, prefill whole prompts and let every decode wait.
export function schedule(state: SchedulerState): Batch {
  const room = state.maxRunning - state.running.length;
  const admitted = state.waiting.slice(0, Math.max(0, room));
  const prefill = [
    ...state.running
      .filter((r) => r.prefilled < r.promptLen)
      .map((r) => ({ id: r.id, tokens: r.promptLen - r.prefilled })),
    ...admitted.map((w) => ({ id: w.id, tokens: w.promptLen })),
  ];
  if (prefill.length > 0) return { prefill, decodes: [] };
  return { prefill: [], decodes: state.running.map((r) => r.id) };
}
