import { describe, expect, it } from 'vitest';
import { GpuError, type AttentionResult, type Engine } from '#kernels/index.ts';
import { recoveringEngine, type AcquiredEngine, type EngineRecovery } from '#playground/run/engine.ts';

/** An engine whose device can be lost on demand; `run` answers with its name. */
function fakeEngine(name: string) {
  let lose: (reason: string) => void = () => {};
  let lostReason: string | undefined;
  const lost = new Promise<string>((resolve) => (lose = resolve));
  let destroyed = false;
  const engine: Engine = {
    backend: 'webgpu',
    description: name,
    hasTimestamps: true,
    get lostReason() {
      return lostReason;
    },
    lost,
    async run() {
      if (lostReason !== undefined) throw new GpuError(`the GPU device was lost (${lostReason}); create a new engine`);
      return { o: new Float32Array([name.length]), lse: new Float32Array(0), kernel: name } as AttentionResult;
    },
    async benchmark() {
      return this.run({} as never);
    },
    async readBandwidth() {
      return name.length;
    },
    destroy() {
      destroyed = true;
      lostReason ??= 'destroyed';
      lose('destroyed');
    },
  };
  return {
    engine,
    lose(reason: string) {
      lostReason = reason;
      lose(reason);
    },
    get destroyed() {
      return destroyed;
    },
  };
}

const args = {} as never;
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('recoveringEngine', () => {
  it('carries on with a new engine once the device is lost, and tells the page once', async () => {
    const first = fakeEngine('first');
    const second = fakeEngine('second');
    const acquired: AcquiredEngine[] = [{ engine: second.engine }];
    let acquires = 0;
    const heard: EngineRecovery[] = [];
    const engine = recoveringEngine({ engine: first.engine }, (r) => heard.push(r), async () => (acquires++, acquired.shift()!));
    expect((await engine.run(args)).kernel).toBe('first');
    first.lose('the driver was reset');
    // Calls made while the new engine starts wait for it, and share one acquisition.
    const results = await Promise.all([engine.run(args), engine.run(args), engine.readBandwidth()]);
    expect(results.map((r) => (typeof r === 'number' ? r : r.kernel))).toEqual(['second', 'second', 6]);
    expect(acquires).toBe(1);
    expect(heard).toHaveLength(1);
    expect(heard[0]).toMatchObject({ lostReason: 'the driver was reset' });
    expect(heard[0].acquired.engine).toBe(second.engine);
    expect(engine.description).toBe('second');
    expect(engine.lostReason).toBeUndefined();
    expect(first.destroyed).toBe(true);
  });

  it('replaces the device as soon as it is lost, before any call', async () => {
    const first = fakeEngine('first');
    const heard: string[] = [];
    recoveringEngine({ engine: first.engine }, (r) => heard.push(r.lostReason), async () => ({ engine: fakeEngine('next').engine }));
    first.lose('GPU hung');
    await tick();
    await tick();
    expect(heard).toEqual(['GPU hung']);
  });

  it('falls back to what acquire gives (the CPU reference) and reports why', async () => {
    const first = fakeEngine('gpu');
    const cpu = fakeEngine('cpu');
    let heard: EngineRecovery | undefined;
    const engine = recoveringEngine({ engine: first.engine }, (r) => (heard = r), async () => ({ engine: cpu.engine, fallbackReason: 'no adapter' }));
    first.lose('gone');
    expect((await engine.run(args)).kernel).toBe('cpu');
    expect(heard?.acquired.fallbackReason).toBe('no adapter');
  });

  it('a failed acquisition is tried again by the next call, which reports it if it fails too', async () => {
    const first = fakeEngine('first');
    let tries = 0;
    const engine = recoveringEngine({ engine: first.engine }, undefined, async () => {
      if (++tries <= 2) throw new GpuError(`requestDevice failed (try ${tries})`);
      return { engine: fakeEngine('later').engine };
    });
    first.lose('gone');
    await tick();
    expect(tries).toBe(1); // the attempt made at the loss
    await expect(engine.run(args)).rejects.toThrow(/requestDevice failed \(try 2\)/);
    expect((await engine.run(args)).kernel).toBe('later');
    expect(tries).toBe(3);
  });

  it('after destroy it neither runs nor acquires, and destroys an engine that arrives late', async () => {
    const first = fakeEngine('first');
    const late = fakeEngine('late');
    let release: () => void = () => {};
    let acquires = 0;
    const engine = recoveringEngine({ engine: first.engine }, undefined, async () => {
      acquires++;
      await new Promise<void>((resolve) => (release = resolve));
      return { engine: late.engine };
    });
    first.lose('gone');
    await tick();
    const pending = engine.run(args);
    engine.destroy();
    release();
    await expect(pending).rejects.toThrow(/destroyed/);
    expect(late.destroyed).toBe(true);
    await expect(engine.run(args)).rejects.toThrow(/destroyed/);
    expect(acquires).toBe(1);
  });

  it('destroy does not count as a loss', async () => {
    const first = fakeEngine('first');
    let acquires = 0;
    const engine = recoveringEngine({ engine: first.engine }, undefined, async () => (acquires++, { engine: fakeEngine('x').engine }));
    engine.destroy();
    await tick();
    expect(first.destroyed).toBe(true);
    expect(acquires).toBe(0);
  });
});

describe('recoveringEngine, repeated losses', () => {
  it('after three losses within a minute carries on with the fallback (the CPU) and says why; losses further apart do not count', async () => {
    let clock = 0;
    const engines: ReturnType<typeof fakeEngine>[] = [fakeEngine('gpu-0')];
    const heard: EngineRecovery[] = [];
    let fallbacks = 0;
    const engine = recoveringEngine(
      { engine: engines[0].engine },
      (r) => heard.push(r),
      async () => {
        engines.push(fakeEngine(`gpu-${engines.length}`));
        return { engine: engines.at(-1)!.engine };
      },
      { now: () => clock, fallback: async (reason) => (fallbacks++, { engine: fakeEngine('cpu').engine, fallbackReason: reason }) },
    );
    // Two losses a minute apart, then two more within seconds: still the GPU (three in the window only at the next).
    for (const at of [0, 61_000, 62_000]) {
      clock = at;
      engines.at(-1)!.lose('reset');
      expect((await engine.run(args)).kernel).toBe(`gpu-${engines.length - 1}`);
    }
    expect(fallbacks).toBe(0);
    clock = 63_000;
    engines.at(-1)!.lose('reset');
    expect((await engine.run(args)).kernel).toBe('cpu');
    expect(fallbacks).toBe(1);
    expect(heard.at(-1)!.acquired.fallbackReason).toBe('the GPU device was lost 3 times within 60 s, so the page stopped asking for a new one; reload to try the GPU again');
  });
});
