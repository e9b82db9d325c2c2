/** noop (Toxiproxy `toxics/noop.go`): passes every chunk through. Also what a stub runs when toxicity rolls against the toxic. */
import { type Gen, send } from '../csp.ts';
import { INTERRUPTED, type ToxicStub } from '../stub.ts';

export function* noop(stub: ToxicStub): Gen<void> {
  for (;;) {
    const c = yield* stub.receive();
    if (c === INTERRUPTED) return;
    if (c === null) {
      stub.close();
      return;
    }
    yield* send(stub.output, c);
  }
}
