/**
 * `flatline check` gives the same verdict run to run: with no --seed it draws its cases from a fixed
 * default seed and says so; `--seed random` explores, printing the seed it drew so a failure replays.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CHECK_SEED } from '../../harness/cli/check.ts';
import { flatline } from './cli.ts';

describe('flatline check: its seed', () => {
  it(`no --seed: seed ${DEFAULT_CHECK_SEED}, printed, and the same cases and facts every run`, async () => {
    const args = ['check', 'completeness,convergence', '--runs', '6'];
    const [a, b] = await Promise.all([flatline(args), flatline(args)]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toContain(
      `flatline check: fast-check seed ${DEFAULT_CHECK_SEED} (default ${DEFAULT_CHECK_SEED}; --seed random explores new cases)`,
    );
    expect(a.stderr).toMatch(
      new RegExp(
        `completeness held .* over 6 case\\(s\\) \\(\\d+ fact\\(s\\) checked, fast-check seed ${DEFAULT_CHECK_SEED}\\)`,
      ),
    );
    // The same cases: the same number of facts checked, line for line.
    expect(b.stderr).toBe(a.stderr);
  });

  it('--seed random: a drawn seed, printed, different from run to run', async () => {
    const args = ['check', 'completeness', '--runs', '2', '--seed', 'random'];
    const [a, b] = await Promise.all([flatline(args), flatline(args)]);
    const seedOf = (stderr: string) => /fast-check seed (-?\d+) \(random\)/.exec(stderr)?.[1];
    expect(seedOf(a.stderr), a.stderr).toBeDefined();
    expect(seedOf(a.stderr)).not.toBe(seedOf(b.stderr));
  });

  it('--seed nonsense: exit 2 naming the flag', async () => {
    const r = await flatline(['check', 'completeness', '--seed', 'often']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--seed must be an integer');
  });
});
