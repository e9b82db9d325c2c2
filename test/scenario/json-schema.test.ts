import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FAULT_TYPES } from '../../harness/faults/registry.ts';
import {
  renderScenarioJsonSchema,
  SCHEMA_FILE,
  scenarioJsonSchema,
} from '../../harness/scenario/json-schema.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'black-hole.yaml');

type Schema = Record<string, unknown>;

/**
 * Just enough of draft-07 to check what an editor would flag: type, enum, const, pattern, bounds,
 * properties/required/additionalProperties, items, anyOf/oneOf/allOf and if/then.
 */
function validate(schema: Schema, value: unknown, at = '$'): string[] {
  const errors: string[] = [];
  const typeOf = (v: unknown) =>
    v === null
      ? 'null'
      : Array.isArray(v)
        ? 'array'
        : typeof v === 'number'
          ? Number.isInteger(v)
            ? 'integer'
            : 'number'
          : typeof v;
  if (schema.type !== undefined) {
    const types = ([] as string[]).concat(schema.type as string | string[]);
    const t = typeOf(value);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number')))
      return [`${at}: expected ${types.join('|')}, got ${t}`];
  }
  if (schema.const !== undefined && value !== schema.const)
    errors.push(`${at}: expected ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${at}: not in enum`);
  if (
    typeof schema.pattern === 'string' &&
    typeof value === 'string' &&
    !new RegExp(schema.pattern, 'u').test(value)
  ) {
    errors.push(`${at}: does not match ${schema.pattern}`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${at}: below minimum`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${at}: above maximum`);
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const key of (schema.required ?? []) as string[])
      if (!(key in obj)) errors.push(`${at}.${key}: required`);
    for (const [key, v] of Object.entries(obj)) {
      if (props[key]) errors.push(...validate(props[key], v, `${at}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${at}.${key}: not allowed`);
    }
  }
  if (Array.isArray(value) && schema.items)
    value.forEach((v, i) => {
      errors.push(...validate(schema.items as Schema, v, `${at}[${i}]`));
    });
  if (
    Array.isArray(schema.anyOf) &&
    !schema.anyOf.some((s) => validate(s as Schema, value, at).length === 0)
  ) {
    errors.push(`${at}: matches none of anyOf`);
  }
  if (
    Array.isArray(schema.oneOf) &&
    schema.oneOf.filter((s) => validate(s as Schema, value, at).length === 0).length !== 1
  ) {
    errors.push(`${at}: must match exactly one of oneOf`);
  }
  for (const sub of (schema.allOf ?? []) as Schema[]) errors.push(...validate(sub, value, at));
  if (schema.if && validate(schema.if as Schema, value, at).length === 0 && schema.then) {
    errors.push(...validate(schema.then as Schema, value, at));
  }
  return errors;
}

describe('scenario JSON Schema for editors', () => {
  it(`${SCHEMA_FILE} is current (regenerate with: npx tsx harness/scenario/json-schema.ts)`, () => {
    const committed = readFileSync(path.join(ROOT, SCHEMA_FILE), 'utf8');
    expect(committed).toBe(renderScenarioJsonSchema());
  });

  it('YAML files reference it with a yaml-language-server modeline that resolves to the file', () => {
    const first = readFileSync(FIXTURE, 'utf8').split('\n')[0]!;
    const match = /^# yaml-language-server: \$schema=(.+)$/.exec(first);
    expect(match).not.toBeNull();
    expect(path.resolve(path.dirname(FIXTURE), match![1]!)).toBe(path.join(ROOT, SCHEMA_FILE));
  });

  it('the fixture validates against the schema; typical mistakes do not', () => {
    const schema = scenarioJsonSchema();
    const fixture = parse(readFileSync(FIXTURE, 'utf8')) as Record<string, unknown>;
    expect(validate(schema, fixture)).toEqual([]);
    expect(validate(schema, { ...fixture, durration: '1m' })).toContain('$.durration: not allowed');
    expect(validate(schema, { ...fixture, duration: '10 minutes' })).toContain(
      '$.duration: matches none of anyOf',
    );
    const badToxic = { ...fixture, faults: [{ at: '1s', fault: { type: 'lag' } }] };
    expect(validate(schema, badToxic)).toContain('$.faults[0].fault: must match exactly one of oneOf');
    const badConfig = { ...fixture, config: { intervl: '5s' } };
    expect(validate(schema, badConfig)).toContain('$.config.intervl: not allowed');
    // Another subject's config is free-form.
    expect(validate(schema, { ...badConfig, subject: 'mine' })).toEqual([]);
  });

  it('lists every fault type and requires name and duration', () => {
    const schema = scenarioJsonSchema() as {
      required: string[];
      properties: {
        faults: {
          items: { properties: { fault: { oneOf: { properties: { type: { const: string } } }[] } } };
        };
      };
    };
    expect(schema.required).toEqual(['name', 'duration']);
    const types = schema.properties.faults.items.properties.fault.oneOf.map((o) => o.properties.type.const);
    expect(types).toEqual([...FAULT_TYPES]);
  });
});
