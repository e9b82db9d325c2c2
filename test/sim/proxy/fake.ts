/**
 * A proxy core driven by fake sockets on a fake-timers clock: the toxic pipeline with nothing from
 * the simulated network. "Arrives at t" here means "the proxy wrote it to that socket at t".
 */
import FakeTimers from '@sinonjs/fake-timers';
import type { Conn, Transport } from '../../../harness/sim/proxy/conn.ts';
import { ProxyCore } from '../../../harness/sim/proxy/core.ts';
import { RandomSource } from '../../../harness/sim/rng.ts';

export interface Written {
  t: number;
  data: string;
}

export class FakeSocket implements Transport {
  readonly writes: Written[] = [];
  closed: { t: number; how: 'FIN' | 'RST' } | null = null;
  paused = false;
  readonly pauses: number[] = [];
  /** When false, every write reports backpressure until `drain()`. */
  accepting = true;
  conn!: Conn;
  constructor(private readonly now: () => number) {}
  private readonly waiting: Array<(err?: Error | null) => void> = [];
  write(data: Buffer, accepted: (err?: Error | null) => void): boolean {
    this.writes.push({ t: this.now(), data: data.toString('latin1') });
    if (!this.accepting) this.waiting.push(accepted);
    return this.accepting;
  }
  /** The peer made room: blocked writes complete. */
  drain(): void {
    this.accepting = true;
    for (const cb of this.waiting.splice(0)) cb();
  }
  close(reset: boolean): void {
    this.closed = { t: this.now(), how: reset ? 'RST' : 'FIN' };
  }
  pause(): void {
    this.paused = true;
    this.pauses.push(this.now());
  }
  resume(): void {
    this.paused = false;
  }
  /** Bytes written, joined. */
  text(): string {
    return this.writes.map((w) => w.data).join('');
  }
}

export interface FakePair {
  id: string;
  client: FakeSocket;
  upstream: FakeSocket;
  /** The client sends (one write = one chunk). */
  fromClient(data: string | Buffer): void;
  fromServer(data: string | Buffer): void;
  clientFin(): void;
  serverFin(): void;
}

export function fakeProxy(seed = 1, name = 'p') {
  const clock = FakeTimers.createClock(0);
  const events: Array<Record<string, unknown>> = [];
  const random = new RandomSource(seed).stream(`proxy:${name}`);
  const core = new ProxyCore(name, {
    timers: {
      now: () => clock.now,
      setTimeout: (cb, ms) => clock.setTimeout(cb, ms),
      clearTimeout: (h) => clock.clearTimeout(h as number),
    },
    random,
    trace: (kind, fields) => events.push({ t: clock.now, kind, ...fields }),
  });
  core.startAccepting();

  function connect(opts: { dialFails?: boolean } = {}): FakePair {
    const id = core.nextConnId();
    const client = new FakeSocket(() => clock.now);
    const upstream = new FakeSocket(() => clock.now);
    client.conn = core.conn(client, `${id}/client`);
    upstream.conn = core.conn(upstream, `${id}/upstream`);
    core.accept(id, client.conn, '127.0.0.1:50000', function* () {
      yield* [];
      return opts.dialFails ? null : upstream.conn;
    });
    const buf = (d: string | Buffer) => (typeof d === 'string' ? Buffer.from(d, 'latin1') : d);
    return {
      id,
      client,
      upstream,
      fromClient: (d) => client.conn.deliver(buf(d)),
      fromServer: (d) => upstream.conn.deliver(buf(d)),
      clientFin: () => client.conn.eof(),
      serverFin: () => upstream.conn.eof(),
    };
  }

  return {
    clock,
    core,
    events,
    connect,
    /** Advances virtual time by `ms`, firing every timer due. */
    tick: (ms: number) => clock.tick(ms),
    at: (t: number) => clock.tick(t - clock.now),
  };
}
