/**
 * The README's example scenario is part of the front door: it must load and pass as printed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../harness/scenario/loader.ts';
import { runScenario } from '../../harness/scenario/runner.ts';

describe('README example scenario', () => {
  it('loads and passes on the simulator, the client detecting by heartbeat-timeout within the bound', async () => {
    const readme = readFileSync('README.md', 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(yaml, 'README has a ```yaml block').toBeDefined();
    const result = await runScenario(loadScenarioText(yaml!, 'README.md'), { backend: 'sim' });
    expect(result.expectations.filter((e) => !e.passed)).toEqual([]);
    const client = result.detections.find((d) => d.side === 'client');
    expect(client).toMatchObject({ reason: 'heartbeat-timeout', withinBound: true });
  });
});
