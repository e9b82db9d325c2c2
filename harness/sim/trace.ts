/**
 * The network trace of a run: every event with its virtual timestamp, and a sha256 over a canonical
 * serialization of the events in order. The hash is fed incrementally (events are serialized as they
 * happen and hashed in batches, which gives the same digest as hashing them one by one), so a run
 * with `retainTrace: false` keeps only the digest state and its memory stays flat.
 *
 * The hashed text is each event's line followed by a newline, UTF-8 encoded. Packet lines, the bulk
 * of a trace, are written as those UTF-8 bytes straight into a batch buffer (no string is built):
 * the same bytes, so the same digest, as serializing them as strings first.
 */

import { isAscii } from 'node:buffer';
import { createHash, type Hash } from 'node:crypto';

export type TraceValue = string | number | boolean | null | undefined;

/** What a component records: a kind (`syn`, `data`, `drop`, `fault.on`, `proxy.toxic.add`…) and flat fields. */
export interface TraceEventInput {
  kind: string;
  [field: string]: TraceValue;
}

/** A recorded event: the input plus its virtual time `t` (ms) and its position `seq` in the run. */
export interface TraceEvent extends TraceEventInput {
  t: number;
  seq: number;
}

/** Bytes hashed per batch. */
const BATCH = 65_536;
const ascii = (text: string): Uint8Array => Buffer.from(text, 'latin1');
const KIND_OPEN = ascii(',"kind":"');
const SRC_OPEN = ascii('","src":');
const DST_OPEN = ascii(',"dst":');
const BYTES_OPEN = ascii(',"bytes":');
const NL = 0x0a;
const CLOSE_BRACE = 0x7d;
const SPACE = 0x20;

/**
 * The bytes a latin1-decoded payload has once UTF-8 encoded (how the payload enters the hash): the
 * payload itself when it is ASCII, else each byte ≥ 0x80 as two bytes.
 */
function payloadUtf8Length(data: Buffer): number {
  if (isAscii(data)) return data.length;
  let n = data.length;
  for (let i = 0; i < data.length; i++) if ((data[i] as number) >= 0x80) n++;
  return n;
}

export class Trace {
  private readonly sha: Hash = createHash('sha256');
  /** Serialized events not yet fed to the hash (hashed in batches: same digest, less work). */
  private readonly buf = Buffer.allocUnsafe(BATCH);
  private at = 0;
  private readonly kept: TraceEvent[] | null;
  /** Events recorded so far (kept or not). */
  count = 0;

  constructor(
    private readonly now: () => number,
    retain: boolean,
  ) {
    this.kept = retain ? [] : null;
  }

  get retained(): boolean {
    return this.kept !== null;
  }

  /**
   * Records one event at the current virtual time. The canonical form is the JSON of
   * `{t, kind, ...fields}` in insertion order, one line per event; `undefined` fields are left out.
   */
  record(e: TraceEventInput): void {
    const t = this.now();
    const event = { t, ...e } as TraceEvent;
    this.text(`${JSON.stringify(event)}\n`);
    this.keep(event);
  }

  /**
   * The middle of a packet's line, `,"kind":"…","src":…,"dst":…`, as UTF-8 bytes (`srcJson`/`dstJson`
   * are the labels' JSON string literals, UTF-8 encoded). Callers keep it per connection and kind.
   */
  packetHead(kind: string, srcJson: Uint8Array, dstJson: Uint8Array): Uint8Array {
    const head = Buffer.allocUnsafe(
      KIND_OPEN.length +
        kind.length * 3 +
        SRC_OPEN.length +
        srcJson.length +
        DST_OPEN.length +
        dstJson.length,
    );
    let at = put(head, 0, KIND_OPEN);
    at += head.write(kind, at, 'utf8');
    at = put(head, at, SRC_OPEN);
    at = put(head, at, srcJson);
    at = put(head, at, DST_OPEN);
    at = put(head, at, dstJson);
    return head.subarray(0, at);
  }

  /** The retained form of a packet event (only when the trace is retained). */
  packetEvent(kind: string, src: string, dst: string, data: Buffer | null): TraceEvent {
    const t = this.now();
    const bytes = data === null ? 0 : data.length;
    return (bytes > 0
      ? { t, kind, src, dst, bytes, digest: payloadDigest(data as Buffer) }
      : { t, kind, src, dst }) as unknown as TraceEvent;
  }

  /**
   * A packet on the wire: the line `{"t":…,"kind":…,"src":…,"dst":…}` (`head` from packetHead), with
   * `,"bytes":n` and, after the closing brace, a space and the payload (its bytes as latin1
   * characters) when it carries data. The payload's bytes go into the hash after the event's line, so
   * two runs hash alike only if the same bytes crossed the wire (a subject's seeded randomness
   * included); a retained event (`event`, from packetEvent) carries a digest of them instead.
   */
  packet(head: Uint8Array, data: Buffer | null, event: TraceEvent | null): void {
    const t = this.now();
    if (event !== null) this.keep(event);
    else this.count++;
    if (!(t >= 0 && t < 2 ** 31 && Number.isInteger(t))) {
      // Not a plain integer timestamp (never on the simulator's own clock): the general path.
      this.text(`{"t":${t}`);
      this.bytes(head);
      this.tail(data);
      return;
    }
    if (this.at + head.length + 24 > BATCH) this.flush();
    const buf = this.buf;
    let at = this.at;
    buf[at] = 0x7b; // {"t":
    buf[at + 1] = 0x22;
    buf[at + 2] = 0x74;
    buf[at + 3] = 0x22;
    buf[at + 4] = 0x3a;
    at = putInt(buf, at + 5, t);
    buf.set(head, at);
    this.at = at + head.length;
    this.tail(data);
  }

  /** `}` and a newline, or `,"bytes":n} `, the payload and a newline. */
  private tail(data: Buffer | null): void {
    if (data === null || data.length === 0) {
      if (this.at + 2 > BATCH) this.flush();
      this.buf[this.at++] = CLOSE_BRACE;
      this.buf[this.at++] = NL;
      return;
    }
    if (this.at + 24 > BATCH) this.flush();
    const buf = this.buf;
    buf.set(BYTES_OPEN, this.at);
    let at = putInt(buf, this.at + BYTES_OPEN.length, data.length);
    buf[at++] = CLOSE_BRACE;
    buf[at++] = SPACE;
    this.at = at;
    this.payload(data);
    this.byte(NL);
  }

  private bytes(b: Uint8Array): void {
    if (b.length > BATCH - this.at) {
      this.flush();
      if (b.length > BATCH) {
        this.sha.update(b);
        return;
      }
    }
    this.buf.set(b, this.at);
    this.at += b.length;
  }

  private keep(event: TraceEvent): void {
    event.seq = this.count;
    this.kept?.push(event);
    this.count++;
  }

  /** A string, UTF-8 encoded. */
  private text(s: string): void {
    if (s.length * 3 > BATCH - this.at) {
      this.flush();
      if (s.length * 3 > BATCH) {
        this.sha.update(s, 'utf8');
        return;
      }
    }
    this.at += this.buf.write(s, this.at, 'utf8');
  }

  private byte(b: number): void {
    if (this.at === BATCH) this.flush();
    this.buf[this.at++] = b;
  }

  /** A payload's bytes as the UTF-8 encoding of their latin1 reading. */
  private payload(data: Buffer): void {
    const n = payloadUtf8Length(data);
    if (n > BATCH - this.at) {
      this.flush();
      if (n > BATCH) {
        this.sha.update(n === data.length ? data : Buffer.from(data.toString('latin1'), 'utf8'));
        return;
      }
    }
    const buf = this.buf;
    let at = this.at;
    if (n === data.length) {
      buf.set(data, at);
      at += n;
    } else {
      for (let i = 0; i < data.length; i++) {
        const b = data[i] as number;
        if (b < 0x80) buf[at++] = b;
        else {
          buf[at++] = 0xc0 | (b >> 6);
          buf[at++] = 0x80 | (b & 0x3f);
        }
      }
    }
    this.at = at;
  }

  private flush(): void {
    if (this.at > 0) {
      this.sha.update(this.buf.subarray(0, this.at));
      this.at = 0;
    }
  }

  /** Hex sha256 of every event so far; recording may continue afterwards. */
  hash(): string {
    this.flush();
    return this.sha.copy().digest('hex');
  }

  /** Retained events (empty when the simulation was created with `retainTrace: false`). */
  events(): readonly TraceEvent[] {
    return this.kept ?? [];
  }
}

function put(buf: Buffer, at: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) buf[at++] = bytes[i] as number;
  return at;
}

/** A non-negative integer below 2³¹ in decimal, as `${n}` writes it. */
function putInt(buf: Buffer, at: number, n: number): number {
  if (n < 10) {
    buf[at] = 0x30 + n;
    return at + 1;
  }
  let digits = 2;
  for (let x = 100; x <= n && digits < 10; x *= 10) digits++;
  let end = at + digits;
  let x = n | 0;
  while (end > at) {
    const q = (x / 10) | 0;
    buf[--end] = 0x30 + (x - q * 10);
    x = q;
  }
  return at + digits;
}

/** FNV-1a (32 bit) of a payload, as 8 hex digits: cheap, and enough to tell two payloads apart. */
export function payloadDigest(data: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) {
    h ^= data[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
