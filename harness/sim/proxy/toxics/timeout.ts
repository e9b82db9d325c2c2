/**
 * timeout (Toxiproxy `toxics/timeout.go`): reads and drops every chunk, so the sender sees no
 * backpressure. With `timeout` > 0 the stub closes after that long with no chunk arriving (each
 * dropped chunk restarts the wait). Removing it closes the stub (`cleanupTimeout`), so removal
 * closes every connection it was on.
 */
import { afterCase, type Gen, recvCase, select } from '../csp.ts';
import type { LiveToxic, ToxicStub } from '../stub.ts';

export function* timeout(stub: ToxicStub, toxic: LiveToxic): Gen<void> {
  const ms = toxic.attributes.timeout ?? 0;
  for (;;) {
    const cases = [recvCase(stub.interrupt), recvCase(stub.input)];
    const r = ms > 0 ? yield* select(afterCase(ms), ...cases) : yield* select(...cases);
    const which = ms > 0 ? r.index : r.index + 1;
    if (which === 0) {
      stub.env.trace('proxy.timeout', { toxic: toxic.name, timeout: ms });
      stub.close();
      return;
    }
    if (which === 1) return;
    if (r.value === null) {
      stub.close();
      return;
    }
    const c = r.value as { data: Buffer };
    stub.env.trace('proxy.chunk.drop', { toxic: toxic.name, bytes: c.data.length, reason: 'timeout' });
  }
}

export function cleanupTimeout(stub: ToxicStub): void {
  stub.close();
}
