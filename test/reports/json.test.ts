import { describe, expect, it } from 'vitest';
import { renderJson } from '../../reports/json.ts';
import { blackHoleRun, runFixture, sweepFixture } from './fixtures.ts';

describe('JSON report', () => {
  it('keeps the results as they are, with sorted keys at every depth', () => {
    const results = runFixture();
    const json = renderJson(results);
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(results)));
    const keysSorted = (v: unknown): boolean => {
      if (Array.isArray(v)) return v.every(keysSorted);
      if (v === null || typeof v !== 'object') return true;
      const keys = Object.keys(v);
      return keys.join() === [...keys].sort().join() && Object.values(v).every(keysSorted);
    };
    expect(keysSorted(JSON.parse(json))).toBe(true);
    expect(json.endsWith('}\n]\n')).toBe(true);
  });

  it('is stable: key insertion order does not change the output', () => {
    const a = blackHoleRun();
    const b = Object.fromEntries(Object.entries(blackHoleRun()).reverse()) as typeof a;
    expect(renderJson([b])).toBe(renderJson([a]));
    expect(renderJson(sweepFixture())).toBe(renderJson(sweepFixture()));
  });

  it('writes open bounds as "Infinity" instead of null, and omits undefined fields', () => {
    const r = blackHoleRun();
    r.detections[0]!.bound.max = Number.POSITIVE_INFINITY;
    r.file = undefined;
    const parsed = JSON.parse(renderJson([r]));
    expect(parsed[0].detections[0].bound.max).toBe('Infinity');
    expect('file' in parsed[0]).toBe(false);
  });
});
