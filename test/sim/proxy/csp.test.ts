/**
 * The CSP runtime under the simulated proxy: Go channel and select semantics on a fake clock, which
 * every toxic's blocking behaviour (and so its backpressure and flush quirks) rests on.
 */
import FakeTimers from '@sinonjs/fake-timers';
import { describe, expect, it } from 'vitest';
import {
  afterCase,
  Chan,
  type Gen,
  join,
  recv,
  recvCase,
  Scheduler,
  select,
  send,
  sleep,
} from '../../../harness/sim/proxy/csp.ts';

function setup() {
  const clock = FakeTimers.createClock(0);
  const sched = new Scheduler({
    now: () => clock.now,
    setTimeout: (cb, ms) => clock.setTimeout(cb, ms),
    clearTimeout: (h) => clock.clearTimeout(h as number),
  });
  const log: string[] = [];
  return { clock, sched, log, say: (s: string) => log.push(`${clock.now} ${s}`) };
}

describe('csp runtime', () => {
  it('an unbuffered send waits for a receiver; a buffered one only when full', () => {
    const { sched, log, say } = setup();
    const unbuffered = new Chan<number>(0);
    const buffered = new Chan<number>(2);
    sched.go(
      (function* (): Gen<void> {
        yield* send(buffered, 1);
        yield* send(buffered, 2);
        say('buffered two');
        yield* send(buffered, 3);
        say('buffered three');
        yield* send(unbuffered, 9);
        say('handed over');
      })(),
      'sender',
    );
    expect(log).toEqual(['0 buffered two']);
    sched.go(
      (function* (): Gen<void> {
        say(`got ${yield* recv(buffered)}`);
        say(`got ${yield* recv(unbuffered)}`);
      })(),
      'receiver',
    );
    expect(log).toEqual(['0 buffered two', '0 got 1', '0 buffered three', '0 handed over', '0 got 9']);
    expect(buffered.length).toBe(2);
  });

  it('close wakes receivers with null and buffered values are still received first', () => {
    const { sched, log, say } = setup();
    const ch = new Chan<string>(1);
    sched.offer(ch, 'last');
    sched.close(ch);
    sched.go(
      (function* (): Gen<void> {
        say(String(yield* recv(ch)));
        say(String(yield* recv(ch)));
      })(),
      'r',
    );
    expect(log).toEqual(['0 last', '0 null']);
  });

  it('select takes the first ready case in order; after(ms) fires on the clock and is cancelled when another case wins', () => {
    const { clock, sched, log, say } = setup();
    const a = new Chan<string>(1);
    const b = new Chan<string>(1);
    sched.offer(a, 'a');
    sched.offer(b, 'b');
    sched.go(
      (function* (): Gen<void> {
        const r1 = yield* select(recvCase(b), recvCase(a));
        say(`first ${r1.value}`);
        const r2 = yield* select(afterCase(0), recvCase(a));
        say(`ready at once: case ${r2.index}`);
        const r3 = yield* select(afterCase(100), recvCase(b));
        say(`case ${r3.index}`);
        yield* sleep(2.5);
        say('slept');
      })(),
      'selector',
    );
    expect(log).toEqual(['0 first b', '0 ready at once: case 0']);
    clock.tick(40);
    sched.offer(b, 'late');
    expect(log.at(-1)).toBe('40 case 1');
    expect(clock.countTimers()).toBe(1);
    clock.tick(3);
    expect(log.at(-1)).toBe('43 slept');
    expect(clock.countTimers()).toBe(0);
  });

  it('kill stops a group, clears its timers and releases joiners', () => {
    const { clock, sched, log, say } = setup();
    const g = sched.go(
      (function* (): Gen<void> {
        yield* sleep(1000);
        say('never');
      })(),
      'sleeper',
      'conn-1',
    );
    sched.go(
      (function* (): Gen<void> {
        yield* join(g);
        say('joined');
      })(),
      'joiner',
    );
    expect(clock.countTimers()).toBe(1);
    sched.kill('conn-1');
    expect(clock.countTimers()).toBe(0);
    clock.tick(2000);
    expect(log).toEqual(['0 joined']);
  });

  it('a goroutine that throws is reported and the error surfaces', () => {
    const errors: unknown[] = [];
    const clock = FakeTimers.createClock(0);
    const sched = new Scheduler(
      { now: () => clock.now, setTimeout: (cb, ms) => clock.setTimeout(cb, ms), clearTimeout: () => {} },
      (err) => errors.push(err),
    );
    expect(() =>
      sched.go(
        (function* (): Gen<void> {
          yield* [];
          throw new Error('boom');
        })(),
        'bad',
      ),
    ).toThrow('boom');
    expect(errors).toHaveLength(1);
  });
});
