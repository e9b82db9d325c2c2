// The README snippet (notes/readme-properties.md), run as written: only the import path of flatline
// differs (a user imports 'flatline/harness/property/index.ts'). ./my-subject.ts exports the
// reference implementation, so this is also the suite in which the reference keeps all six
// properties over freshly generated cases (fast-check's seed is random; a failure prints it).
import { describe, it } from 'vitest';
import { checkProperty, PROPERTY_NAMES, properties } from '../../harness/property/index.ts';
import { subject } from './my-subject.ts'; // exports your Subject: { name, startServer, startClient }

describe('my heartbeat keeps flatline’s properties', () => {
  for (const name of PROPERTY_NAMES) {
    // completeness, accuracy, convergence, noHammering, hygiene, determinism: 20 generated configs ×
    // fault timelines each. A failure prints the violations, fast-check's seed/path and the
    // `npx flatline run <file> --subject ./my-subject.ts` command, and writes the shrunk timeline as a
    // scenario file to $FLATLINE_COUNTEREXAMPLES (default test-artifacts/counterexamples/).
    it(name, () =>
      checkProperty(properties[name](subject, { subjectModule: './my-subject.ts' }), { numRuns: 20 }),
    );
  }
});
