/**
 * Unmodified libraries on virtual time: socket.io 4 (server and client) and mqtt.js 5 with an aedes 1
 * broker, run through the built-in library scenarios on the simulator. Every detection is checked at
 * its exact virtual instant, derived from the library's own rule (BOUNDS.md, "Library subjects"), so
 * a change in how the library (or the simulator under it) times its heartbeat fails here.
 *
 * Proxy topology with d = 5 ms on the client↔proxy leg; the fault starts at f = 60 000.
 */
import { createHook } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import type { Subject } from '../../harness/backend.ts';
import { EXIT, exitCodeFor } from '../../harness/cli/exit.ts';
import { VirtualEscapeError } from '../../harness/process/errors.ts';
import { loadScenarioFile } from '../../harness/scenario/loader.ts';
import { RunError, runScenario } from '../../harness/scenario/runner.ts';
import { parseScenario } from '../../harness/scenario/schema.ts';
import { SubjectError } from '../../harness/subjects/errors.ts';
import { loadLibrary } from '../../harness/subjects/libraries/common.ts';
import { renderRunHtml } from '../../reports/html/run.ts';

async function run(name: string, seed?: number) {
  const file = `scenarios/libraries/${name}.yaml`;
  const s = await loadScenarioFile(file);
  return runScenario(s, { backend: 'sim', file, ...(seed === undefined ? {} : { seed }) });
}

const detections = (r: Awaited<ReturnType<typeof run>>) =>
  r.detections.map((d) => `${d.side} ${d.reason} ${d.at}`).sort();

describe('socket.io 4, unmodified, on virtual time', () => {
  it('black hole: the server times out its unanswered ping, the client its silence (ping timeout)', async () => {
    const r = await run('socketio-blackhole');
    // Handshake: the server's engine opens at 15. Pings leave at 25 015 and, pong-driven, at 50 025
    // (pong back at 50 035): the next, at 75 035, is past the cut. Server: 75 035 + T (20 000).
    // Client: last ping received at 50 030, + I + T (45 000).
    expect(detections(r)).toEqual(['client heartbeat-timeout 95030', 'server heartbeat-timeout 95035']);
    expect(r.passed).toBe(true);
    // The client reconnects when the heal (150 000) closes its hung attempts and lets a new one in.
    expect(r.reconnects.map((x) => x.at)).toEqual([150_000]);
    // Who pings whom: the server's 2-byte ping leaves at 25 015, the client's pong at 25 020.
    expect(r.pinger).toBe('server');
    const beats = r.lanes[0]!.events.filter((e) => e.t === 25_015 || e.t === 25_020);
    expect(beats.some((e) => e.t === 25_015 && e.side === 'server' && e.kind === 'ping')).toBe(true);
    expect(beats.some((e) => e.t === 25_020 && e.side === 'client' && e.kind === 'pong')).toBe(true);
    const page = await renderRunHtml([r], { generatedAt: '2026-12-04T00:00:00Z', version: 'test' });
    expect(page).toContain('ping (server → client)');
  });

  it('reset_peer: the next chunk (the server’s ping at 75 035) resets both ends at once', async () => {
    const r = await run('socketio-reset');
    expect(detections(r)).toEqual(['client fin 75040', 'server fin 75035']);
    expect(r.passed).toBe(true);
  });

  it('server pause: the client gives up at its ping timeout; the server only learns at resume', async () => {
    const r = await run('socketio-pause');
    expect(detections(r)).toEqual(['client heartbeat-timeout 95030', 'server fin 120000']);
    expect(r.passed).toBe(true);
  });

  it('opens no real socket: not one TCP handle is made while the library runs', async () => {
    let real = 0;
    const hook = createHook({
      init(_id, type) {
        if (type.startsWith('TCP')) real++;
      },
    }).enable();
    try {
      expect((await run('socketio-blackhole')).passed).toBe(true);
    } finally {
      hook.disable();
    }
    expect(real).toBe(0);
  });

  it('replays exactly: same seed, same trace hash (payload bytes included); another seed, another hash', async () => {
    const [a, b, c] = [
      await run('socketio-blackhole', 3),
      await run('socketio-blackhole', 3),
      await run('socketio-blackhole', 4),
    ];
    expect(b.traceHash).toBe(a.traceHash);
    expect(c.traceHash).not.toBe(a.traceHash);
  });
});

describe('MQTT (mqtt.js 5 and aedes 1), unmodified, on virtual time', () => {
  it('black hole: the client’s keepalive (1.5·K after its last PINGRESP), the broker’s K·1500 + 1', async () => {
    const r = await run('mqtt-blackhole');
    // K = 20 s, ticks every 10 s. PINGRESPs at 20 030 and 40 040 reschedule; the PINGREQ at 60 040 is
    // lost, and the 3rd tick, 70 040, ends it. The broker last heard the PINGREQ at 40 035: + 30 001.
    expect(detections(r)).toEqual(['client heartbeat-timeout 70040', 'server heartbeat-timeout 70036']);
    expect(r.passed).toBe(true);
  });

  it('reset_peer on the upstream: the next PINGREQ (60 040, at the proxy 60 045) closes both ends', async () => {
    const r = await run('mqtt-reset');
    // Accepted before the toxic existed, so the proxy closes with FIN (TOXICS.md).
    expect(detections(r)).toEqual(['client fin 60050', 'server fin 60045']);
    expect(r.passed).toBe(true);
  });

  it('broker pause: the client’s keepalive ends it; the broker’s overdue timer fires at resume', async () => {
    const r = await run('mqtt-pause');
    expect(detections(r)).toEqual(['client heartbeat-timeout 70040', 'server heartbeat-timeout 120000']);
    expect(r.passed).toBe(true);
  });
});

describe('gRPC (@grpc/grpc-js 1.14), unmodified, over HTTP/2 on virtual time', () => {
  it('black hole: the keepalive PING at 60 070 gets no ack; the transport closes T = 5 s after it', async () => {
    const r = await run('grpc-blackhole');
    // The transport is up at 20; PINGs leave I = 10 s after each ack: 10 020, 20 030, … 60 070, which
    // reaches the proxy after the cut. The client closes at 65 070 and its FIN crosses the toxic.
    expect(detections(r)).toEqual(['client closed 65070', 'server fin 65075']);
    expect(r.passed).toBe(true);
  });

  it('reset_peer: the next PING (60 070, at the proxy 60 075) closes both ends', async () => {
    const r = await run('grpc-reset');
    expect(detections(r)).toEqual(['client fin 60080', 'server fin 60075']);
    expect(r.passed).toBe(true);
  });

  it('server pause: the client’s keepalive closes at 65 070; the server learns at resume', async () => {
    const r = await run('grpc-pause');
    expect(detections(r)).toEqual(['client closed 65070', 'server fin 120000']);
    expect(r.passed).toBe(true);
  });

  it('replays exactly, HTTP/2 frames and all', async () => {
    expect((await run('grpc-blackhole', 8)).traceHash).toBe((await run('grpc-blackhole', 8)).traceHash);
  });
});

describe('NATS (nats.js 2, unmodified, against flatline’s small NATS server)', () => {
  it('black hole: the ping timer finds maxPingOut PINGs unanswered and declares the connection stale', async () => {
    const r = await run('nats-blackhole');
    // Ticks every P = 10 s from the handshake (30): PINGs at 60 030 and 70 030 go unanswered; the tick
    // at 80 030 finds 2 outstanding. The client's FIN reaches the server 5 ms later, before the
    // server's own stale check (PINGs at 60 015 and 75 015, 2 outstanding at 90 015).
    expect(detections(r)).toEqual(['client heartbeat-timeout 80030', 'server fin 80035']);
    expect(r.passed).toBe(true);
    expect((await run('nats-blackhole')).traceHash).toBe(r.traceHash);
  });

  it('reset_peer: the next chunk upstream, the client’s PONG to the server’s 60 015 PING, resets both', async () => {
    const r = await run('nats-reset');
    expect(detections(r)).toEqual(['client fin 60030', 'server fin 60025']);
    expect(r.passed).toBe(true);
  });

  it('server pause: the client’s ping timer declares the connection stale; the server learns at resume', async () => {
    const r = await run('nats-pause');
    expect(detections(r)).toEqual(['client heartbeat-timeout 80030', 'server fin 120000']);
    expect(r.passed).toBe(true);
  });
});

/** A Node-code subject whose server does `misbehave` at start; its client does nothing. */
function serverThat(name: string, misbehave: () => Promise<void>): Subject<never> {
  return {
    name,
    usesNode: true,
    async startServer(_runtime, address) {
      await misbehave();
      return { address, close: async () => {} };
    },
    async startClient() {
      return { close: async () => {} };
    },
  };
}

/** The error a socket.io-reset run with this subject ends with. */
async function failureOf(subject: Subject<never>): Promise<unknown> {
  const s = await loadScenarioFile('scenarios/libraries/socketio-reset.yaml');
  return runScenario(s, { backend: 'sim', subject }).catch((e: unknown) => e);
}

describe('library subjects: bad input', () => {
  it('a library that is not installed is named, with how to install it', async () => {
    const err = await loadLibrary('socket.io', 'socket.io-not-a-package').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SubjectError);
    expect((err as Error).message).toBe(
      'subject "socket.io" runs the library "socket.io-not-a-package", which is not installed: npm i -D socket.io-not-a-package',
    );
  });

  it('a subject that throws at start, or reaches for an unvirtualised API, is a RunError naming subject, host and call', async () => {
    const err = await failureOf(
      serverThat('udp-heartbeat', async () => {
        const dgram = await import('node:dgram');
        dgram.createSocket('udp4');
      }),
    );
    expect(err).toBeInstanceOf(RunError);
    expect((err as Error).message).toMatch(
      /subject "udp-heartbeat" failed in startServer on host "server": dgram\.createSocket\(\) on simulated host "server" would reach the real world/,
    );
  });

  it('an escape later in the run (from a timer) ends the run with the error naming call and host; exit 2', async () => {
    const err = await failureOf(
      serverThat('late-udp', async () => {
        const dgram = await import('node:dgram');
        setTimeout(() => dgram.createSocket('udp4'), 1000);
      }),
    );
    expect(err).toBeInstanceOf(VirtualEscapeError);
    expect((err as Error).message).toMatch(/^dgram\.createSocket\(\) on simulated host "server"/);
    expect(exitCodeFor(err)).toBe(EXIT.badInput);
  });

  it('an escape from a promise (nothing awaits it) still ends the run with the escape error', async () => {
    const err = await failureOf(
      serverThat('late-child', async () => {
        const cp = await import('node:child_process');
        setTimeout(() => void Promise.resolve().then(() => cp.spawn('true')), 1000);
      }),
    );
    expect(err).toBeInstanceOf(VirtualEscapeError);
    expect((err as Error).message).toMatch(/^child_process\.spawn\(\) on simulated host "server"/);
  });

  it('a library config is validated with the library’s own settings, located by path', () => {
    const bad = parseScenario({
      name: 'x',
      subject: 'socket.io',
      duration: '1m',
      config: { pingInterval: 'soon', pingTimeot: '1s' },
    });
    expect(!bad.ok && bad.issues.map((i) => i.path.join('.')).sort()).toEqual([
      'config',
      'config.pingInterval',
    ]);
  });
});
