/** Toxiproxy's `latency` toxic: every chunk waits latency ± jitter. The peer stays alive: benign. */
import { duration } from '../scenario/fields.ts';
import { defineToxic } from './toxic.ts';

export const latency = defineToxic({
  type: 'latency',
  summary: 'adds latency ± jitter to every chunk (Toxiproxy latency)',
  example: { latency: '100ms', jitter: '10ms' },
  attributes: {
    latency: duration('added delay per chunk').default(0),
    jitter: duration('± jitter: each chunk waits latency−jitter … latency+jitter−1').default(0),
  },
  durations: ['latency', 'jitter'],
});
