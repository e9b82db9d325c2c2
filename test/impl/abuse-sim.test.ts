/**
 * The reference server's guards against abusive peers (issue 15), on the simulator: exact, virtual
 * time. Backpressure — reading paused above maxQueuedBytes / 4 unsent, resumed at / 16, a peer that
 * leaves the queue unread for the write deadline or goes over the cap dropped (`backpressure`), a
 * business backlog counted toward the cap without ever pausing the heartbeat (F6) — and the slowloris
 * guards: a hello or a frame left unfinished past helloTimeout / frameTimeout (`read-deadline`).
 * test/reliability/abuse.test.ts does the same on real loopback TCP and measures the server's RSS.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_PEER_LIMITS, resolveServerConfig } from '../../impl/config.ts';
import { ConfigError } from '../../impl/errors.ts';
import { HeartbeatManager } from '../../impl/heartbeat.ts';
import { encodeFrame } from '../../impl/protocol.ts';
import type { Runtime } from '../../impl/runtime.ts';
import { closeWorlds, helloFrame, LATENCY, PORT, type World, world } from './sim-helpers.ts';

afterEach(closeWorlds);

const MiB = 1024 * 1024;
const echo = {
  onMessage: (payload: unknown, ctx: { reply(p: unknown): boolean }) => {
    ctx.reply({ echo: payload });
  },
};

/** A raw client that says hello and then sends `chunk` as fast as its socket takes it, `budget` bytes in all. */
function flooder(crt: Runtime, options: { read: boolean; budget: number; payload?: number }) {
  const raw = crt.net.createConnection({ host: 'server', port: PORT }) as Socket;
  raw.on('error', () => {});
  const frame = encodeFrame({ type: 'data', payload: 'x'.repeat(options.payload ?? 1000) });
  const chunk = Buffer.concat(new Array(16).fill(frame));
  let sent = 0;
  let received = 0;
  const pump = () => {
    while (sent < options.budget && !raw.destroyed) {
      sent += chunk.length;
      if (!raw.write(chunk)) {
        raw.once('drain', pump);
        return;
      }
    }
  };
  raw.on('data', (b: Buffer) => {
    received += b.length;
  });
  raw.on('connect', () => {
    if (!options.read) raw.pause();
    raw.write(helloFrame('client'));
    pump();
  });
  return {
    raw,
    frameBytes: frame.length,
    get sent() {
      return sent;
    },
    get received() {
      return received;
    },
  };
}

/** Samples the server side's queue every 10 ms of virtual time: the largest seen. */
function watchQueue(w: World): { max: number; stop(): void } {
  const out = { max: 0, stop: () => {} };
  const t = w.srt.setInterval(() => {
    for (const id of w.server.connectionIds()) {
      out.max = Math.max(out.max, w.server.connection(id)!.queuedBytes);
    }
  }, 10);
  out.stop = () => w.srt.clearInterval(t);
  return out;
}

describe('backpressure: a peer that does not read', () => {
  it('is paused above maxQueuedBytes / 4 unsent and dropped when the bytes queued then are still unread a write deadline later', async () => {
    const w = await world({
      server: { interval: 0, writeDeadline: 5_000 },
      serverOptions: echo,
      start: false,
    });
    w.rec.watch('server', w.server, ['backpressure']);
    const q = watchQueue(w);
    const f = flooder(w.crt, { read: false, budget: 50 * MiB });
    await w.sim.runFor(20_000);
    q.stop();
    const paused = w.rec.events.filter((e) => e.type === 'backpressure');
    const [death] = w.rec.deaths('server');
    expect(paused.map((e) => e.paused)).toEqual([true]);
    expect(paused[0]!.unsent as number).toBeGreaterThan(MiB / 4);
    expect(death).toMatchObject({ reason: 'backpressure', t: paused[0]!.t + 5_000 });
    expect(death!.detail).toMatch(/^peer has not read for 5000 ms: \d+ bytes still queued for it/);
    // The queue never went past the cap; the flooder got a few MiB in (kernel buffers), not 50.
    expect(q.max).toBeLessThanOrEqual(MiB);
    expect(f.sent).toBeLessThan(4 * MiB);
    expect(w.server.connectionCount).toBe(0);
  });

  it('a peer that stops reading for less than the write deadline is resumed at maxQueuedBytes / 16, not dropped', async () => {
    const w = await world({
      server: { interval: 0, writeDeadline: 5_000 },
      serverOptions: echo,
      start: false,
    });
    w.rec.watch('server', w.server, ['backpressure']);
    const f = flooder(w.crt, { read: false, budget: 6 * MiB });
    await w.sim.runFor(2_000);
    expect(w.server.connection('s#1')!.readingPaused).toBe(true);
    f.raw.resume(); // it reads again, 2 s in
    await w.sim.runFor(30_000);
    const events = w.rec.events.filter((e) => e.type === 'backpressure');
    expect(events[0]).toMatchObject({ paused: true });
    expect(events[1]).toMatchObject({ paused: false });
    expect(events[1]!.unsent as number).toBeLessThanOrEqual(MiB / 16);
    expect(events.every((e, i) => e.paused === (i % 2 === 0))).toBe(true);
    expect(w.rec.deaths('server')).toEqual([]);
    // Every request it sent was read and echoed.
    expect(f.sent).toBeGreaterThanOrEqual(6 * MiB);
    expect(w.server.connection('s#1')!.stats().business.messagesSent).toBe(f.sent / f.frameBytes);
  });

  it('the server’s own sends beyond the cap drop the peer at once, before queuing the message', async () => {
    const w = await world({ server: { interval: 0 }, start: false });
    const raw = w.crt.net.createConnection({ host: 'server', port: PORT }) as Socket;
    raw.on('error', () => {});
    raw.on('connect', () => {
      raw.pause();
      raw.write(helloFrame('client'));
    });
    await w.sim.runFor(100);
    const big = 'y'.repeat(60_000);
    const size = encodeFrame({ type: 'data', payload: big }).length;
    let accepted = 0;
    while (w.server.send('s#1', big)) accepted += 1;
    const [death] = w.rec.deaths('server');
    expect(death).toMatchObject({ reason: 'backpressure', t: 100 });
    expect(death!.detail).toMatch(
      new RegExp(
        `\\(\\d+ unsent, 0 of business not yet handled; cap maxQueuedBytes 1048576\\): a ${size}-byte message would not fit$`,
      ),
    );
    // All at one instant: the kernel took the first message, the stream held the rest — up to the cap.
    const unsent = Number(/\((\d+) unsent/.exec(death!.detail)![1]);
    expect(unsent).toBe((accepted - 1) * size);
    expect(unsent).toBeLessThanOrEqual(MiB);
    expect(unsent + size).toBeGreaterThan(MiB);
  });

  it('a business backlog (slow handler) never pauses reading — pongs stay on time (F6) — and counts toward the cap', async () => {
    const gate: (() => void)[] = [];
    const w = await world({
      server: { interval: 0, maxQueuedBytes: 256 * 1024, businessTimeout: 0 },
      client: { interval: 1_000, pongTimeout: 500 },
      serverOptions: { onMessage: () => new Promise<void>((r) => gate.push(r)) },
    });
    w.rec.watch('server', w.server, ['backpressure']);
    await w.sim.runFor(100);
    // 100 KB of business every second, never handled (the handler waits on the first message).
    const payload = 'z'.repeat(10_000);
    const t = w.crt.setInterval(() => {
      for (let i = 0; i < 10; i++) w.client.send(payload);
    }, 1_000);
    await w.sim.runFor(10_000);
    w.crt.clearInterval(t);
    expect(w.rec.events.filter((e) => e.type === 'backpressure')).toEqual([]);
    // 26 messages of 10 023 bytes fit under 256 KiB (the first one, being handled, counts too).
    const [death] = w.rec.deaths('server');
    expect(death).toMatchObject({ reason: 'backpressure' });
    expect(death!.detail).toMatch(
      /\(0 unsent, 2\d{5} of business not yet handled; cap maxQueuedBytes 262144\)$/,
    );
    // Until then every ping was answered in r = 10 ms.
    const pongs = w.rec.of('client', 'pong').filter((p) => p.t < death!.t);
    expect(pongs.length).toBeGreaterThanOrEqual(2);
    expect(pongs.every((p) => p.rtt === 2 * LATENCY)).toBe(true);
    expect(w.rec.of('client', 'miss')).toEqual([]);
    for (const r of gate) r();
  });

  it('maxQueuedBytes 0 turns it off (the old behaviour: the queue grows)', async () => {
    const w = await world({
      server: { interval: 0, writeDeadline: 0, maxQueuedBytes: 0 },
      serverOptions: echo,
      start: false,
    });
    w.rec.watch('server', w.server, ['backpressure']);
    const q = watchQueue(w);
    flooder(w.crt, { read: false, budget: 4 * MiB });
    await w.sim.runFor(20_000);
    q.stop();
    expect(w.rec.events.filter((e) => e.type === 'backpressure')).toEqual([]);
    expect(w.rec.deaths('server')).toEqual([]);
    expect(q.max).toBeGreaterThan(2 * MiB);
  });
});

describe('slowloris: a peer that never finishes a frame', () => {
  async function dribbler(w: World, prefix: Buffer, body: string, every: number) {
    const raw = w.crt.net.createConnection({ host: 'server', port: PORT }) as Socket;
    raw.on('error', () => {});
    let i = 0;
    raw.on('connect', () => {
      if (prefix.length > 0) raw.write(prefix);
      const t = w.crt.setInterval(() => {
        if (raw.destroyed) return w.crt.clearInterval(t);
        raw.write(i < body.length ? body[i]! : ' ');
        i += 1;
      }, every);
    });
    return raw;
  }

  it('a hello dribbled a byte a second is dropped helloTimeout after its first byte (read-deadline)', async () => {
    const w = await world({ server: { interval: 0 }, start: false });
    await dribbler(w, Buffer.alloc(0), JSON.stringify({ type: 'hello', v: 1 }), 1_000);
    await w.sim.runFor(60_000);
    // Connect at 10, first byte sent at 1010, read at 1015; helloTimeout 10 s (the default).
    expect(w.rec.deaths('server').map((d) => [d.t, d.reason, d.detail])).toEqual([
      [
        11_015,
        'read-deadline',
        'the hello is unfinished 10000 ms after its first byte (helloTimeout 10000 ms): 10 bytes without a newline',
      ],
    ]);
  });

  it('a frame after the hello dribbled a byte a second is dropped frameTimeout after its first byte', async () => {
    const w = await world({ server: { interval: 0, frameTimeout: 3_000 }, start: false });
    await dribbler(w, helloFrame('client'), JSON.stringify({ type: 'data', payload: 1 }), 1_000);
    await w.sim.runFor(60_000);
    expect(w.rec.deaths('server').map((d) => [d.t, d.reason, d.detail])).toEqual([
      [
        4_015,
        'read-deadline',
        'a frame is unfinished 3000 ms after its first byte (frameTimeout 3000 ms): 3 bytes without a newline',
      ],
    ]);
  });

  it('frameTimeout defaults to the read deadline: a frame must end within R of its first byte', async () => {
    expect(resolveServerConfig({ readDeadline: 20_000 }).frameTimeout).toBe(20_000);
    const w = await world({ server: { interval: 0, readDeadline: 20_000 }, start: false });
    await dribbler(w, helloFrame('client'), JSON.stringify({ type: 'data', payload: 1 }), 1_000);
    await w.sim.runFor(60_000);
    expect(w.rec.deaths('server').map((d) => [d.t, d.reason])).toEqual([[21_015, 'read-deadline']]);
  });

  it('frames that do end reset the guard: one frame every 5 s, each dribbled over 2 s, lives on', async () => {
    const w = await world({
      server: { interval: 0, frameTimeout: 3_000, helloTimeout: 3_000 },
      start: false,
    });
    const raw = w.crt.net.createConnection({ host: 'server', port: PORT }) as Socket;
    raw.on('error', () => {});
    raw.on('connect', () => {
      raw.write(helloFrame('client'));
      const frame = encodeFrame({ type: 'data', payload: 1 }).toString();
      const half = Math.floor(frame.length / 2);
      w.crt.setInterval(() => {
        raw.write(frame.slice(0, half));
        w.crt.setTimeout(() => raw.write(frame.slice(half)), 2_000);
      }, 5_000);
    });
    await w.sim.runFor(60_000);
    expect(w.rec.deaths('server')).toEqual([]);
    expect(w.server.connection('s#1')!.stats().business.messagesReceived).toBe(11);
    raw.destroy();
  });

  it('a silent connection is the read deadline’s, not the hello guard’s', async () => {
    const w = await world({ server: { interval: 0, readDeadline: 30_000 }, start: false });
    const raw = w.crt.net.createConnection({ host: 'server', port: PORT }) as Socket;
    raw.on('error', () => {});
    await w.sim.runFor(60_000);
    expect(w.rec.deaths('server').map((d) => [d.t, d.reason, d.detail])).toEqual([
      [15 + 30_000, 'read-deadline', 'nothing received for 30000 ms'],
    ]);
  });
});

describe('configuration of the guards (F18)', () => {
  it('server defaults: maxQueuedBytes 1 MiB, helloTimeout 10 s, frameTimeout = readDeadline (45 s)', () => {
    expect(resolveServerConfig()).toMatchObject({
      maxQueuedBytes: MiB,
      helloTimeout: 10_000,
      frameTimeout: 45_000,
    });
    expect(resolveServerConfig({ readDeadline: 0 }).frameTimeout).toBe(0);
    expect(resolveServerConfig({ maxQueuedBytes: 0, helloTimeout: 0, frameTimeout: 0 })).toMatchObject({
      maxQueuedBytes: 0,
      helloTimeout: 0,
      frameTimeout: 0,
    });
  });

  it('bad values name their field', () => {
    const field = (input: Record<string, unknown>) => {
      try {
        resolveServerConfig(input);
      } catch (err) {
        if (err instanceof ConfigError) return err.field;
        throw err;
      }
      return undefined;
    };
    expect(field({ maxQueuedBytes: 1000 })).toBe('maxQueuedBytes'); // below maxFrameBytes
    expect(field({ maxQueuedBytes: -1 })).toBe('maxQueuedBytes');
    expect(field({ maxQueuedBytes: 1.5 })).toBe('maxQueuedBytes');
    expect(field({ helloTimeout: -5 })).toBe('helloTimeout');
    expect(field({ frameTimeout: 'soon' })).toBe('frameTimeout');
    expect(field({ maxQueuedBytes: 4096, maxFrameBytes: 4096 })).toBeUndefined();
  });

  it('a bare HeartbeatManager (the client’s) has every guard off; bad limits throw', async () => {
    const w = await world({ start: false });
    const socket = w.crt.net.createConnection({ host: 'server', port: PORT }) as Socket;
    socket.on('error', () => {});
    expect(NO_PEER_LIMITS).toEqual({ maxQueuedBytes: 0, helloTimeout: 0, frameTimeout: 0 });
    expect(
      () => new HeartbeatManager({ socket, role: 'client', conn: 'c', limits: { frameTimeout: -1 } }),
    ).toThrow(ConfigError);
    socket.destroy();
  });
});
