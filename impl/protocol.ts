/**
 * The wire protocol (impl/PROTOCOL.md): newline-delimited JSON, one object per frame.
 * Encoding, a streaming decoder that enforces the maximum frame size, and message validation.
 */
import { FrameTooLargeError, ProtocolError } from './errors.ts';

export const PROTOCOL_VERSION = 1;
export const DEFAULT_MAX_FRAME_BYTES = 65_536;
/** No peer may ask for frames smaller than this: a hello must always fit. */
export const MIN_MAX_FRAME_BYTES = 512;

export type Role = 'client' | 'server';

/** First frame in each direction: the protocol version and the sender's heartbeat settings. */
export interface Hello {
  type: 'hello';
  v: number;
  role: Role;
  /** The sender's connection id, for correlating both sides' logs. */
  id: string;
  /** The sender's ping interval; 0 = it does not ping. */
  interval: number;
  pongTimeout: number;
  /** The sender's read deadline; 0 = none. */
  readDeadline: number;
  missThreshold: number;
  /** The largest frame the sender accepts, newline excluded. */
  maxFrame: number;
}

/** F9: a heartbeat. `probe` marks the extra ping sent on entering SUSPECT (F11). */
export interface Ping {
  type: 'ping';
  seq: number;
  timestamp: number;
  interval: number;
  probe?: boolean;
}

/** The answer to a ping: echoes its `seq` and `timestamp` so the pinger can compute RTT. */
export interface Pong {
  type: 'pong';
  seq: number;
  timestamp: number;
  echo: number;
  interval: number;
}

/** Business data (F6): any JSON value. */
export interface Data {
  type: 'data';
  payload: unknown;
}

/** A courtesy notice sent just before a deliberate close (shutdown, limit, protocol error). */
export interface Bye {
  type: 'bye';
  reason: string;
}

export type Message = Hello | Ping | Pong | Data | Bye;
export type MessageType = Message['type'];
export const MESSAGE_TYPES: readonly MessageType[] = ['hello', 'ping', 'pong', 'data', 'bye'];

/** Serialises a message to one frame, refusing frames the receiver would reject. */
export function encodeFrame(message: Message, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > maxFrameBytes) throw new FrameTooLargeError(body.length, maxFrameBytes);
  const frame = Buffer.allocUnsafe(body.length + 1);
  body.copy(frame);
  frame[body.length] = 0x0a;
  return frame;
}

export interface DecodedFrame {
  message: Message;
  /** Bytes on the wire, newline included (F20 counters). */
  bytes: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Splits a byte stream into frames. An incomplete frame is buffered, but never beyond
 * `maxFrameBytes`: an over-long line is rejected as soon as it is known to be too long, so a peer
 * cannot make us buffer without bound.
 */
export class FrameDecoder {
  private parts: Buffer[] = [];
  private pending = 0;

  constructor(readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** Yields each complete frame in `chunk`; throws ProtocolError at the first bad one. */
  *push(chunk: Buffer): Generator<DecodedFrame> {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      const size = this.pending + (end - start);
      if (size > this.maxFrameBytes) {
        this.reset();
        throw new ProtocolError(
          'oversized',
          `frame exceeds ${this.maxFrameBytes} bytes (${size}${nl === -1 ? '+' : ''} bytes without a newline)`,
        );
      }
      const piece = chunk.subarray(start, end);
      if (nl === -1) {
        // Copy: the caller may reuse its buffer.
        this.parts.push(Buffer.from(piece));
        this.pending = size;
        return;
      }
      const frame = this.pending === 0 ? piece : Buffer.concat([...this.parts, piece], size);
      this.reset();
      start = nl + 1;
      yield { message: parseFrame(frame), bytes: size + 1 };
    }
  }

  /** Bytes of an incomplete frame waiting for its newline. */
  get buffered(): number {
    return this.pending;
  }

  private reset(): void {
    this.parts = [];
    this.pending = 0;
  }
}

/** Parses and validates one frame body (newline excluded). */
export function parseFrame(frame: Uint8Array): Message {
  let text: string;
  try {
    text = utf8.decode(frame);
  } catch {
    throw new ProtocolError('malformed', 'frame is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ProtocolError('malformed', `frame is not JSON (${(err as Error).message}): ${preview(text)}`);
  }
  return validateMessage(value);
}

/** Checks a parsed value against the message schemas; unknown fields are ignored (PROTOCOL.md). */
export function validateMessage(value: unknown): Message {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ProtocolError('malformed', 'frame is not a JSON object');
  }
  const m = value as Record<string, unknown>;
  if (typeof m.type !== 'string') throw new ProtocolError('malformed', 'frame has no string "type"');
  switch (m.type) {
    case 'hello': {
      // The version is checked before anything else: a future version may change every other field.
      if (!isCount(m.v)) throw new ProtocolError('malformed', 'hello.v must be a non-negative integer');
      if (m.v !== PROTOCOL_VERSION) {
        throw new ProtocolError(
          'version-mismatch',
          `peer speaks v${m.v}, this side speaks v${PROTOCOL_VERSION}`,
        );
      }
      if (m.role !== 'client' && m.role !== 'server') {
        throw new ProtocolError('malformed', 'hello.role must be "client" or "server"');
      }
      if (typeof m.id !== 'string' || m.id.length === 0 || m.id.length > 128) {
        throw new ProtocolError('malformed', 'hello.id must be a string of 1–128 characters');
      }
      for (const key of ['interval', 'pongTimeout', 'readDeadline', 'missThreshold'] as const) {
        if (!isCount(m[key]))
          throw new ProtocolError('malformed', `hello.${key} must be a non-negative integer`);
      }
      if (!isCount(m.maxFrame) || m.maxFrame < MIN_MAX_FRAME_BYTES) {
        throw new ProtocolError('malformed', `hello.maxFrame must be an integer ≥ ${MIN_MAX_FRAME_BYTES}`);
      }
      return {
        type: 'hello',
        v: m.v,
        role: m.role,
        id: m.id,
        interval: m.interval as number,
        pongTimeout: m.pongTimeout as number,
        readDeadline: m.readDeadline as number,
        missThreshold: m.missThreshold as number,
        maxFrame: m.maxFrame,
      };
    }
    case 'ping': {
      requireCount(m, 'ping', 'seq');
      requireTimestamp(m, 'ping', 'timestamp');
      requireCount(m, 'ping', 'interval');
      if (m.probe !== undefined && typeof m.probe !== 'boolean') {
        throw new ProtocolError('malformed', 'ping.probe must be a boolean when present');
      }
      const ping: Ping = {
        type: 'ping',
        seq: m.seq as number,
        timestamp: m.timestamp as number,
        interval: m.interval as number,
      };
      if (m.probe) ping.probe = true;
      return ping;
    }
    case 'pong':
      requireCount(m, 'pong', 'seq');
      requireTimestamp(m, 'pong', 'timestamp');
      requireTimestamp(m, 'pong', 'echo');
      requireCount(m, 'pong', 'interval');
      return {
        type: 'pong',
        seq: m.seq as number,
        timestamp: m.timestamp as number,
        echo: m.echo as number,
        interval: m.interval as number,
      };
    case 'data':
      if (!('payload' in m)) throw new ProtocolError('malformed', 'data frame has no "payload"');
      return { type: 'data', payload: m.payload };
    case 'bye':
      if (typeof m.reason !== 'string') throw new ProtocolError('malformed', 'bye.reason must be a string');
      return { type: 'bye', reason: m.reason.slice(0, 200) };
    default:
      throw new ProtocolError('unknown-type', `unknown frame type ${JSON.stringify(m.type.slice(0, 40))}`);
  }
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function requireCount(m: Record<string, unknown>, type: string, key: string): void {
  if (!isCount(m[key])) throw new ProtocolError('malformed', `${type}.${key} must be a non-negative integer`);
}

function requireTimestamp(m: Record<string, unknown>, type: string, key: string): void {
  const v = m[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ProtocolError('malformed', `${type}.${key} must be a finite number (ms)`);
  }
}

function preview(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}
