/**
 * reset_peer (Toxiproxy `toxics/reset_peer.go`): waits for the first chunk or EOF, drops it, sleeps
 * `timeout` ms without reading (so the sender meets backpressure, and nothing interrupts the sleep),
 * then closes the stub. The close is an RST only if the connection was accepted while a reset_peer
 * toxic existed (the link sets linger 0 at accept); otherwise it is a FIN.
 */
import { type Gen, recvCase, select, sleep } from '../csp.ts';
import type { Chunk, LiveToxic, ToxicStub } from '../stub.ts';

export function* resetPeer(stub: ToxicStub, toxic: LiveToxic): Gen<void> {
  const ms = toxic.attributes.timeout ?? 0;
  const r = yield* select(recvCase(stub.interrupt), recvCase(stub.input));
  if (r.index === 0) return;
  const c = r.value as Chunk | null;
  stub.env.trace('proxy.chunk.drop', {
    toxic: toxic.name,
    bytes: c === null ? 0 : c.data.length,
    reason: c === null ? 'reset_peer_eof' : 'reset_peer',
  });
  yield* sleep(ms);
  stub.close();
}
