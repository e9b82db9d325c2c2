import { describe, expect, it } from 'vitest';
import { FrameTooLargeError, ProtocolError } from '../../impl/errors.ts';
import {
  type DecodedFrame,
  encodeFrame,
  FrameDecoder,
  type Hello,
  type Message,
  MIN_MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  parseFrame,
} from '../../impl/protocol.ts';

const hello: Hello = {
  type: 'hello',
  v: PROTOCOL_VERSION,
  role: 'client',
  id: 'c#1',
  interval: 30_000,
  pongTimeout: 5_000,
  readDeadline: 0,
  missThreshold: 3,
  maxFrame: 65_536,
};

function decodeAll(decoder: FrameDecoder, chunks: Buffer[]): DecodedFrame[] {
  const out: DecodedFrame[] = [];
  for (const c of chunks) for (const f of decoder.push(c)) out.push(f);
  return out;
}

function errorOf(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw err;
  }
  throw new Error('expected a ProtocolError');
}

describe('F9 protocol framing (newline-delimited JSON)', () => {
  it('round-trips every message type and counts wire bytes including the newline', () => {
    const messages: Message[] = [
      hello,
      { type: 'ping', seq: 1, timestamp: 1000, interval: 30_000 },
      { type: 'ping', seq: 2, timestamp: 2000, interval: 30_000, probe: true },
      { type: 'pong', seq: 1, timestamp: 1005, echo: 1000, interval: 30_000 },
      { type: 'data', payload: { text: 'line\nbreak', n: [1, 2] } },
      { type: 'data', payload: null },
      { type: 'bye', reason: 'shutdown' },
    ];
    const frames = messages.map((m) => encodeFrame(m));
    const decoded = decodeAll(new FrameDecoder(), [Buffer.concat(frames)]);
    expect(decoded.map((d) => d.message)).toEqual(messages);
    expect(decoded.map((d) => d.bytes)).toEqual(frames.map((f) => f.length));
  });

  it('reassembles frames split at every byte boundary', () => {
    const frame = encodeFrame({ type: 'pong', seq: 7, timestamp: 5, echo: 3, interval: 10 });
    for (let cut = 1; cut < frame.length; cut++) {
      const d = new FrameDecoder();
      const out = decodeAll(d, [frame.subarray(0, cut), frame.subarray(cut)]);
      expect(out).toHaveLength(1);
      expect(out[0]?.message).toMatchObject({ type: 'pong', seq: 7 });
      expect(d.buffered).toBe(0);
    }
  });

  it('the largest possible hello fits in the minimum maximum frame size', () => {
    const big = Number.MAX_SAFE_INTEGER;
    const frame = encodeFrame({
      ...hello,
      role: 'server',
      id: 'x'.repeat(128),
      interval: big,
      pongTimeout: big,
      readDeadline: big,
      missThreshold: big,
      maxFrame: big,
    });
    expect(frame.length - 1).toBeLessThanOrEqual(MIN_MAX_FRAME_BYTES);
    expect(
      encodeFrame({ type: 'ping', seq: big, timestamp: -big, interval: big, probe: true }).length,
    ).toBeLessThan(MIN_MAX_FRAME_BYTES);
  });

  it('ignores unknown fields of known messages (forward compatibility within a version)', () => {
    const text = '{"type":"ping","seq":3,"timestamp":9,"interval":100,"trace":"abc"}';
    expect(parseFrame(Buffer.from(text))).toEqual({ type: 'ping', seq: 3, timestamp: 9, interval: 100 });
  });
});

describe('F9 protocol errors: malformed, oversized, unknown frames', () => {
  it('rejects an over-long line as soon as it passes the limit, before any newline', () => {
    const d = new FrameDecoder(300);
    const first = decodeAll(d, [Buffer.alloc(200, 0x61)]);
    expect(first).toEqual([]);
    const err = errorOf(() => decodeAll(d, [Buffer.alloc(101, 0x61)]));
    expect(err.kind).toBe('oversized');
    expect(err.message).toContain('300');
  });

  it('accepts a frame of exactly the maximum size and rejects one byte more', () => {
    const body = (n: number) => {
      const base = '{"type":"data","payload":""}';
      return `{"type":"data","payload":"${'x'.repeat(n - base.length)}"}`;
    };
    const d = new FrameDecoder(300);
    expect(decodeAll(d, [Buffer.from(`${body(300)}\n`)])).toHaveLength(1);
    expect(errorOf(() => decodeAll(new FrameDecoder(300), [Buffer.from(`${body(301)}\n`)])).kind).toBe(
      'oversized',
    );
  });

  it.each([
    ['not JSON', 'hello there', 'malformed'],
    ['a JSON array', '[1,2]', 'malformed'],
    ['no type', '{"seq":1}', 'malformed'],
    ['an empty line', '', 'malformed'],
    ['ping without seq', '{"type":"ping","timestamp":1,"interval":1}', 'malformed'],
    ['negative seq', '{"type":"ping","seq":-1,"timestamp":1,"interval":1}', 'malformed'],
    ['pong without echo', '{"type":"pong","seq":1,"timestamp":1,"interval":1}', 'malformed'],
    ['data without payload', '{"type":"data"}', 'malformed'],
    ['an unknown type', '{"type":"HEARTBEAT_V9","seq":1}', 'unknown-type'],
    ['another protocol version', '{"type":"hello","v":2}', 'version-mismatch'],
    [
      'a hello with a bad role',
      `{"type":"hello","v":${PROTOCOL_VERSION},"role":"peer","id":"x"}`,
      'malformed',
    ],
  ])('rejects %s', (_what, text, kind) => {
    expect(errorOf(() => decodeAll(new FrameDecoder(), [Buffer.from(`${text}\n`)])).kind).toBe(kind);
  });

  it('rejects invalid UTF-8', () => {
    const bad = Buffer.concat([
      Buffer.from('{"type":"bye","reason":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}\n'),
    ]);
    const err = errorOf(() => decodeAll(new FrameDecoder(), [bad]));
    expect(err.kind).toBe('malformed');
    expect(err.message).toContain('UTF-8');
  });

  it('delivers the good frames before a bad one in the same chunk, then stops', () => {
    const good = encodeFrame({ type: 'bye', reason: 'x' });
    const chunk = Buffer.concat([good, Buffer.from('garbage\n'), good]);
    const seen: Message[] = [];
    const err = errorOf(() => {
      for (const f of new FrameDecoder().push(chunk)) seen.push(f.message);
    });
    expect(seen).toEqual([{ type: 'bye', reason: 'x' }]);
    expect(err.kind).toBe('malformed');
  });

  it('refuses to encode a frame the receiver would reject', () => {
    expect(() => encodeFrame({ type: 'data', payload: 'x'.repeat(400) }, 300)).toThrow(FrameTooLargeError);
  });
});
