/**
 * The scenario format as JSON Schema (draft-07, which yaml-language-server and most editors read),
 * generated from the zod schema so it cannot drift: `npx tsx harness/scenario/json-schema.ts` writes
 * scenarios/scenario.schema.json, and a test fails when the committed file is stale. A scenario
 * file opts in with the first line
 *
 *   # yaml-language-server: $schema=./scenario.schema.json
 *
 * Cross-field rules (until after at, topology of a fault, …) are not expressible here; the loader
 * checks them.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { referenceConfigSchema } from '../subjects/reference-config.ts';
import { scenarioInputSchema } from './schema.ts';

export const SCHEMA_FILE = 'scenarios/scenario.schema.json';

export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(scenarioInputSchema, { io: 'input', target: 'draft-7' }) as Record<
    string,
    unknown
  >;
  const config = z.toJSONSchema(referenceConfigSchema, { io: 'input', target: 'draft-7' }) as Record<
    string,
    unknown
  >;
  delete config.$schema;
  const properties = schema.properties as Record<string, Record<string, unknown>>;
  // config is free-form for other subjects; for the reference subject (the default) it is F18's.
  properties.config = {
    type: 'object',
    description: properties.config?.description ?? 'the subject’s settings',
  };
  return {
    ...schema,
    allOf: [
      {
        if: { properties: { subject: { const: 'reference' } } },
        // biome-ignore lint/suspicious/noThenProperty: the draft-07 if/then keyword
        then: { properties: { config: config } },
      },
    ],
  };
}

/** The file's exact content: stable key order, two-space indent, trailing newline. */
export function renderScenarioJsonSchema(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}

function main(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const target = path.join(root, SCHEMA_FILE);
  writeFileSync(target, renderScenarioJsonSchema());
  process.stdout.write(`wrote ${path.relative(process.cwd(), target) || target}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
