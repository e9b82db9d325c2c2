import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../../harness/result.ts';
import type { ReportError } from '../../reports/errors.ts';
import { formatFor, renderReport, writeReport } from '../../reports/write.ts';
import { latencySpikeRun, sweepFixture } from './fixtures.ts';
import { childElements, parseXml } from './xml.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flatline-reports-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeReport chooses the format by extension', () => {
  it('maps .html .xml .json .md and rejects anything else with a clear error', () => {
    expect(['a.html', 'a.HTM', 'a.xml', 'a.json', 'a.md'].map(formatFor)).toEqual([
      'html',
      'html',
      'junit',
      'json',
      'markdown',
    ]);
    expect(() => formatFor('report.pdf')).toThrow(/use \.html, \.xml \(JUnit\), \.json or \.md/);
  });

  it('writes each format (creating directories) for a run', async () => {
    const runs = [latencySpikeRun()];
    for (const name of ['r.xml', 'r.json', 'r.md']) {
      const path = join(dir, 'nested', name);
      await writeReport(path, runs);
      const text = await readFile(path, 'utf8');
      expect(text.length).toBeGreaterThan(100);
    }
    parseXml(await readFile(join(dir, 'nested', 'r.xml'), 'utf8'));
    expect(JSON.parse(await readFile(join(dir, 'nested', 'r.json'), 'utf8'))[0].scenario).toBe(
      'latency-spike-mobile',
    );
  });

  it('renders a sweep as HTML, JUnit (a suite per configuration) and Markdown', async () => {
    const sweep = sweepFixture();
    const path = join(dir, 'sweep.html');
    expect(await writeReport(path, sweep)).toBe('html');
    expect(parseXml(await readFile(path, 'utf8')).name).toBe('html');
    expect(await writeReport(join(dir, 'sweep.xml'), sweep)).toBe('junit');
    const junit = parseXml(await readFile(join(dir, 'sweep.xml'), 'utf8'));
    const suites = childElements(junit, 'testsuite');
    // the recommendation, the 3×3 grid, and three presets that are not grid configurations
    expect(suites).toHaveLength(1 + 9 + sweep.presets.length);
    expect(await renderReport('junit', sweep)).toBe(await readFile(join(dir, 'sweep.xml'), 'utf8'));
    expect(await writeReport(join(dir, 'sweep.md'), sweep)).toBe('markdown');
  });

  it('reports bad input and unwritable paths as ReportErrors', async () => {
    const bad = await writeReport(join(dir, 'x.md'), [{ scenario: 1 }] as unknown as ScenarioResult[]).catch(
      (e: unknown) => e,
    );
    expect((bad as ReportError).code).toBe('bad-input');
    expect((bad as ReportError).message).toMatch(/\[0\]\.scenario/);
    const blocked = join(dir, 'r.json', 'inside.md'); // parent is a file
    await writeReport(join(dir, 'r.json'), [latencySpikeRun()]);
    const err = await writeReport(blocked, [latencySpikeRun()]).catch((e: unknown) => e);
    expect((err as ReportError).code).toBe('write-failed');
  });
});
