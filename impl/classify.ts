/**
 * F15: failure classification. Every death of an established connection and every failed connect
 * attempt carries one of these reasons, so logs, events and the harness can tell them apart.
 */

/** Why an established connection died. */
export type DeathReason =
  /** The peer closed gracefully: FIN, Node's 'end'. */
  | 'fin'
  /** The peer (or a middlebox) reset the connection: RST, ECONNRESET. */
  | 'reset'
  /** `missThreshold` consecutive pings went unanswered (F5, F12), or F11's reverse check. */
  | 'heartbeat-timeout'
  /**
   * Nothing received for the read deadline (F4); on the server also a hello or another frame still
   * unfinished `helloTimeout` / `frameTimeout` after its first byte (a slowloris peer).
   */
  | 'read-deadline'
  /** A heartbeat write was still unflushed at its deadline (F2). */
  | 'write-deadline'
  /** A write failed: EPIPE, write after end (F2). */
  | 'write-error'
  /**
   * The peer does not read what this side sends (server): more than `maxQueuedBytes` queued for it,
   * or the bytes queued when reading from it was paused still unflushed after the write deadline.
   */
  | 'backpressure'
  /** The OS gave up on the connection: ETIMEDOUT from keepalive probes or retransmissions (F7). */
  | 'keepalive'
  /** The peer sent a malformed, oversized, unknown or out-of-order frame, or another version. */
  | 'protocol-error'
  /** The network reported the peer unreachable. */
  | 'unreachable'
  /** Any other socket error; the error code is kept in the death's `err`. */
  | 'socket-error'
  /** The socket closed without FIN, RST or error reaching us (e.g. destroyed underneath us). */
  | 'closed'
  /** A bug on this side (an event listener threw while a frame was handled); logged with its stack. */
  | 'internal-error';

export const DEATH_REASONS: readonly DeathReason[] = [
  'fin',
  'reset',
  'heartbeat-timeout',
  'read-deadline',
  'write-deadline',
  'write-error',
  'backpressure',
  'keepalive',
  'protocol-error',
  'unreachable',
  'socket-error',
  'closed',
  'internal-error',
];

/** Why a connect attempt failed before the connection was established. */
export type AttemptFailure =
  | 'refused'
  | 'connect-timeout'
  | 'unreachable'
  | 'dns'
  | 'reset'
  | 'socket-error'
  | 'closed';

/** Why a connection was closed on purpose by this side: not a death. */
export type CloseReason = 'local' | 'shutdown' | 'connection-limit';

export interface ErrorInfo {
  code?: string;
  message: string;
}

export function errorInfo(err: unknown): ErrorInfo {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === undefined ? { message: err.message } : { code, message: err.message };
  }
  return { message: String(err) };
}

/** Classifies a socket error on an established connection. */
export function deathReasonFor(err: unknown, duringWrite = false): DeathReason {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ECONNRESET':
    case 'ECONNABORTED':
      return 'reset';
    case 'EPIPE':
    case 'ERR_STREAM_WRITE_AFTER_END':
    case 'ERR_STREAM_DESTROYED':
      return 'write-error';
    case 'ETIMEDOUT':
      return 'keepalive';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
      return 'unreachable';
    default:
      return duringWrite ? 'write-error' : 'socket-error';
  }
}

/** Classifies an error raised while connecting. */
export function attemptFailureFor(err: unknown): AttemptFailure {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ETIMEDOUT':
      return 'connect-timeout';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
      return 'unreachable';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'dns';
    case 'ECONNRESET':
    case 'ECONNABORTED':
      return 'reset';
    default:
      return 'socket-error';
  }
}
