/** The toxic registry (Toxiproxy's `toxics.Register`): each type's pipe, input buffer, per-connection state and cleanup. */
import type { ToxicType } from '../../../toxics/vocabulary.ts';
import type { Pipe, ToxicStub } from '../stub.ts';
import { bandwidth } from './bandwidth.ts';
import { LATENCY_BUFFER, latency } from './latency.ts';
import { limitData, newLimitDataState } from './limit_data.ts';
import { noop } from './noop.ts';
import { resetPeer } from './reset_peer.ts';
import { slicer } from './slicer.ts';
import { slowClose } from './slow_close.ts';
import { cleanupTimeout, timeout } from './timeout.ts';

export interface ToxicKind {
  pipe: Pipe;
  /** Capacity of the channel feeding this toxic (Go's BufferedToxic). */
  bufferSize: number;
  /** Per-connection state, created when the link starts or the toxic is added (Go's StatefulToxic). */
  newState?: () => unknown;
  /** Runs before removal (Go's CleanupToxic). */
  cleanup?: (stub: ToxicStub) => void;
}

export const TOXIC_KINDS: Record<ToxicType, ToxicKind> = {
  latency: { pipe: latency, bufferSize: LATENCY_BUFFER },
  bandwidth: { pipe: bandwidth, bufferSize: 0 },
  slow_close: { pipe: slowClose, bufferSize: 0 },
  timeout: { pipe: timeout, bufferSize: 0, cleanup: cleanupTimeout },
  reset_peer: { pipe: resetPeer, bufferSize: 0 },
  slicer: { pipe: slicer, bufferSize: 0 },
  limit_data: { pipe: limitData, bufferSize: 0, newState: newLimitDataState },
  noop: { pipe: noop, bufferSize: 0 },
};

export { noop };
