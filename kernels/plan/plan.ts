import { AttentionInputError } from '../errors.ts';
import { causalKeyEnd, type BatchShape } from '../formats/batch.ts';
import { SpanAttention } from '../formats/bsr.ts';
import type { AttentionState } from '../formats/merge.ts';
import type { AttentionArgs } from '../types.ts';

/** What the scheduler needs of a batch: per request its query and key counts, and the query heads. */
export interface PlanBatch {
  qoLens: readonly number[];
  kvLens: readonly number[];
  numQoHeads: number;
  /** Causal: query i of a request sees keys up to kvLen − qoLen + i, so a query tile costs only the keys its last row sees. */
  causal?: boolean;
}

/** The batch fields `plan()` reads, as `checkAttentionArgs` returns them. */
export type PlanShape = Pick<BatchShape, 'batchSize' | 'qoIndptr' | 'kvLens' | 'numQoHeads'> & Partial<Pick<BatchShape, 'causal'>>;

export function planBatch(shape: PlanShape): PlanBatch {
  return {
    qoLens: Array.from({ length: shape.batchSize }, (_, b) => shape.qoIndptr[b + 1] - shape.qoIndptr[b]),
    kvLens: Array.from(shape.kvLens),
    numQoHeads: shape.numQoHeads,
    causal: shape.causal ?? false,
  };
}

/** Keys `[0, end)` the last of a request's first `rows` queries sees (all of them unless causal). */
function visibleEnd(batch: PlanBatch, request: number, rows: number): number {
  const kvLen = batch.kvLens[request];
  return batch.causal ? causalKeyEnd(batch.qoLens[request], kvLen, rows) : kvLen;
}

/**
 * The cost of rows `[qoStart, qoEnd)` of a request against keys `[kvStart, kvEnd)`: `itemCost`
 * with each query tile counting only the keys it sees (causal requests), so a tile above the
 * diagonal of a causal prefill costs what its kernel reads rather than the whole chunk.
 */
function spanCost(batch: PlanBatch, request: number, qoStart: number, qoEnd: number, kvStart: number, kvEnd: number, qoTile: number, overhead: number): number {
  if (!batch.causal) return itemCost(qoEnd - qoStart, kvEnd - kvStart, qoTile, overhead);
  let keys = 0;
  for (let q0 = qoStart; q0 < qoEnd; q0 += qoTile) {
    keys += Math.max(0, Math.min(kvEnd, visibleEnd(batch, request, Math.min(qoEnd, q0 + qoTile))) - kvStart);
  }
  return qoEnd > qoStart ? keys + 2 * (qoEnd - qoStart) + overhead : 0;
}

/** What the scheduler needs of the device. */
export interface PlanDevice {
  /**
   * Workgroups the device runs at once, each taking the items the plan gives it. WebGPU does not
   * report a GPU's compute units, so the engine takes this from a setting (`planWorkgroups`).
   */
  workgroups: number;
  /**
   * Items the device streams at full speed at the same time (default: `workgroups`). A GPU that
   * hosts more workgroups than its memory can feed at one workgroup's full rate shares its
   * bandwidth among them: then the whole batch's cost divided by this number bounds the time as
   * well as the busiest slot does (see `predictedTime`).
   */
  concurrency?: number;
}

export interface PlanOptions {
  /** Keys per chunk. Left out, the planner tries powers of two from `minChunk` and keeps the best. */
  chunk?: number;
  /** Smallest chunk the search tries (default 256): below it the merge costs more than the parallelism gains. */
  minChunk?: number;
  /** Query rows one item covers (default 64, the rows of the tiled prefill kernel). */
  qoTile?: number;
  /**
   * Query heads one item covers (default 1; must divide numQoHeads). The decode kernel runs the
   * query heads that share a KV head together so they share each key and value load
   * (`decodeHeads(group)` of them): its plans are made at that granularity.
   */
  itemHeads?: number;
  /**
   * A fixed cost every item pays on top of its keys and rows, in the same units (default 0): its
   * start-up and its write-out (loading the queries, waiting for the first keys, merging its
   * threads' states). With it, splitting a request into many small chunks stops looking free.
   */
  itemOverhead?: number;
}

/** One workgroup's job: query rows `[qoStart, qoEnd)` of one request and heads `[qoHead, qoHeadEnd)` against keys `[kvStart, kvEnd)`. */
export interface WorkItem {
  id: number;
  request: number;
  qoHead: number;
  qoHeadEnd: number;
  qoStart: number;
  qoEnd: number;
  kvStart: number;
  kvEnd: number;
  /** `itemCost(qoEnd − qoStart, kvEnd − kvStart, qoTile, itemOverhead)`; in a causal batch each of its query tiles counts only the keys it sees. */
  cost: number;
  /** The workgroup slot that runs it, and its predicted start and end there (cost units). */
  workgroup: number;
  start: number;
  end: number;
}

/** Items that split one query tile's keys: the contraction merges their partial states. */
export interface PlanMerge {
  request: number;
  qoHead: number;
  qoHeadEnd: number;
  qoStart: number;
  qoEnd: number;
  items: number[];
}

export interface Plan {
  kind: 'balanced' | 'naive';
  workgroups: number;
  qoTile: number;
  /** Query heads per item. */
  itemHeads: number;
  /** Keys per chunk; 0 when no request's keys are split (the naive plan). */
  chunkSize: number;
  /** By `id`: request, query tile, key chunk, then head group (so items next to each other read the same tokens). */
  items: WorkItem[];
  /** Predicted busy time of each workgroup slot, in cost units: the bars of a Gantt chart. */
  loads: number[];
  maxLoad: number;
  totalCost: number;
  /** The device's `concurrency` the plan was made for (its `workgroups` when not given). */
  concurrency: number;
  /** `max(maxLoad, totalCost / concurrency)`: the predicted time, in cost units (see `predictedTime`). */
  predicted: number;
  merges: PlanMerge[];
}

export const DEFAULT_QO_TILE = 64;
export const DEFAULT_MIN_CHUNK = 256;

/**
 * The predicted cost of an item, in units of "one key streamed past one query tile":
 *
 *   cost(qoLen, kvLen) = ceil(qoLen / qoTile) · kvLen + 2 · qoLen
 *
 * A workgroup scores a tile of up to `qoTile` query rows together, so each key (its k and v rows
 * read from memory) costs one unit per tile; each query row then writes its output and LSE,
 * counted as 2 units (the partial written to scratch and read back by the merge). For an item of
 * one tile this is FlashInfer's `2·qoTileLen + kvLen`. Masks are ignored: the cost is an upper
 * bound for causal items, whose kernels skip keys past the diagonal (the planner counts, for a
 * causal batch, only the keys each tile's last row sees). An item covering several query heads of
 * one KV head costs the same as one head: the keys are read once for all of them. `overhead` (the
 * plan's `itemOverhead`) is added to every item that has rows.
 */
export function itemCost(qoLen: number, kvLen: number, qoTile = DEFAULT_QO_TILE, overhead = 0): number {
  return qoLen > 0 ? Math.ceil(qoLen / qoTile) * kvLen + 2 * qoLen + overhead : 0;
}

/**
 * The predicted time of a plan, in cost units: the larger of two bounds,
 *
 *   predicted = max(maxLoad, totalCost / concurrency)
 *
 * The busiest slot's load is the critical path (its items run one after another); the total cost
 * over `concurrency` is the throughput bound (however the items are placed, the device streams no
 * more than that many at full speed). With `concurrency = workgroups` the first bound always wins
 * and this is the makespan of the schedule. On an H100, decode plans of ShareGPT-like batches
 * from 64- to 8192-key chunks took 48 ns per unit plus 21 µs with concurrency 183 and an item
 * overhead of 128 (R² 0.97 over 14 plans; BENCHMARKS.md), where the makespan alone fit at R² 0.26.
 */
export function predictedTime(maxLoad: number, totalCost: number, concurrency: number): number {
  return Math.max(maxLoad, totalCost / concurrency);
}

function checkPlanInput(batch: PlanBatch, device: PlanDevice, options: PlanOptions): void {
  const whole = (name: string, value: unknown, lowest: number) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < lowest) {
      throw new AttentionInputError(name, `must be a whole number ≥ ${lowest}, got ${String(value)}`);
    }
  };
  whole('workgroups', device?.workgroups, 1);
  if (device.concurrency !== undefined) whole('concurrency', device.concurrency, 1);
  if (options.itemOverhead !== undefined) whole('itemOverhead', options.itemOverhead, 0);
  if (options.chunk !== undefined) whole('chunk', options.chunk, 1);
  if (options.minChunk !== undefined) whole('minChunk', options.minChunk, 1);
  if (options.qoTile !== undefined) whole('qoTile', options.qoTile, 1);
  whole('numQoHeads', batch.numQoHeads, 1);
  if (options.itemHeads !== undefined) {
    whole('itemHeads', options.itemHeads, 1);
    if (batch.numQoHeads % options.itemHeads !== 0) throw new AttentionInputError('itemHeads', `${options.itemHeads} does not divide the ${batch.numQoHeads} query heads`);
  }
  if (batch.qoLens.length !== batch.kvLens.length) {
    throw new AttentionInputError('kvLens', `has ${batch.kvLens.length} requests but qoLens has ${batch.qoLens.length}`);
  }
  batch.qoLens.forEach((n, b) => whole(`qoLens[${b}]`, n, 0));
  batch.kvLens.forEach((n, b) => whole(`kvLens[${b}]`, n, 0));
}

/** A binary min-heap of workgroup slots by (load, index): the least-loaded slot, lowest index on ties. */
class SlotHeap {
  private readonly heap: number[];
  readonly loads: number[];

  constructor(size: number) {
    this.loads = new Array<number>(size).fill(0);
    this.heap = Array.from({ length: size }, (_, i) => i);
  }

  private less(a: number, b: number): boolean {
    return this.loads[a] < this.loads[b] || (this.loads[a] === this.loads[b] && a < b);
  }

  /** Gives `cost` to the least-loaded slot; returns the slot and when the work starts there. */
  assign(cost: number): { slot: number; start: number } {
    const slot = this.heap[0];
    const start = this.loads[slot];
    this.loads[slot] += cost;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < this.heap.length && this.less(this.heap[left], this.heap[least])) least = left;
      if (right < this.heap.length && this.less(this.heap[right], this.heap[least])) least = right;
      if (least === i) break;
      [this.heap[i], this.heap[least]] = [this.heap[least], this.heap[i]];
      i = least;
    }
    return { slot, start };
  }
}

type Unassigned = Omit<WorkItem, 'workgroup' | 'start' | 'end'>;

/** Assigns items to slots in `order`, each to the least-loaded slot; returns the typed plan. */
function schedule(kind: Plan['kind'], items: Unassigned[], order: Unassigned[], device: PlanDevice, qoTile: number, itemHeads: number, chunkSize: number): Plan {
  const { workgroups } = device;
  const concurrency = device.concurrency ?? workgroups;
  const slots = new SlotHeap(workgroups);
  const placed = new Array<WorkItem>(items.length);
  for (const item of order) {
    const { slot, start } = slots.assign(item.cost);
    placed[item.id] = { ...item, workgroup: slot, start, end: start + item.cost };
  }
  const merges = new Map<string, PlanMerge>();
  for (const item of placed) {
    const key = `${item.request}:${item.qoStart}:${item.qoHead}`;
    const merge = merges.get(key);
    if (merge) merge.items.push(item.id);
    else merges.set(key, { request: item.request, qoHead: item.qoHead, qoHeadEnd: item.qoHeadEnd, qoStart: item.qoStart, qoEnd: item.qoEnd, items: [item.id] });
  }
  const maxLoad = Math.max(0, ...slots.loads);
  const totalCost = items.reduce((sum, item) => sum + item.cost, 0);
  return {
    kind,
    workgroups,
    qoTile,
    itemHeads,
    chunkSize,
    items: placed,
    loads: slots.loads,
    maxLoad,
    totalCost,
    concurrency,
    predicted: predictedTime(maxLoad, totalCost, concurrency),
    merges: [...merges.values()].filter((merge) => merge.items.length > 1),
  };
}

/**
 * Items of a batch: per request and query tile, its keys cut into chunks of `chunk`, each chunk
 * once per group of `itemHeads` query heads (a request with no keys gets one empty item per head
 * group so its rows are written). In a causal batch a tile's keys are cut only where its rows see
 * them: the chunk that reaches its last visible key also takes the keys after it (unread, free).
 */
function splitItems(batch: PlanBatch, qoTile: number, itemHeads: number, chunk: number, overhead: number): Unassigned[] {
  const items: Unassigned[] = [];
  batch.qoLens.forEach((qoLen, request) => {
    const kvLen = batch.kvLens[request];
    for (let qoStart = 0; qoStart < qoLen; qoStart += qoTile) {
      const qoEnd = Math.min(qoLen, qoStart + qoTile);
      const seen = visibleEnd(batch, request, qoEnd);
      let kvStart = 0;
      do {
        let kvEnd = Math.min(kvLen, kvStart + chunk);
        if (kvEnd >= seen) kvEnd = kvLen;
        const cost = spanCost(batch, request, qoStart, qoEnd, kvStart, kvEnd, qoTile, overhead);
        for (let qoHead = 0; qoHead < batch.numQoHeads; qoHead += itemHeads) {
          items.push({ id: items.length, request, qoHead, qoHeadEnd: qoHead + itemHeads, qoStart, qoEnd, kvStart, kvEnd, cost });
        }
        kvStart = kvEnd;
      } while (kvStart < kvLen);
    }
  });
  return items;
}

function balanced(batch: PlanBatch, device: PlanDevice, qoTile: number, itemHeads: number, chunk: number, overhead: number): Plan {
  const items = splitItems(batch, qoTile, itemHeads, chunk, overhead);
  const longestFirst = [...items].sort((a, b) => b.cost - a.cost || a.id - b.id);
  const longest = Math.max(0, ...batch.kvLens);
  return schedule('balanced', items, longestFirst, device, qoTile, itemHeads, chunk >= longest ? 0 : chunk);
}

function batchOf(batch: PlanBatch | PlanShape): PlanBatch {
  return 'qoLens' in batch ? batch : planBatch(batch);
}

/**
 * The load-balanced plan: each request's keys cut into chunks (per query tile and head), items
 * given longest first to the least-loaded workgroup slot (a min-heap), so a long request no longer
 * sets the time of the whole batch. Without `chunk`, every power-of-two chunk from `minChunk` up to
 * the longest KV is planned and the one with the lowest predicted time kept (`predictedTime`; ties:
 * the larger chunk, fewer partials to merge). `batch` is a `PlanBatch` or the shape
 * `checkAttentionArgs` returns.
 */
export function plan(batch: PlanBatch | PlanShape, device: PlanDevice, options: PlanOptions = {}): Plan {
  const lens = batchOf(batch);
  checkPlanInput(lens, device, options);
  const qoTile = options.qoTile ?? DEFAULT_QO_TILE;
  const itemHeads = options.itemHeads ?? 1;
  const overhead = options.itemOverhead ?? 0;
  const longest = Math.max(1, ...lens.kvLens);
  if (options.chunk !== undefined) return balanced(lens, device, qoTile, itemHeads, options.chunk, overhead);
  let best = balanced(lens, device, qoTile, itemHeads, longest, overhead);
  // chunkSize 0 is the unsplit plan: the largest chunk of all.
  const keys = (p: Plan) => p.chunkSize || Infinity;
  for (let chunk = options.minChunk ?? DEFAULT_MIN_CHUNK; chunk < longest; chunk *= 2) {
    const candidate = balanced(lens, device, qoTile, itemHeads, chunk, overhead);
    if (candidate.predicted < best.predicted || (candidate.predicted === best.predicted && keys(candidate) > keys(best))) best = candidate;
  }
  return best;
}

/**
 * The naive plan: one item per request and head (or group of `itemHeads` heads), all its queries
 * and keys, launched in request order. The device runs `workgroups` at once and starts the next
 * launched one when a slot frees, which is list scheduling in launch order; its `qoTile` only
 * enters the cost formula.
 */
export function naivePlan(batch: PlanBatch | PlanShape, device: PlanDevice, options: Pick<PlanOptions, 'qoTile' | 'itemHeads' | 'itemOverhead'> = {}): Plan {
  const lens = batchOf(batch);
  checkPlanInput(lens, device, options);
  const qoTile = options.qoTile ?? DEFAULT_QO_TILE;
  const itemHeads = options.itemHeads ?? 1;
  const items: Unassigned[] = [];
  lens.qoLens.forEach((qoLen, request) => {
    if (qoLen === 0) return;
    const kvLen = lens.kvLens[request];
    for (let qoHead = 0; qoHead < lens.numQoHeads; qoHead += itemHeads) {
      items.push({ id: items.length, request, qoHead, qoHeadEnd: qoHead + itemHeads, qoStart: 0, qoEnd: qoLen, kvStart: 0, kvEnd: kvLen, cost: spanCost(lens, request, 0, qoLen, 0, kvLen, qoTile, options.itemOverhead ?? 0) });
    }
  });
  return schedule('naive', items, items, device, qoTile, itemHeads, 0);
}

/** What a run executes: a plan from `plan()`/`naivePlan()`, or which of them to make. */
export type PlanChoice = Plan | 'balanced' | 'naive';

/**
 * The plan a run executes: made by `plan()` or `naivePlan()` with `options`, or a given Plan,
 * checked by `check` (a kernel's own constraints) and then against the batch (`checkPlan`).
 */
export function choosePlan(
  batch: PlanBatch | PlanShape,
  choice: PlanChoice,
  device: PlanDevice,
  options: Pick<PlanOptions, 'qoTile' | 'itemHeads' | 'itemOverhead'> = {},
  check?: (given: Plan) => void,
): Plan {
  if (choice === 'balanced') return plan(batch, device, options);
  if (choice === 'naive') return naivePlan(batch, device, options);
  if (typeof choice !== 'object' || choice === null || !Array.isArray(choice.items)) {
    throw new AttentionInputError('plan', `must be 'balanced', 'naive' or a Plan from plan(), got ${String(choice)}`);
  }
  check?.(choice);
  checkPlan(batch, choice);
  return choice;
}

/**
 * Checks that a plan is a plan of this batch: workgroups in range, head ranges whole groups of
 * `itemHeads`, and every (request, head, query row, key) covered by exactly one item (query tiles
 * partition each request's rows; inside a tile, key ranges partition its keys). Throws an
 * AttentionInputError naming `plan.items` and the first entry at fault.
 */
export function checkPlan(batch: PlanBatch | PlanShape, planned: Plan): void {
  const lens = batchOf(batch);
  const fail = (n: number, why: string): never => {
    const item = planned.items[n];
    throw new AttentionInputError('plan.items', `entry ${n} (request ${item.request}, heads ${item.qoHead}..${item.qoHeadEnd}, queries ${item.qoStart}..${item.qoEnd}, keys ${item.kvStart}..${item.kvEnd}) ${why}`);
  };
  const groups = new Map<string, number[]>();
  planned.items.forEach((item, n) => {
    if (!Number.isInteger(item.workgroup) || item.workgroup < 0 || item.workgroup >= planned.workgroups) fail(n, `runs on workgroup ${item.workgroup} of ${planned.workgroups}`);
    const qoLen = lens.qoLens[item.request];
    if (
      qoLen === undefined || item.qoHead % planned.itemHeads !== 0 || item.qoHeadEnd !== item.qoHead + planned.itemHeads || item.qoHeadEnd > lens.numQoHeads ||
      item.qoStart < 0 || item.qoStart >= item.qoEnd || item.qoEnd > qoLen || item.kvStart < 0 || item.kvStart > item.kvEnd || item.kvEnd > lens.kvLens[item.request]
    ) fail(n, 'is outside this batch');
    const key = `${item.request}:${item.qoHead}`;
    const group = groups.get(key);
    if (group) group.push(n);
    else groups.set(key, [n]);
  });
  lens.qoLens.forEach((qoLen, request) => {
    const kvLen = lens.kvLens[request];
    for (let qoHead = 0; qoHead < lens.numQoHeads && qoLen > 0; qoHead += planned.itemHeads) {
      const heads = `heads ${qoHead}..${qoHead + planned.itemHeads}`;
      const at = (n: number) => planned.items[n];
      const mine = (groups.get(`${request}:${qoHead}`) ?? []).sort((a, b) => at(a).qoStart - at(b).qoStart || at(a).kvStart - at(b).kvStart);
      let row = 0;
      let i = 0;
      while (i < mine.length) {
        const tile = at(mine[i]);
        if (tile.qoStart !== row) fail(mine[i], `starts at query ${tile.qoStart}, but the rows before it end at ${row}`);
        let key = 0;
        do {
          const item = at(mine[i]);
          if (item.qoEnd !== tile.qoEnd) fail(mine[i], `ends its query tile at ${item.qoEnd}, another item of the tile at ${tile.qoEnd}`);
          if (item.kvStart !== key) fail(mine[i], `starts at key ${item.kvStart}, but the keys before it end at ${key}`);
          key = item.kvEnd;
          i++;
        } while (i < mine.length && at(mine[i]).qoStart === tile.qoStart && key < kvLen);
        if (key < kvLen) throw new AttentionInputError('plan.items', `no item covers keys ${key}..${kvLen} of request ${request}, ${heads}, queries ${tile.qoStart}..${tile.qoEnd}`);
        row = tile.qoEnd;
      }
      if (row < qoLen) throw new AttentionInputError('plan.items', `no item covers query ${row} of request ${request}, ${heads}`);
    }
  });
}

/**
 * Runs a plan on the CPU as the GPU would: every item computes float64 partial states of its rows
 * over its keys, and each row's partials are merged (the contraction). Checks that the plan is a
 * plan of this batch; equals `referenceAttention` when the plan covers every key once.
 */
export function runPlanOnCpu(args: AttentionArgs, planned: Plan): { o: Float32Array; lse: Float32Array } {
  const run = new SpanAttention(args);
  const { shape } = run;
  const parts = new Map<string, AttentionState[]>();
  planned.items.forEach((item, n) => {
    const qoLen = item.request < shape.batchSize ? shape.qoIndptr[item.request + 1] - shape.qoIndptr[item.request] : -1;
    if (
      qoLen < 0 || item.qoHeadEnd > shape.numQoHeads || item.qoHead >= item.qoHeadEnd || item.qoEnd > qoLen || item.qoStart > item.qoEnd ||
      item.kvEnd > shape.kvLens[item.request] || item.kvStart > item.kvEnd
    ) {
      throw new AttentionInputError('plan.items', `entry ${n} (request ${item.request}, heads ${item.qoHead}..${item.qoHeadEnd}, queries ${item.qoStart}..${item.qoEnd}, keys ${item.kvStart}..${item.kvEnd}) is outside this batch`);
    }
    for (let h = item.qoHead; h < item.qoHeadEnd; h++) {
      for (let i = item.qoStart; i < item.qoEnd; i++) {
        const key = `${item.request}:${i}:${h}`;
        const state = run.rowState(item.request, i, h, [{ start: item.kvStart, end: item.kvEnd, masked: true }]);
        parts.set(key, [...(parts.get(key) ?? []), state]);
      }
    }
  });
  return run.collect((b, i, h) => {
    const rowParts = parts.get(`${b}:${i}:${h}`);
    if (!rowParts) throw new AttentionInputError('plan.items', `no item covers query ${i} of request ${b}, head ${h}`);
    return rowParts;
  });
}
