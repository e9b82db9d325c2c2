/** Toxiproxy's `slicer` toxic: cuts every chunk into small pieces. Framing must hold: benign. */
import { nonNegativeInt, time } from '../scenario/fields.ts';
import { defineToxic } from './toxic.ts';

export const slicer = defineToxic({
  type: 'slicer',
  summary: 'slices chunks into average_size ± size_variation byte pieces (Toxiproxy slicer)',
  example: { average_size: 4, size_variation: 2, delay: 10 },
  attributes: {
    average_size: nonNegativeInt('average piece size, bytes').default(0),
    size_variation: nonNegativeInt('± variation of the piece size, bytes').default(0),
    // slicer.delay is in µs, Toxiproxy's unit: written back as a plain number.
    delay: time({
      unit: 'us',
      description: 'pause after each piece: µs as a number (Toxiproxy’s unit) or a duration string',
    }).default(0),
  },
});
