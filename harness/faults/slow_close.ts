/** Toxiproxy's `slow_close` toxic: delays the close by `delay`. Data flows: benign. */
import { duration } from '../scenario/fields.ts';
import { defineToxic } from './toxic.ts';

export const slowClose = defineToxic({
  type: 'slow_close',
  summary: 'delays the TCP close by `delay` (Toxiproxy slow_close)',
  example: { delay: '1s' },
  attributes: { delay: duration('delay before the close is forwarded').default(0) },
  durations: ['delay'],
});
