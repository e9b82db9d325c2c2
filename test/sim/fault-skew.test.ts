/** Clock skew per host: Runtime.now() is offset; timer durations are not. */
import { describe, expect, it } from 'vitest';
import { Simulation } from '../../harness/sim/index.ts';

describe('skew', () => {
  it("offsets the host's now() only; its timers still fire after their real duration", async () => {
    const sim = new Simulation({ seed: 1 });
    const a = sim.runtime('a');
    const b = sim.runtime('b');
    sim.faults.setSkew('a', 5000);
    expect(a.now()).toBe(5000);
    expect(b.now()).toBe(0);
    const fired: Array<[number, number]> = [];
    a.setTimeout(() => fired.push([sim.now(), a.now()]), 100);
    await sim.runFor(200);
    expect(fired).toEqual([[100, 5100]]);
    sim.faults.setSkew('a', -250);
    expect(a.now()).toBe(-50);
    expect(
      sim.trace
        .events()
        .filter((e) => e.kind === 'fault.on')
        .map((e) => e.offset),
    ).toEqual([5000, -250]);
    expect(() => sim.faults.setSkew('a', Number.NaN)).toThrow(
      expect.objectContaining({ code: 'SIM_BAD_ARGUMENT' }),
    );
    expect(() => sim.faults.setSkew('zz', 1)).toThrow(expect.objectContaining({ code: 'SIM_UNKNOWN_HOST' }));
    await sim.close();
  });
});
