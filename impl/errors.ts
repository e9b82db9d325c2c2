/** Typed errors of the reference implementation. Each names what went wrong and where. */

/** A configuration value is missing, of the wrong type or out of range. `field` is its dotted path. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly field: string,
    readonly problem: string,
    readonly value: unknown,
    readonly where: string,
  ) {
    super(`${where} config: "${field}" ${problem}, got ${describe(value)}`);
  }
}

/** Why a received byte stream was rejected; the connection carrying it is closed. */
export type ProtocolErrorKind =
  | 'oversized'
  | 'malformed'
  | 'unknown-type'
  | 'version-mismatch'
  | 'unexpected';

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly kind: ProtocolErrorKind,
    detail: string,
  ) {
    super(`${kind}: ${detail}`);
  }
}

/** A frame we were asked to send is larger than the negotiated maximum (ours or the peer's). */
export class FrameTooLargeError extends Error {
  override readonly name = 'FrameTooLargeError';
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`frame of ${bytes} bytes exceeds the maximum frame size of ${limit} bytes`);
  }
}

/** An operation was called in a state that does not allow it (e.g. listen() twice). */
export class StateError extends Error {
  override readonly name = 'StateError';
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
