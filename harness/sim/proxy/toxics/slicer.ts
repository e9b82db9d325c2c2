/**
 * slicer (Toxiproxy `toxics/slicer.go`): splits each chunk recursively in halves, the midpoint moved
 * by up to ±size_variation, until every piece is ≤ average_size + size_variation, and waits `delay`
 * µs after each piece. Pieces keep their order and the chunk's stamp.
 *
 * The virtual clock wakes on whole milliseconds, so the waits are kept exact in µs across a chunk
 * and each piece leaves at the first whole millisecond at or after its exact due time.
 */
import { afterCase, type Gen, recvCase, select, send } from '../csp.ts';
import { INTERRUPTED, type LiveToxic, type ToxicStub } from '../stub.ts';

/** Go's `chunk(start, end)`: offsets [s0, e0, s1, e1, …] of the pieces. */
export function sliceOffsets(
  start: number,
  end: number,
  averageSize: number,
  sizeVariation: number,
  random: () => number,
): number[] {
  if (end - start - averageSize <= sizeVariation) return [start, end];
  let mid = start + Math.trunc((end - start) / 2);
  if (sizeVariation > 0) mid += Math.floor(random() * sizeVariation * 2) - sizeVariation;
  return [
    ...sliceOffsets(start, mid, averageSize, sizeVariation, random),
    ...sliceOffsets(mid, end, averageSize, sizeVariation, random),
  ];
}

export function* slicer(stub: ToxicStub, toxic: LiveToxic): Gen<void> {
  for (;;) {
    const c = yield* stub.receive();
    if (c === INTERRUPTED) return;
    if (c === null) {
      stub.close();
      return;
    }
    const { average_size = 0, size_variation = 0 } = toxic.attributes;
    const offsets = sliceOffsets(0, c.data.length, average_size, size_variation, () => stub.env.random());
    // The schedule in whole µs, so many small delays add up without float drift.
    let dueUs = Math.round(stub.now() * 1000);
    for (let i = 1; i < offsets.length; i += 2) {
      const before = stub.now();
      yield* send(stub.output, { data: c.data.subarray(offsets[i - 1], offsets[i]), timestamp: c.timestamp });
      // A send that had to wait restarts the schedule from its completion, as Go's next sleep would.
      if (stub.now() !== before) dueUs = Math.round(stub.now() * 1000);
      dueUs += toxic.attributes.delay ?? 0;
      const r = yield* select(
        recvCase(stub.interrupt),
        afterCase((dueUs - Math.round(stub.now() * 1000)) / 1000),
      );
      if (r.index === 0) {
        yield* send(stub.output, { data: c.data.subarray(offsets[i]), timestamp: c.timestamp });
        return;
      }
    }
  }
}
