/** slow_close (Toxiproxy `toxics/slow_close.go`): data passes; the close (EOF) is forwarded `delay` ms after it arrives. */
import { afterCase, type Gen, recvCase, select, send } from '../csp.ts';
import { INTERRUPTED, type LiveToxic, type ToxicStub } from '../stub.ts';

export function* slowClose(stub: ToxicStub, toxic: LiveToxic): Gen<void> {
  for (;;) {
    const c = yield* stub.receive();
    if (c === INTERRUPTED) return;
    if (c === null) {
      const r = yield* select(afterCase(toxic.attributes.delay ?? 0), recvCase(stub.interrupt));
      if (r.index === 0) stub.close();
      return;
    }
    yield* send(stub.output, c);
  }
}
