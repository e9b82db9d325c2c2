// The README snippet ("Property tests against your own implementation"), run as written: only the
// import path of flatline differs (a user imports 'flatline/vitest'; test/package runs it that way
// from the installed package). ./my-subject.ts exports the reference implementation, so this is
// also the suite in which the reference keeps all six properties over freshly generated cases
// (fast-check's seed is random; a failure prints it).
import { flatlineProperties } from '../../harness/vitest.ts';
import { subject } from './my-subject.ts'; // your Subject: { name, startServer, startClient }

flatlineProperties(subject, { subjectModule: './my-subject.ts', numRuns: 20 });
