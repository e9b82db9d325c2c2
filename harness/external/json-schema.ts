/**
 * The subject file as JSON Schema (draft-07), generated from the zod schema so it cannot drift:
 * `npx tsx harness/external/json-schema.ts` writes scenarios/subject.schema.json (next to the
 * scenario schema), and a test fails when the committed file is stale. A subject file opts in with
 *
 *   # yaml-language-server: $schema=<path to>/scenarios/subject.schema.json
 *
 * Cross-field rules (placeholders per side, where the server listens) are checked by the loader.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { subjectFileSchema } from './schema.ts';

export const SUBJECT_SCHEMA_FILE = 'scenarios/subject.schema.json';

export function renderSubjectJsonSchema(): string {
  const schema = z.toJSONSchema(subjectFileSchema, { io: 'input', target: 'draft-7' });
  return `${JSON.stringify(schema, null, 2)}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  writeFileSync(path.join(root, SUBJECT_SCHEMA_FILE), renderSubjectJsonSchema());
  process.stdout.write(`wrote ${SUBJECT_SCHEMA_FILE}\n`);
}
