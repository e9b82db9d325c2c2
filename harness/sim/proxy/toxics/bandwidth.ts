/**
 * bandwidth (Toxiproxy `toxics/bandwidth.go`): `rate` KB/s (1 KB = 1000 B). Each chunk adds
 * len/rate to a sleep debt kept in nanoseconds, as Go's time.Duration does; a chunk larger than
 * rate×100 bytes goes out in rate×100-byte pieces every 100 ms, the rest after the remaining debt.
 * Oversleep (the virtual clock wakes on whole milliseconds) is paid back from the debt, as Go pays
 * back its timer slack, so the average rate is exact.
 *
 * `rate: 0` is Toxiproxy's quirk, kept: the loop emits an empty piece every 100 ms forever and
 * never the data, so the sender's buffers fill; an interrupt (removal) releases the held chunk.
 */
import { afterCase, type Gen, recvCase, select, send } from '../csp.ts';
import { INTERRUPTED, type LiveToxic, type ToxicStub } from '../stub.ts';

const FLUSH_TIMEOUT_MS = 5000;
const NS_PER_MS = 1_000_000;

export function* bandwidth(stub: ToxicStub, toxic: LiveToxic): Gen<void> {
  let sleepNs = 0;
  for (;;) {
    const p = yield* stub.receive();
    if (p === INTERRUPTED) return;
    if (p === null) {
      stub.close();
      return;
    }
    const rate = toxic.attributes.rate ?? 0;
    if (rate <= 0) sleepNs = 0;
    else sleepNs += Math.floor((p.data.length * NS_PER_MS) / rate);
    while (p.data.length > (toxic.attributes.rate ?? 0) * 100) {
      const piece = (toxic.attributes.rate ?? 0) * 100;
      const r = yield* select(afterCase(100), recvCase(stub.interrupt));
      if (r.index === 1) {
        yield* stub.writeOutput(p, FLUSH_TIMEOUT_MS);
        return;
      }
      yield* send(stub.output, { data: p.data.subarray(0, piece), timestamp: p.timestamp });
      p.data = p.data.subarray(piece);
      sleepNs -= 100 * NS_PER_MS;
    }
    const start = stub.now();
    const r = yield* select(afterCase(sleepNs / NS_PER_MS), recvCase(stub.interrupt));
    if (r.index === 1) {
      yield* stub.writeOutput(p, FLUSH_TIMEOUT_MS);
      return;
    }
    sleepNs -= (stub.now() - start) * NS_PER_MS;
    yield* send(stub.output, p);
  }
}
