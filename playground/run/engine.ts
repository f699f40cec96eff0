import { createEngine, GpuError, type Engine } from '#kernels/index.ts';

export interface AcquiredEngine {
  engine: Engine;
  /** Why the GPU is not used, when the engine fell back to the CPU reference. */
  fallbackReason?: string;
}

/** The browser's WebGPU engine, or the CPU reference with the reason WebGPU could not be used. */
export async function acquireEngine(): Promise<AcquiredEngine> {
  try {
    return { engine: await createEngine({ backend: 'webgpu' }) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { engine: await createEngine({ backend: 'cpu' }), fallbackReason: reason };
  }
}

/** Losses within `LOSS_WINDOW_MS` after which a recovering engine stops asking for a GPU. */
export const MAX_LOSSES = 3;
export const LOSS_WINDOW_MS = 60_000;

/** What a page hears when its engine's GPU device was lost and another engine took over. */
export interface EngineRecovery {
  /** The engine now running (WebGPU on a new device, or the CPU reference if no GPU came back). */
  acquired: AcquiredEngine;
  /** Why the old device was lost, as the browser said. */
  lostReason: string;
}

/**
 * An engine that outlives its GPU device, for pages whose cells share one engine: once the device
 * is lost (a driver reset, a GPU taken back from a background tab, a kernel the system stopped),
 * it acquires a new engine (`acquire`) at once, and `onRecover` tells the page, which can run its
 * cells again. Calls made meanwhile wait for the new engine. A call that was on the GPU when the
 * device went still fails, naming the loss; running it again works. Its `lostReason` stays
 * undefined and `lost` never resolves: a loss is recovered, not final. After `destroy`, every call
 * fails.
 *
 * A kernel that itself brings the device down (a runaway loop the system stops) would be run again
 * on every new device: after `MAX_LOSSES` losses within `LOSS_WINDOW_MS` the engine carries on with
 * `fallback` (the CPU reference) instead, and says why in its `fallbackReason`.
 */
export function recoveringEngine(
  first: AcquiredEngine,
  onRecover?: (recovery: EngineRecovery) => void,
  acquire: () => Promise<AcquiredEngine> = acquireEngine,
  options: { fallback?: (reason: string) => Promise<AcquiredEngine>; now?: () => number } = {},
): Engine {
  const fallback = options.fallback ?? (async (reason: string) => ({ engine: await createEngine({ backend: 'cpu' }), fallbackReason: reason }));
  const now = options.now ?? (() => performance.now());
  let current = first;
  let replacing: Promise<AcquiredEngine> | undefined;
  let destroyed = false;
  /** When each device was lost (the engines counted so far: a retried start is not a new loss). */
  const losses: number[] = [];
  let counted: Engine | undefined;

  /** Starts a new engine in place of the lost one (once; again on the next call if it failed). */
  function replace(lostReason: string): Promise<AcquiredEngine> {
    if (counted !== current.engine) {
      counted = current.engine;
      losses.push(now());
      while (losses[0] < now() - LOSS_WINDOW_MS) losses.shift();
    }
    const start = () =>
      losses.length >= MAX_LOSSES
        ? fallback(`the GPU device was lost ${losses.length} times within ${LOSS_WINDOW_MS / 1000} s, so the page stopped asking for a new one; reload to try the GPU again`)
        : acquire();
    replacing ??= start().then(
      (next) => {
        replacing = undefined;
        if (destroyed) {
          next.engine.destroy();
          throw new GpuError('this engine was destroyed while a new GPU device was starting');
        }
        current.engine.destroy(); // its device is gone; this lets go of what the engine held
        current = next;
        watch(next.engine);
        onRecover?.({ acquired: next, lostReason });
        return next;
      },
      (error) => {
        replacing = undefined;
        throw error;
      },
    );
    return replacing;
  }

  function watch(engine: Engine) {
    engine.lost.then((lostReason) => {
      // Not when destroyed by us: by `destroy`, or as the engine already replaced.
      if (!destroyed && engine === current.engine) replace(lostReason).catch(() => {}); // the next call reports it
    });
  }
  watch(first.engine);

  async function live(): Promise<Engine> {
    if (destroyed) throw new GpuError('this engine was destroyed (the page that made it is gone)');
    const lostReason = current.engine.lostReason;
    return lostReason === undefined && !replacing ? current.engine : (await replace(lostReason ?? 'unknown reason')).engine;
  }

  return {
    get backend() {
      return current.engine.backend;
    },
    get description() {
      return current.engine.description;
    },
    get hasTimestamps() {
      return current.engine.hasTimestamps;
    },
    get prefillTileRows() {
      return current.engine.prefillTileRows;
    },
    get pipelineStats() {
      return current.engine.pipelineStats;
    },
    lostReason: undefined,
    lost: new Promise<string>(() => {}),
    run: async (args) => (await live()).run(args),
    benchmark: async (args, options) => (await live()).benchmark(args, options),
    readBandwidth: async (options) => (await live()).readBandwidth(options),
    destroy() {
      destroyed = true;
      current.engine.destroy();
    },
  };
}

/**
 * `acquireEngine` for a page whose engine must survive device loss (`recoveringEngine`). The
 * returned engine stays the same object; `onRecover` gets what the page's banner should now show.
 */
export async function acquireRecoveringEngine(onRecover: (shown: AcquiredEngine, lostReason: string) => void): Promise<AcquiredEngine> {
  const first = await acquireEngine();
  const engine: Engine = recoveringEngine(first, ({ acquired, lostReason }) => onRecover({ engine, fallbackReason: acquired.fallbackReason }, lostReason));
  return { engine, fallbackReason: first.fallbackReason };
}

/**
 * A page's engine for its lifetime: starts `acquireRecoveringEngine` and returns the function that
 * lets it go when the page goes (destroying the engine, or the one that arrives after). `ready`
 * hears the engine once, `recovered` each device loss it got over, `failed` why not even the CPU
 * engine could start.
 */
export function startPageEngine(on: {
  ready: (acquired: AcquiredEngine) => void;
  recovered: (shown: AcquiredEngine, lostReason: string) => void;
  failed: (error: unknown) => void;
}): () => void {
  let destroyed = false;
  let engine: Engine | undefined;
  acquireRecoveringEngine(on.recovered).then((acquired) => {
    // The page was left while the engine started: it is not needed.
    if (destroyed) return acquired.engine.destroy();
    engine = acquired.engine;
    on.ready(acquired);
  }, on.failed);
  return () => {
    destroyed = true;
    engine?.destroy();
  };
}
