/**
 * latency (Toxiproxy `toxics/latency.go`): each chunk leaves `latency ± jitter` ms after it was
 * read. One chunk at a time, so a late chunk holds back the ones behind it (strictly FIFO). An
 * interrupt (update, removal, a toxic added after this one) sends the held chunk at once.
 */
import { afterCase, type Gen, recvCase, select, send } from '../csp.ts';
import { INTERRUPTED, type LiveToxic, type ToxicStub } from '../stub.ts';

export const LATENCY_BUFFER = 1024;

/** Go's `Latency + rand.Int63n(2*Jitter) - Jitter`: an integer in [latency−jitter, latency+jitter−1]. */
function delay(toxic: LiveToxic, random: () => number): number {
  const { latency = 0, jitter = 0 } = toxic.attributes;
  if (jitter <= 0) return latency;
  return latency + Math.floor(random() * 2 * jitter) - jitter;
}

export function* latency(stub: ToxicStub, toxic: LiveToxic): Gen<void> {
  for (;;) {
    const c = yield* stub.receive();
    if (c === INTERRUPTED) return;
    if (c === null) {
      stub.close();
      return;
    }
    const d = delay(toxic, () => stub.env.random());
    const sleep = d - (stub.now() - c.timestamp);
    stub.env.trace('proxy.chunk.delay', { toxic: toxic.name, bytes: c.data.length, delay: d, sleep });
    const r = yield* select(afterCase(sleep), recvCase(stub.interrupt));
    if (r.index === 0) {
      // Toxiproxy moves the stamp by the sleep, not to the send time; a later latency toxic counts from it.
      c.timestamp += sleep;
      yield* send(stub.output, c);
    } else {
      yield* send(stub.output, c);
      return;
    }
  }
}
