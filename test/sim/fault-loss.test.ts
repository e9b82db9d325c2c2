/**
 * Random loss on a link (direct topology): "loss seen as retransmission delay" (ARCHITECTURE.md).
 * Each packet sent in a covered direction is lost with the fault's probability, drawn from the
 * seeded generator at send time (C2), and TCP recovers through its retransmission timer: RTO =
 * srtt + max(200 ms, 4·rttvar) (RFC 6298 with Linux's floor), doubling while the segment keeps being
 * lost. With 5 ms each way the handshake gives both ends srtt 10, rttvar 5, so RTO = 210 ms.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SimError, type Simulation } from '../../harness/sim/index.ts';
import { type EchoPair, echoPair } from './helpers.ts';

let sims: Simulation[] = [];
afterEach(async () => {
  for (const s of sims) await s.close();
  sims = [];
});

/** Echo server; the client is connected from 10 ms on; `got`/`clientGot` record arrivals. */
async function setup(seed = 1): Promise<EchoPair> {
  const e = await echoPair({ seed });
  sims.push(e.p.sim);
  return e;
}

function traced(sim: Simulation, kind: string, src?: string): string[] {
  return sim.trace
    .events()
    .filter((e) => e.kind === kind && (src === undefined || e.src === src))
    .map((e) => `${e.t}${e.reason === undefined ? '' : ` ${e.reason}`}`);
}

describe('loss: a lost segment arrives one RTO later', () => {
  it('client->server, lost once: resent at 2000 + RTO 210, delivered 5 ms later; the drop is traced at send time', async () => {
    const { p, client, got, clientGot } = await setup();
    const h = p.sim.faults.loss('client', 'server', { direction: 'a->b', probability: 1 });
    expect(h.convention).toBe('C2');
    client.write('a');
    await p.sim.runFor(100);
    h.heal();
    await p.sim.runFor(1000);
    expect(traced(p.sim, 'data', 'client:32768')).toEqual(['2000', '2210']);
    expect(traced(p.sim, 'drop')).toEqual(['2000 loss']);
    expect(got).toEqual(['2215 a']);
    expect(clientGot).toEqual(['2220 echo-a']);
  });

  it('lost again and again: the RTO doubles (210, 420) until a retransmission falls after the heal', async () => {
    const { p, client, got } = await setup();
    const h = p.sim.faults.loss('client', 'server', { direction: 'a->b', probability: 1 });
    client.write('a');
    await p.sim.runFor(500);
    h.heal();
    await p.sim.runFor(1000);
    expect(traced(p.sim, 'data', 'client:32768')).toEqual(['2000', '2210', '2630']);
    expect(traced(p.sim, 'drop')).toEqual(['2000 loss', '2210 loss']);
    expect(got).toEqual(['2635 a']);
  });

  it('server->client: the echo (carrying the ACK) is lost; the server resends it one RTO later (its RTT sample is the SYN-ACK, as in Linux), the client its data too', async () => {
    const { p, client, got, clientGot } = await setup();
    client.write('a');
    await p.sim.runFor(3); // 2003: 'a' is on its way (arrives 2005) and the echo leaves at 2005
    const h = p.sim.faults.loss('client', 'server', { direction: 'b->a', probability: 1 });
    await p.sim.runFor(97);
    h.heal();
    await p.sim.runFor(1000);
    expect(got).toEqual(['2005 a']);
    expect(traced(p.sim, 'drop')).toEqual(['2005 loss']);
    // Both ends' timers: the server's (armed at 2005, first at 2215) resends the echo; the client's
    // (armed at 2000) resends 'a', a duplicate the server acknowledges and ignores.
    expect(traced(p.sim, 'data', 'server:80')).toEqual(['2005', '2215']);
    expect(traced(p.sim, 'data', 'client:32768')).toEqual(['2000', '2210']);
    expect(clientGot).toEqual(['2220 echo-a']);
  });

  it('C2: a packet already on the wire at the onset still arrives', async () => {
    const { p, client, got } = await setup();
    client.write('a');
    await p.sim.runFor(1);
    const h = p.sim.faults.loss('client', 'server', { probability: 1 });
    await p.sim.runFor(10);
    expect(got).toEqual(['2005 a']);
    h.heal();
  });

  it('rtoMin (the route’s rto_min, scenario retransmitAfter) replaces the 200 ms floor from the next RTT sample on', async () => {
    const { p, client, got } = await setup();
    // A route with rto_min 50 ms that loses nothing, then a sample: 'x' at 2000, its ACK (on the echo)
    // at 2010: srtt 10, rttvar 3.75 → RTO = ⌈10 + max(50, 15)⌉ = 60.
    const route = p.sim.faults.loss('client', 'server', { probability: 0, rtoMin: 50 });
    client.write('x');
    await p.sim.runFor(1000);
    const cut = p.sim.faults.loss('client', 'server', { direction: 'a->b', probability: 1 });
    client.write('a');
    await p.sim.runFor(30);
    cut.heal();
    await p.sim.runFor(1000);
    expect(traced(p.sim, 'data', 'client:32768')).toEqual(['2000', '3000', '3060']);
    expect(got).toEqual(['2005 x', '3065 a']);
    route.heal();
  });
});

describe('loss: seeded, so a run replays; TCP delivers everything in order', () => {
  /** 200 ten-byte messages every 50 ms over a link losing 20 % each way. */
  async function lossyRun(seed: number) {
    const { p, client, got, clientGot } = await setup(seed);
    const h = p.sim.faults.loss('client', 'server', { probability: 0.2 });
    const sent: string[] = [];
    for (let i = 0; i < 200; i++) {
      const m = `m${String(i).padStart(8, '0')}`;
      sent.push(m);
      client.write(m);
      await p.sim.runFor(50);
    }
    // Losses continue to the end: the last segments are recovered by retransmission, not by the heal.
    await p.sim.runFor(60_000);
    h.heal();
    const drops = traced(p.sim, 'drop');
    const dataSent = traced(p.sim, 'data').length;
    return { p, sent, got, clientGot, drops, dataSent, hash: p.sim.trace.hash() };
  }

  it('every byte arrives once and in order despite 20 % loss both ways (go-back-N on the RTO)', async () => {
    const r = await lossyRun(7);
    const text = (xs: string[]) => xs.map((x) => x.slice(x.indexOf(' ') + 1)).join('');
    expect(text(r.got)).toBe(r.sent.join(''));
    expect(text(r.clientGot)).toBe(r.sent.map((m) => `echo-${m}`).join(''));
    // Losses hit data and ACKs alike; about one packet in five of those sent is lost.
    expect(r.drops.every((d) => d.endsWith(' loss'))).toBe(true);
    const total = r.p.sim.stats().packets;
    expect(r.drops.length / total).toBeGreaterThan(0.15);
    expect(r.drops.length / total).toBeLessThan(0.25);
    // Recovery resends segments: more data packets than the 400 messages and echoes.
    expect(r.dataSent).toBeGreaterThan(400);
  });

  it('the same seed gives the same losses and trace hash; another seed other losses', async () => {
    const a = await lossyRun(7);
    const b = await lossyRun(7);
    const c = await lossyRun(8);
    expect(b.drops).toEqual(a.drops);
    expect(b.hash).toBe(a.hash);
    expect(c.drops).not.toEqual(a.drops);
    expect(c.hash).not.toBe(a.hash);
  });
});

describe('loss: the fault itself', () => {
  it('is traced on and off; heal twice does nothing; only the covered direction loses', async () => {
    const { p, client, got, clientGot } = await setup();
    const h = p.sim.faults.loss('client', 'server', { direction: 'b->a', probability: 1, rtoMin: 300 });
    client.write('a');
    await p.sim.runFor(100);
    h.heal();
    h.heal();
    await p.sim.runFor(2000);
    const faults = p.sim.trace
      .events()
      .filter((e) => e.kind.startsWith('fault.'))
      .map(({ seq: _seq, ...e }) => e);
    expect(faults).toEqual([
      {
        t: 2000,
        kind: 'fault.on',
        fault: 'loss',
        a: 'client',
        b: 'server',
        direction: 'b->a',
        probability: 1,
        rtoMin: 300,
      },
      { t: 2100, kind: 'fault.off', fault: 'loss', a: 'client', b: 'server' },
    ]);
    expect(got).toEqual(['2005 a']);
    // The echo left at 2005 and was lost; the server's timer (RTO 210: the new floor needs a sample
    // first) resends it at 2215.
    expect(clientGot).toEqual(['2220 echo-a']);
  });

  it('bad input is a SimError naming the problem', async () => {
    const { p } = await setup();
    const bad: [() => unknown, RegExp][] = [
      [
        () => p.sim.faults.loss('client', 'server', { probability: 1.5 }),
        /probability must be a number in \[0, 1\], got 1.5/,
      ],
      [() => p.sim.faults.loss('client', 'server', { probability: Number.NaN }), /probability/],
      [
        () => p.sim.faults.loss('client', 'server', undefined as never),
        /options \{ probability \} are required/,
      ],
      [() => p.sim.faults.loss('client', 'client', { probability: 0.1 }), /different hosts/],
      [() => p.sim.faults.loss('client', 'ghost', { probability: 0.1 }), /unknown host 'ghost'/],
      [
        () => p.sim.faults.loss('client', 'server', { probability: 0.1, direction: 'up' as never }),
        /direction must be 'both', 'a->b' or 'b->a', got 'up'/,
      ],
      [
        () => p.sim.faults.loss('client', 'server', { probability: 0.1, rtoMin: -1 }),
        /rtoMin must be a finite number of ms >= 0/,
      ],
    ];
    for (const [fn, message] of bad) {
      expect(fn).toThrow(SimError);
      expect(fn).toThrow(message);
    }
  });
});
