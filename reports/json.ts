/**
 * JSON report: the results as they are, with object keys in sorted order at every depth so two runs
 * diff line by line. JSON has no ±Infinity or NaN; they are written as the strings "Infinity",
 * "-Infinity" and "NaN" (an open bound must not turn into null). `undefined` fields are omitted.
 */
import type { ScenarioResult, SweepResult } from '../harness/result.ts';
import { ReportError } from './errors.ts';

function canonical(value: unknown, seen: Set<object>): unknown {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  }
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) throw new ReportError('bad-input', 'renderJson: the input contains a cycle');
  seen.add(value);
  let out: unknown;
  if (Array.isArray(value)) {
    out = value.map((v) => (v === undefined ? null : canonical(v, seen)));
  } else {
    const obj: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined && typeof v !== 'function') obj[key] = canonical(v, seen);
    }
    out = obj;
  }
  seen.delete(value);
  return out;
}

export function renderJson(data: ScenarioResult[] | SweepResult): string {
  return JSON.stringify(canonical(data, new Set()), null, 2) + '\n';
}
