/**
 * The CI recipes in examples/ci: the GitHub Actions workflow passes actionlint (tools/bin/actionlint,
 * built by scripts/install-actionlint.mjs; it runs shellcheck on `run:` blocks when shellcheck is on
 * PATH), and both recipes have the shape examples/ci/README.md describes: three shards, results
 * merged by a job that runs even when a shard failed, JUnit where the CI shows it.
 *
 * Without tools/bin/actionlint the lint tests are skipped with one loud warning, except with CI set
 * (CI=true), where they fail: CI must never pass by skipping (as in test/toxiproxy/support.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ACTIONLINT = join(ROOT, 'tools', 'bin', `actionlint${process.platform === 'win32' ? '.exe' : ''}`);
const GITHUB = join(ROOT, 'examples', 'ci', 'github-actions.yml');
const GITLAB = join(ROOT, 'examples', 'ci', 'gitlab-ci.yml');

const inCI = ((): boolean => {
  const ci = (process.env.CI ?? '').toLowerCase();
  return ci !== '' && ci !== 'false' && ci !== '0';
})();
const haveActionlint = existsSync(ACTIONLINT);
const MISSING = `actionlint not found at tools/bin/actionlint: run npm run setup (or node scripts/install-actionlint.mjs, which builds it with Go)`;

function describeWithActionlint(name: string, body: () => void): void {
  if (haveActionlint || inCI) {
    describe(name, body);
  } else {
    console.warn(`\n⚠️  SKIPPING the actionlint tests: ${MISSING} (with CI=true they fail instead)\n`);
    describe.skip(name, body);
  }
}

function actionlint(file: string): { status: number | null; output: string } {
  if (!haveActionlint) throw new Error(MISSING);
  const result = spawnSync(ACTIONLINT, ['-no-color', file], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
  if (result.error) throw result.error;
  return { status: result.status, output: result.stdout + result.stderr };
}

type Yaml = Record<string, unknown>;
type Step = { name?: string; uses?: string; run?: string; if?: string; with?: Yaml };
type GhJob = {
  needs?: string | string[];
  if?: string;
  strategy?: { 'fail-fast'?: boolean; matrix?: Yaml };
  permissions?: Yaml;
  steps: Step[];
};
type GlJob = {
  stage?: string;
  parallel?: number;
  needs?: (string | { job: string; artifacts?: boolean })[];
  when?: string;
  script: string[];
  artifacts?: { when?: string; paths?: string[]; reports?: { junit?: string | string[] } };
};

function load<T>(file: string): T {
  return parse(readFileSync(file, 'utf8')) as T;
}

describeWithActionlint('examples/ci/github-actions.yml under actionlint', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'flatline-ci-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('passes: exit 0, no output', () => {
    const { status, output } = actionlint(GITHUB);
    expect(output).toBe('');
    expect(status).toBe(0);
  });

  it('can fail: a copy whose merge job needs a job that does not exist is reported', () => {
    const source = readFileSync(GITHUB, 'utf8');
    expect(source).toMatch(/^ {4}needs: toxiproxy$/m);
    const broken = join(scratch, 'broken.yml');
    writeFileSync(broken, source.replace(/^ {4}needs: toxiproxy$/m, '    needs: toxiproxi'));
    const { status, output } = actionlint(broken);
    expect(status).toBe(1);
    expect(output).toMatch(/"toxiproxi" which does not exist.*\[job-needs\]/);
  });
});

describe('examples/ci/github-actions.yml structure', () => {
  const workflow = load<{ jobs: Record<string, GhJob> }>(GITHUB);
  const { simulator, toxiproxy, merge } = workflow.jobs;
  const runs = (job: GhJob | undefined): string => (job?.steps ?? []).map((s) => s.run ?? '').join('\n');

  it('has a simulator job, three Toxiproxy shards and a merge job', () => {
    expect(Object.keys(workflow.jobs)).toEqual(['simulator', 'toxiproxy', 'merge']);
    expect(toxiproxy?.strategy?.matrix?.shard).toEqual([1, 2, 3]);
    expect(toxiproxy?.strategy?.['fail-fast']).toBe(false);
  });

  it('runs each shard on Toxiproxy with its results file and uploads it', () => {
    expect(runs(toxiproxy)).toContain(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression
      'npx flatline run scenarios --backend toxiproxy --time-scale 0.05 --shard ${{ matrix.shard }}/3 --results out/shard-${{ matrix.shard }}.json',
    );
    const upload = toxiproxy?.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression
    expect(upload?.with?.path).toBe('out/shard-${{ matrix.shard }}.json');
    expect(runs(toxiproxy)).toMatch(/toxiproxy-server"? -version/);
  });

  it('merges after every shard, even a failed one, into a report, JUnit and the step summary', () => {
    expect(merge?.needs).toBe('toxiproxy');
    expect(merge?.if).toBe('always()');
    expect(merge?.permissions?.checks).toBe('write');
    const download = merge?.steps.find((s) => s.uses?.startsWith('actions/download-artifact@'));
    expect(download?.with).toMatchObject({ path: 'out', 'merge-multiple': true });
    expect(runs(merge)).toContain(
      'npx flatline merge out/shard-*.json --report out/report.html --junit out/junit.xml --markdown out/summary.md',
    );
    expect(runs(merge)).toContain('cat out/summary.md >> "$GITHUB_STEP_SUMMARY"');
    const junit = merge?.steps.find((s) => s.uses?.startsWith('mikepenz/action-junit-report@'));
    expect(junit?.uses).toMatch(/@v\d+$/);
    expect(junit?.with?.report_paths).toBe('out/junit.xml');
    const report = merge?.steps.find((s) => s.with?.path === 'out/report.html');
    expect(report?.uses).toMatch(/^actions\/upload-artifact@v\d+$/);
  });

  it('runs the simulator suite with JUnit', () => {
    expect(runs(simulator)).toMatch(/npx flatline run scenarios --backend sim --junit \S+\.xml/);
  });

  it('sets up Node 20 with the npm cache in every job', () => {
    for (const job of [simulator, toxiproxy, merge]) {
      const node = job?.steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
      expect(node?.with).toMatchObject({ 'node-version': 20, cache: 'npm' });
    }
  });
});

describe('examples/ci/gitlab-ci.yml structure', () => {
  const pipeline = load<Yaml & { stages: string[]; default: { image: string } }>(GITLAB);
  const shards = pipeline['flatline:toxiproxy'] as GlJob;
  const merge = pipeline['flatline:merge'] as GlJob;
  const sim = pipeline['flatline:sim'] as GlJob;

  it('runs on node:20 with Toxiproxy 2.12.0', () => {
    expect(pipeline.default.image).toBe('node:20');
    expect((pipeline.variables as Yaml).TOXIPROXY_VERSION).toBe('2.12.0');
  });

  it('splits the Toxiproxy run over three parallel shards by CI_NODE_INDEX/CI_NODE_TOTAL', () => {
    expect(shards.parallel).toBe(3);
    const script = shards.script.join('\n');
    expect(script).toContain('--backend toxiproxy');
    expect(script).toContain('--shard "$CI_NODE_INDEX/$CI_NODE_TOTAL"');
    expect(script).toContain('--results "out/shard-$CI_NODE_INDEX.json"');
    expect(shards.artifacts?.paths).toContain('out/shard-*.json');
    expect(shards.artifacts?.when).toBe('always');
  });

  it('merges after all shards, even failed ones, and publishes out/junit.xml', () => {
    const needs = (merge.needs ?? []).map((n) => (typeof n === 'string' ? n : n.job));
    expect(needs).toEqual(['flatline:toxiproxy']);
    expect(merge.when).toBe('always');
    expect(pipeline.stages.indexOf(merge.stage ?? '')).toBeGreaterThan(
      pipeline.stages.indexOf(shards.stage ?? ''),
    );
    expect(merge.script.join('\n')).toContain(
      'npx flatline merge out/shard-*.json --report out/report.html --junit out/junit.xml --markdown out/summary.md',
    );
    expect(merge.artifacts?.reports?.junit).toBe('out/junit.xml');
    expect(merge.artifacts?.when).toBe('always');
  });

  it('runs the simulator suite with its JUnit report', () => {
    expect(sim.script.join('\n')).toMatch(/--backend sim --junit out\/sim-junit\.xml/);
    expect(sim.artifacts?.reports?.junit).toBe('out/sim-junit.xml');
  });

  it('puts every job in a declared stage', () => {
    for (const [name, job] of Object.entries(pipeline)) {
      if (!name.startsWith('flatline:')) continue;
      expect(pipeline.stages, name).toContain((job as GlJob).stage);
    }
  });
});
