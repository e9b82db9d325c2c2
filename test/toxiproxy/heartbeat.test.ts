/**
 * The reference heartbeat (impl/, via harness/subjects/reference.ts) on real TCP through real
 * Toxiproxy, checked against BOUNDS.md (harness/observe/bounds.ts). The subject keeps its
 * production-sized config — ping every 30 s, pong timeout 10 s — and the backend runs it at
 * timeScale 0.01, so a ping goes every 300 real ms.
 *
 * Tolerance ε = 30 real ms = 3000 scenario ms on each side of a bound: it covers the HTTP call that
 * installs or removes a toxic (the fault's onset is read before the call), Toxiproxy's goroutine
 * scheduling, and timer lateness on a shared 2-core machine. At this scale 1 real ms is 100
 * scenario ms, so that is the resolution of every measured Δ.
 */
import { expect, it } from 'vitest';
import type { ServerHandle, SubjectEvent, SubjectHandle } from '../../harness/backend.ts';
import {
  clientBlackHole,
  clientLatencyFalsePositive,
  reconnectConvergence,
  timeoutToxicRemoval,
} from '../../harness/observe/bounds.ts';
import { referenceSubject } from '../../harness/subjects/reference.ts';
import { REFERENCE_DEFAULTS, type ReferenceConfig } from '../../harness/subjects/reference-config.ts';
import type { ToxiproxyFaultProxy } from '../../harness/toxiproxy/backend.ts';
import { toxics } from '../../harness/toxiproxy/toxics.ts';
import { describeToxiproxy, useToxiproxyBackend, useToxiproxyServer } from './support.ts';

const SCALE = 0.01;
const EPSILON = 30 / SCALE;

const CONFIG: ReferenceConfig = {
  ...REFERENCE_DEFAULTS,
  interval: 30_000,
  pongTimeout: 10_000,
  missThreshold: 1,
  suspectThreshold: 1,
  keepalive: false,
  // Small waits so a reconnect test stays short: W_cap = c + J = 9 s scenario = 90 real ms.
  backoff: { policy: 'seed', base: 1000, cap: 8000, multiplier: 2, jitter: 1000 },
};

/** Records a handle's events and waits for one matching a predicate. */
class EventLog {
  readonly events: SubjectEvent[] = [];
  private waiters: { match: (e: SubjectEvent) => boolean; resolve: (e: SubjectEvent) => void }[] = [];

  constructor(handle: SubjectHandle) {
    handle.onEvent?.((event) => {
      this.events.push(event);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(event)) return true;
        w.resolve(event);
        return false;
      });
    });
  }

  /** The first matching event at or after index `from`, waiting up to `realMs`. */
  next(match: (e: SubjectEvent) => boolean, realMs: number, from = 0): Promise<SubjectEvent> {
    const seen = this.events.slice(from).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no matching event within ${realMs} real ms; got: ${this.summary()}`));
      }, realMs);
      this.waiters.push({
        match,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  count(match: (e: SubjectEvent) => boolean): number {
    return this.events.filter(match).length;
  }

  summary(): string {
    return this.events.map((e) => `${e.type}${e.reason ? `(${e.reason})` : ''}`).join(', ');
  }
}

const at = (e: SubjectEvent) => e.at as number;

describeToxiproxy('reference heartbeat through real Toxiproxy (BOUNDS.md, timeScale 0.01)', () => {
  const server = useToxiproxyServer();
  const backend = useToxiproxyBackend(server, { timeScale: SCALE });

  /** Server ← proxy ← client, the client ready; `run` gets them and everything is closed after. */
  async function withHeartbeat(
    name: string,
    run: (ctx: { proxy: ToxiproxyFaultProxy; client: EventLog; server: EventLog }) => Promise<void>,
  ): Promise<void> {
    const b = backend();
    let serverHandle: ServerHandle | undefined;
    let clientHandle: SubjectHandle | undefined;
    try {
      serverHandle = await referenceSubject.startServer(
        b.runtime('server'),
        { host: 'server', port: 0 },
        CONFIG,
      );
      const serverLog = new EventLog(serverHandle);
      const proxy = await b.createProxy({
        name,
        listen: 'proxy:0',
        upstream: `server:${serverHandle.address.port}`,
      });
      const port = Number(proxy.listen.split(':')[1]);
      clientHandle = await referenceSubject.startClient(b.runtime('client'), { host: 'proxy', port }, CONFIG);
      const clientLog = new EventLog(clientHandle);
      await clientLog.next((e) => e.type === 'ready', 2000);
      await run({ proxy, client: clientLog, server: serverLog });
    } finally {
      await clientHandle?.close();
      await serverHandle?.close();
    }
  }

  it('F5 black-hole both ways (timeout toxics, timeout 0): the client detects within [T − ρ, T − ρ + I) ± ε', async () => {
    await withHeartbeat('blackhole', async ({ proxy, client }) => {
      const b = backend();
      // Land the fault mid-cycle, half an interval after a pong: expected Δ ≈ T + I/2, away from
      // both ends of the bound.
      await client.next((e) => e.type === 'pong', 1000);
      await b.runFor(CONFIG.interval / 2);
      const mark = client.events.length;
      const f = b.now();
      await proxy.addToxic(toxics.timeout({ timeout: 0 }, { stream: 'upstream' }));
      await proxy.addToxic(toxics.timeout({ timeout: 0 }, { stream: 'downstream' }));
      const death = await client.next((e) => e.type === 'death', 2000, mark);
      expect(death.reason).toBe('heartbeat-timeout');
      const bound = clientBlackHole({
        interval: CONFIG.interval,
        pongTimeout: CONFIG.pongTimeout,
        path: { up: 0, down: 0 },
        convention: 'C1',
        missThreshold: CONFIG.missThreshold,
      });
      const delta = at(death) - f;
      expect(delta, bound.why).toBeGreaterThanOrEqual(bound.min - EPSILON);
      expect(delta, bound.why).toBeLessThanOrEqual(bound.max + EPSILON);
    });
  });

  it('F13 heal of a black-hole: removing the timeout toxics FINs the stuck attempt and the client reconnects within [H, A_max + W_cap + H] + ε', async () => {
    await withHeartbeat('heal', async ({ proxy, client }) => {
      const b = backend();
      const mark = client.events.length;
      await proxy.addToxic(toxics.timeout({ timeout: 0 }, { stream: 'upstream' }));
      await proxy.addToxic(toxics.timeout({ timeout: 0 }, { stream: 'downstream' }));
      await client.next((e) => e.type === 'death', 2000, mark);
      // Stay broken for a few failed attempts (each new connection is black-holed too).
      await b.runFor(60_000);
      expect(client.count((e) => e.type === 'ready' && e.reconnected === true)).toBe(0);
      const healMark = client.events.length;
      const h = b.now();
      await proxy.removeToxic('timeout_upstream');
      await proxy.removeToxic('timeout_downstream');
      const ready = await client.next((e) => e.type === 'ready' && e.reconnected === true, 3000, healMark);
      // A connection stuck in the black-hole at h is closed by the removal (a FIN, TOXICS.md), so the
      // attempt in flight ends at the FIN's delivery: A_max = timeoutToxicRemoval's delivery ≈ 0 + ε.
      const removal = timeoutToxicRemoval({ delivery: 0, epsilon: EPSILON });
      const bound = reconnectConvergence({ backoff: CONFIG.backoff, attemptMax: removal.max, handshake: 0 });
      const delta = at(ready) - h;
      expect(delta, bound.why).toBeGreaterThanOrEqual(bound.min);
      expect(delta, bound.why).toBeLessThanOrEqual(bound.max + EPSILON);
      // Healthy again: pongs flow on the new connection.
      await client.next((e) => e.type === 'pong' && e.conn === ready.conn, 1000);
    });
  });

  it('F13 proxy down then up (enabled false/true): FIN death at once, then a reconnect within the convergence bound', async () => {
    await withHeartbeat('down', async ({ proxy, client }) => {
      const b = backend();
      const mark = client.events.length;
      const f = b.now();
      await proxy.setEnabled(false);
      const death = await client.next((e) => e.type === 'death', 1000, mark);
      expect(['fin', 'reset']).toContain(death.reason);
      expect(at(death) - f).toBeLessThanOrEqual(EPSILON);
      await b.runFor(40_000);
      // Refused attempts while down: the client keeps backing off instead of connecting.
      expect(client.count((e) => e.type === 'attempt-failed' && e.reason === 'refused')).toBeGreaterThan(0);
      const healMark = client.events.length;
      const h = b.now();
      await proxy.setEnabled(true);
      const ready = await client.next((e) => e.type === 'ready' && e.reconnected === true, 3000, healMark);
      // Refused attempts last ≈ one loopback RTT: A_max ≈ 0 (inside ε).
      const bound = reconnectConvergence({ backoff: CONFIG.backoff, attemptMax: 0, handshake: 0 });
      const delta = at(ready) - h;
      expect(delta, bound.why).toBeGreaterThanOrEqual(bound.min);
      expect(delta, bound.why).toBeLessThanOrEqual(bound.max + EPSILON);
    });
  });

  it('latency under the client tolerance (L = 5 s < T − r): no false detection over 4 intervals', async () => {
    await withHeartbeat('slow', async ({ proxy, client }) => {
      const b = backend();
      const latency = 5000;
      const verdict = clientLatencyFalsePositive({
        pongTimeout: CONFIG.pongTimeout,
        path: { up: 0, down: 0 },
        latency,
      });
      expect(verdict.possible, verdict.why).toBe(false);
      const mark = client.events.length;
      await proxy.addToxic(toxics.latency({ latency }));
      await b.runFor(4 * CONFIG.interval);
      expect(client.count((e) => e.type === 'death')).toBe(0);
      const pongs = client.events.slice(mark).filter((e) => e.type === 'pong');
      expect(pongs.length).toBeGreaterThanOrEqual(3);
      // The pong round trip now carries the latency: r + L, within ε.
      const rtt = pongs.at(-1)!.rtt as number;
      expect(rtt).toBeGreaterThanOrEqual(latency - EPSILON);
      expect(rtt).toBeLessThanOrEqual(latency + EPSILON);
    });
  });

  it('latency over the client tolerance (L = 15 s ≥ T): a certain false detection within [T − r, T + I) ± ε', async () => {
    await withHeartbeat('too-slow', async ({ proxy, client }) => {
      const b = backend();
      const latency = 15_000;
      const verdict = clientLatencyFalsePositive({
        pongTimeout: CONFIG.pongTimeout,
        path: { up: 0, down: 0 },
        latency,
      });
      expect(verdict.certain, verdict.why).toBe(true);
      await client.next((e) => e.type === 'pong', 1000);
      await b.runFor(CONFIG.interval / 2);
      const mark = client.events.length;
      const f = b.now();
      await proxy.addToxic(toxics.latency({ latency }));
      const death = await client.next((e) => e.type === 'death', 2000, mark);
      expect(death.reason).toBe('heartbeat-timeout');
      // The first late pong is for the first ping whose pong is read by the proxy after f: a ping
      // sent at t_k ≥ f − r, detected at t_k + T; the next ping is within I.
      const delta = at(death) - f;
      expect(delta).toBeGreaterThanOrEqual(CONFIG.pongTimeout - EPSILON);
      expect(delta).toBeLessThan(CONFIG.pongTimeout + CONFIG.interval + EPSILON);
    });
  });
});
