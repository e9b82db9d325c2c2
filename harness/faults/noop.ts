/** Toxiproxy's `noop` toxic: passes everything through; useful to check a proxy adds nothing. */
import { defineToxic } from './toxic.ts';

export const noop = defineToxic({
  type: 'noop',
  summary: 'does nothing (Toxiproxy noop)',
  example: {},
  attributes: {},
});
