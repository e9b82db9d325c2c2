/** Toxiproxy's `slicer` toxic: cuts every chunk into small pieces. Framing must hold: benign. */
import { nonNegativeInt, positiveInt, time } from '../scenario/fields.ts';
import { defineToxic } from './toxic.ts';

export const slicer = defineToxic({
  type: 'slicer',
  summary: 'slices chunks into average_size ± size_variation byte pieces (Toxiproxy slicer)',
  example: { average_size: 4, size_variation: 2, delay: 10 },
  attributes: {
    // Toxiproxy's default, 0, never stops slicing (its server recurses until it crashes): required.
    average_size: positiveInt('average piece size, bytes (at least 1)'),
    size_variation: nonNegativeInt('± variation of the piece size, bytes, at most average_size').default(0),
    // slicer.delay is in µs, Toxiproxy's unit: written back as a plain number.
    delay: time({
      unit: 'us',
      description: 'pause after each piece: µs as a number (Toxiproxy’s unit) or a duration string',
    }).default(0),
  },
  check: (a) =>
    (a.size_variation ?? 0) > (a.average_size ?? 0)
      ? [
          {
            attribute: 'size_variation',
            message: `must not exceed average_size (${a.average_size}), got ${a.size_variation} (Toxiproxy's slicer would cut outside the chunk)`,
          },
        ]
      : [],
});
