/**
 * The Recorder observes sockets at the Runtime boundary on the simulator: what it records (with exact
 * virtual times), that the subject sees its sockets unchanged, how subject events are tied to their
 * socket (never by timestamp), teardown marking, and a dead process's sockets going silent.
 * One-way latency 5 ms: a dial at 0 connects at 10, the server accepts at 15.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Recorder } from '../../harness/observe/recorder.ts';
import { Simulation } from '../../harness/sim/simulation.ts';

let sims: Simulation[] = [];
afterEach(async () => {
  for (const s of sims) await s.close();
  sims = [];
});

function world() {
  const sim = new Simulation({ seed: 1, latency: 5 });
  sims.push(sim);
  const rec = new Recorder(() => sim.now());
  const server = rec.observe(sim.runtime('server'), 'server', 'server');
  const client = rec.observe(sim.runtime('client'), 'client', 'client');
  return { sim, rec, server, client };
}

const kinds = (rec: Recorder, conn: string) =>
  rec.events
    .filter((e) => e.conn === conn && e.kind !== 'subject')
    .map((e) => [e.t, e.kind, e.bytes ?? e.code]);

describe('Recorder: socket events at the Runtime boundary', () => {
  it('records dial, connect, bytes each way, FIN and close with exact times, on both sides', async () => {
    const { sim, rec, server, client } = world();
    const got: string[] = [];
    server.net
      .createServer((s: Socket) => {
        s.on('data', (d: Buffer) => {
          got.push(d.toString());
          s.end('bye');
        });
      })
      .listen(7000);
    const c = client.net.createConnection({ host: 'server', port: 7000 });
    c.on('connect', () => c.write('hello'));
    c.on('data', () => {});
    c.on('end', () => c.end());
    await sim.runFor(1000);
    // The subject saw its bytes unchanged.
    expect(got).toEqual(['hello']);
    expect(kinds(rec, 'client#1')).toEqual([
      [0, 'dial', undefined],
      [10, 'connect', undefined],
      [10, 'data-out', 5],
      [20, 'data-in', 3],
      [20, 'end', undefined],
      // Node ends the writable side of a socket whose peer ended, then destroys it (autoDestroy).
      [20, 'local-end', undefined],
      [20, 'local-destroy', undefined],
      [20, 'close', undefined],
    ]);
    expect(kinds(rec, 'server#1')).toEqual([
      [15, 'accept', undefined],
      [15, 'data-in', 5],
      // end('bye') writes its chunk without write(): still observed, before the FIN.
      [15, 'data-out', 3],
      [15, 'local-end', undefined],
      [25, 'end', undefined],
      [25, 'local-destroy', undefined],
      [25, 'close', undefined],
    ]);
    const c1 = rec.connections.get('client#1')!;
    const s1 = rec.connections.get('server#1')!;
    expect([c1.connected, c1.ended, c1.closed, c1.bytesOut, c1.writesOut]).toEqual([10, 20, 20, 5, 1]);
    // The server's remote end is the client's local one (what pairs them in the direct topology).
    expect([s1.remoteAddress, s1.remotePort]).toEqual([c1.localAddress, c1.localPort]);
  });

  it('an RST is recorded as error ECONNRESET; a dial that never connects has no connect', async () => {
    const { sim, rec, server, client } = world();
    server.net.createServer((s: Socket) => s.on('data', () => s.resetAndDestroy())).listen(7000);
    const c = client.net.createConnection({ host: 'server', port: 7000 });
    c.on('error', () => {});
    c.on('connect', () => c.write('x'));
    const refused = client.net.createConnection({ host: 'server', port: 7001 });
    refused.on('error', () => {});
    await sim.runFor(1000);
    expect(kinds(rec, 'client#1')).toContainEqual([20, 'error', 'ECONNRESET']);
    expect(kinds(rec, 'client#2').map((k) => k[1])).toEqual(['dial', 'error', 'close']);
    expect(rec.connections.get('client#2')!.connected).toBeUndefined();
  });
});

describe('Recorder: subject events are tied to their socket', () => {
  it('an id first reported while its socket dispatches an event resolves to that socket ever after', async () => {
    const { sim, rec, server, client } = world();
    server.net
      .createServer((s: Socket) => {
        // Reported inside the listener's 'connection': tied to the accepted socket.
        rec.subjectEvent('server', 'server', { type: 'connection', side: 'server', conn: 's#1' });
        s.on('data', () => {});
      })
      .listen(7000);
    const c = client.net.createConnection({ host: 'server', port: 7000 });
    c.on('connect', () =>
      rec.subjectEvent('client', 'client', { type: 'connected', side: 'client', conn: 'c#1' }),
    );
    await sim.runFor(100);
    // Reported from a timer, with no socket dispatching: resolved by the id learnt above.
    rec.subjectEvent('client', 'client', {
      type: 'death',
      side: 'client',
      conn: 'c#1',
      reason: 'heartbeat-timeout',
    });
    rec.subjectEvent('server', 'server', {
      type: 'death',
      side: 'server',
      conn: 's#1',
      reason: 'read-deadline',
    });
    // An id never seen with a socket stays unresolved rather than guessed.
    rec.subjectEvent('client', 'client', { type: 'connecting', side: 'client', conn: 'c#2' });
    const subject = rec.events.filter((e) => e.kind === 'subject').map((e) => [e.event?.type, e.conn]);
    expect(subject).toEqual([
      ['connected', 'client#1'],
      ['connection', 'server#1'],
      ['death', 'client#1'],
      ['death', 'server#1'],
      ['connecting', undefined],
    ]);
    expect(rec.socketOf('client', 'c#1')).toBe('client#1');
    expect(rec.socketOf('server', 's#1')).toBe('server#1');
    c.destroy();
  });
});

describe('Recorder: teardown and dead processes', () => {
  it('runEvents() stops at markTeardown(); processDied() returns the open sockets and silences them', async () => {
    const { sim, rec, server, client } = world();
    server.net.createServer((s: Socket) => s.on('data', () => {})).listen(7000);
    const c = client.net.createConnection({ host: 'server', port: 7000 });
    c.on('error', () => {});
    await sim.runFor(100);
    const before = rec.events.length;
    rec.markTeardown();
    const open = rec.processDied('client');
    expect(open).toEqual([c]);
    c.destroy();
    await sim.runFor(100);
    expect(rec.runEvents().length).toBe(before);
    // The client's own close after its death is not observed; the server still sees its FIN (and
    // closes in turn: Node ends a socket whose peer ended unless allowHalfOpen).
    expect(rec.events.slice(before).map((e) => [e.conn, e.kind])).toEqual([
      ['server#1', 'end'],
      ['server#1', 'local-end'],
      ['server#1', 'local-destroy'],
      ['server#1', 'close'],
    ]);
  });
});
