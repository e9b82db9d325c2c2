/**
 * The network trace of a run: every event with its virtual timestamp, and a sha256 over a canonical
 * serialization of the events in order. The hash is fed incrementally (events are serialized as they
 * happen and hashed in batches, which gives the same digest as hashing them one by one), so a run
 * with `retainTrace: false` keeps only the digest state and its memory stays flat.
 */
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

const FLUSH_AT = 16_384;

export class Trace {
  private readonly sha: Hash = createHash('sha256');
  /** Serialized events not yet fed to the hash (joined and hashed in batches: same digest, less work). */
  private pending: string[] = [];
  private pendingChars = 0;
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
    this.append(JSON.stringify(event), event);
  }

  /**
   * Hot path for packets: the same canonical JSON as `record`, built without an intermediate object
   * unless the trace is retained. `src`/`dst` must already be JSON string literals (quoted).
   */
  /**
   * A packet on the wire. Its payload's bytes go into the hash after the event's line, so two runs
   * hash alike only if the same bytes crossed the wire (a subject's seeded randomness included);
   * a retained event carries a digest of them instead.
   */
  packet(
    kind: string,
    srcJson: string,
    dstJson: string,
    data: Buffer | null,
    srcLabel: string,
    dstLabel: string,
  ): void {
    const t = this.now();
    const bytes = data ? data.length : 0;
    // Native latin1 decoding: one char per byte, the length given by `bytes`, so it cannot run on.
    const line =
      bytes > 0
        ? `{"t":${t},"kind":"${kind}","src":${srcJson},"dst":${dstJson},"bytes":${bytes}} ${data!.toString('latin1')}`
        : `{"t":${t},"kind":"${kind}","src":${srcJson},"dst":${dstJson}}`;
    let event: TraceEvent | null = null;
    if (this.kept) {
      event = (bytes > 0
        ? { t, kind, src: srcLabel, dst: dstLabel, bytes, digest: payloadDigest(data!) }
        : { t, kind, src: srcLabel, dst: dstLabel }) as unknown as TraceEvent;
    }
    this.append(line, event);
  }

  private append(line: string, event: TraceEvent | null): void {
    if (event) {
      event.seq = this.count;
      this.kept?.push(event);
    }
    this.count++;
    this.pending.push(line);
    this.pendingChars += line.length;
    if (this.pendingChars >= FLUSH_AT) this.flush();
  }

  private flush(): void {
    if (this.pending.length > 0) {
      this.sha.update(`${this.pending.join('\n')}\n`);
      this.pending = [];
      this.pendingChars = 0;
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

/** FNV-1a (32 bit) of a payload, as 8 hex digits: cheap, and enough to tell two payloads apart. */
export function payloadDigest(data: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) {
    h ^= data[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
