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

// Sarathi-Serve: every decode rides in every iteration; prompt chunks fill the budget.
export function schedule(state: SchedulerState): Batch {
  const decodes = state.running.filter((r) => r.prefilled === r.promptLen).map((r) => r.id);
  let room = state.tokenBudget - decodes.length;
  const prefill: Batch['prefill'] = [];
  // First come, first served: admitted prompts, then waiting ones while the KV cache has room.
  for (const r of state.running) {
    const left = r.promptLen - r.prefilled;
    if (room <= 0) break;
    if (left === 0) continue;
    const tokens = Math.min(left, room);
    prefill.push({ id: r.id, tokens });
    room -= tokens;
  }
  let running = state.running.length;
  for (const w of state.waiting) {
    if (room <= 0 || running >= state.maxRunning) break;
    const tokens = Math.min(w.promptLen, room);
    prefill.push({ id: w.id, tokens });
    room -= tokens;
    running++;
  }
  return { prefill, decodes };
}
