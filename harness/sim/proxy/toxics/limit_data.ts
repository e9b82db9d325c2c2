/**
 * limit_data (Toxiproxy `toxics/limit_data.go`): passes data until the connection's count (kept per
 * stub across re-runs) reaches `bytes`, cutting the crossing chunk short, then closes the stub.
 * With `bytes: 0` it closes when the first chunk arrives.
 */
import { type Gen, send } from '../csp.ts';
import { INTERRUPTED, type LiveToxic, type ToxicStub } from '../stub.ts';

export interface LimitDataState {
  bytesTransmitted: number;
}

export function newLimitDataState(): LimitDataState {
  return { bytesTransmitted: 0 };
}

export function* limitData(stub: ToxicStub, toxic: LiveToxic): Gen<void> {
  const state = stub.state as LimitDataState;
  let remaining = (toxic.attributes.bytes ?? 0) - state.bytesTransmitted;
  for (;;) {
    let c = yield* stub.receive();
    if (c === INTERRUPTED) return;
    if (c === null) {
      stub.close();
      return;
    }
    if (remaining < 0) remaining = 0;
    if (remaining < c.data.length) {
      stub.env.trace('proxy.chunk.cut', {
        toxic: toxic.name,
        bytes: c.data.length,
        passed: remaining,
      });
      c = { timestamp: c.timestamp, data: c.data.subarray(0, remaining) };
    }
    if (c.data.length > 0) {
      yield* send(stub.output, c);
      state.bytesTransmitted += c.data.length;
    }
    remaining = (toxic.attributes.bytes ?? 0) - state.bytesTransmitted;
    if (remaining <= 0) {
      stub.close();
      return;
    }
  }
}
