/**
 * Typed constructors for every Toxiproxy toxic, so a test reads
 * `toxics.latency({ latency: 100 }, { stream: 'upstream' })` and the compiler checks the attribute
 * names. Omitted attributes take Toxiproxy's defaults (TOXIC_ATTRIBUTES in the shared spec).
 */
import type { Stream, ToxicAttributes, ToxicInput, ToxicType } from '../toxics/vocabulary.ts';

export interface ToxicOptions {
  name?: string;
  /** Default downstream (server → client), as in Toxiproxy. */
  stream?: Stream;
  /** Probability in [0, 1], default 1. Use 0 or 1 for reproducible real runs. */
  toxicity?: number;
}

function builder<T extends ToxicType>(type: T) {
  return (attributes: Partial<ToxicAttributes<T>> = {}, options: ToxicOptions = {}): ToxicInput<T> => ({
    ...options,
    type,
    attributes,
  });
}

export const toxics = {
  /** `latency` ms ± `jitter` ms per chunk, FIFO. */
  latency: builder('latency'),
  /** `rate` KB/s (1 KB = 1000 B); 0 holds data until removed. */
  bandwidth: builder('bandwidth'),
  /** Delays the forwarded close by `delay` ms. */
  slow_close: builder('slow_close'),
  /** Drops data; closes after `timeout` ms without data in that direction (0: never). */
  timeout: builder('timeout'),
  /** On the first chunk, waits `timeout` ms then closes (RST for connections accepted under it). */
  reset_peer: builder('reset_peer'),
  /** Splits chunks to ≈ `average_size` ± `size_variation` bytes, `delay` µs apart. */
  slicer: builder('slicer'),
  /** Closes after `bytes` bytes in that direction. */
  limit_data: builder('limit_data'),
  /** Passes data unchanged. */
  noop: (options: ToxicOptions = {}): ToxicInput<'noop'> => ({ ...options, type: 'noop' }),
} as const;
