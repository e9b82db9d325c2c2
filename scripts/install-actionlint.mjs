#!/usr/bin/env node
/**
 * Provides actionlint 1.7.12, which test/ci/recipes.test.ts runs on examples/ci/github-actions.yml
 * (`npm run setup` runs this).
 *
 * Idempotent: does nothing when tools/bin/actionlint already reports v1.7.12. Otherwise builds it
 * with `go install` into tools/bin (git-ignored). Only tools/bin counts, not an actionlint on PATH:
 * the test pins the version so that a newer actionlint's new checks cannot turn it red by surprise.
 * actionlint runs shellcheck on `run:` blocks when a `shellcheck` is on PATH (Debian: apt-get
 * install shellcheck); it is optional.
 *
 *   node scripts/install-actionlint.mjs            install if needed
 *   node scripts/install-actionlint.mjs --force    rebuild tools/bin/actionlint even if present
 *   node scripts/install-actionlint.mjs --check    only report; exit 1 when it is not installed
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = '1.7.12';
const MODULE = 'github.com/rhysd/actionlint';
const MIN_GO = [1, 25];
const EXE = process.platform === 'win32' ? '.exe' : '';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const binDir = join(root, 'tools', 'bin');
const target = join(binDir, `actionlint${EXE}`);

const ALTERNATIVES = [
  `  - install Go >= ${MIN_GO.join('.')} (https://go.dev/dl/) and run \`npm run setup\` again;`,
  `  - or download actionlint ${VERSION} from https://github.com/rhysd/actionlint/releases/tag/v${VERSION}`,
  '    and put it at tools/bin/actionlint.',
].join('\n');

function log(message) {
  process.stdout.write(`install-actionlint: ${message}\n`);
}

function fail(message) {
  process.stderr.write(`install-actionlint: ${message}\n`);
  process.exit(1);
}

/**
 * The version an actionlint binary reports with `-version` (its first line, e.g. "v1.7.12"; a
 * `go install …@vX` build takes it from the module version), or undefined if it cannot say.
 */
function reportedVersion(binary) {
  const result = spawnSync(binary, ['-version'], { encoding: 'utf8', timeout: 10_000 });
  if (result.error || result.status !== 0) return undefined;
  return /^v?(\d+\.\d+\.\d+\S*)/m.exec(result.stdout)?.[1];
}

function goVersion() {
  const result = spawnSync('go', ['version'], { encoding: 'utf8', timeout: 30_000 });
  if (result.error) {
    if (result.error.code === 'ENOENT') return undefined;
    fail(`cannot run \`go version\`: ${result.error.message}\n${ALTERNATIVES}`);
  }
  if (result.status !== 0) fail(`\`go version\` failed:\n${result.stderr}\n${ALTERNATIVES}`);
  return result.stdout.trim();
}

function checkGo() {
  const version = goVersion();
  if (version === undefined) {
    fail(
      `Go is not installed (no \`go\` on PATH), so actionlint ${VERSION} cannot be built here.\nPick one:\n${ALTERNATIVES}`,
    );
  }
  const match = /go(\d+)\.(\d+)/.exec(version);
  if (match) {
    const [major, minor] = [Number(match[1]), Number(match[2])];
    if (major < MIN_GO[0] || (major === MIN_GO[0] && minor < MIN_GO[1])) {
      // GOTOOLCHAIN=auto (Go's default) downloads a new enough toolchain by itself; say so in case
      // it is set to local and the build then fails.
      log(
        `warning: ${version} is older than Go ${MIN_GO.join('.')}, which actionlint ${VERSION} needs; ` +
          'relying on GOTOOLCHAIN=auto to fetch a newer one.',
      );
    }
  }
  return version;
}

function build() {
  const go = checkGo();
  mkdirSync(binDir, { recursive: true });
  // A private GOBIN, so a half-finished build never sits at the final path.
  const gobin = mkdtempSync(join(binDir, '.build-'));
  try {
    log(`building actionlint ${VERSION} with ${go} (go install; the first build takes a minute or so)...`);
    const result = spawnSync('go', ['install', `${MODULE}/cmd/actionlint@v${VERSION}`], {
      cwd: gobin,
      stdio: 'inherit',
      // Static binary like the release builds; no C toolchain needed.
      env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0' },
    });
    if (result.error) fail(`cannot run go install: ${result.error.message}\n${ALTERNATIVES}`);
    if (result.status !== 0) {
      fail(
        `go install ${MODULE}/cmd/actionlint@v${VERSION} failed (exit ${result.status}); its output is above.\n` +
          `If the module proxy is unreachable, set GOPROXY, or:\n${ALTERNATIVES}`,
      );
    }
    const built = join(gobin, `actionlint${EXE}`);
    if (!existsSync(built)) fail(`go install succeeded but produced no ${built}`);
    renameSync(built, target);
  } finally {
    rmSync(gobin, { recursive: true, force: true });
  }
  const version = reportedVersion(target);
  if (version !== VERSION) {
    fail(`the built ${relative(root, target)} reports version ${version ?? '(none)'}, expected ${VERSION}`);
  }
  log(`installed ${relative(root, target)} (actionlint ${version})`);
}

function main(argv) {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(
      'usage: node scripts/install-actionlint.mjs [--force] [--check]\n' +
        `Installs actionlint ${VERSION} into tools/bin unless it is already there.\n`,
    );
    return;
  }
  const unknown = argv.filter((arg) => !['--force', '--check'].includes(arg));
  if (unknown.length > 0) fail(`unknown argument(s): ${unknown.join(' ')} (try --help)`);
  const force = argv.includes('--force');
  const checkOnly = argv.includes('--check');

  if (!force && existsSync(target)) {
    const version = reportedVersion(target);
    if (version === VERSION) {
      log(`${relative(root, target)} is already actionlint ${VERSION}; nothing to do.`);
      return;
    }
    log(`${relative(root, target)} reports version ${version ?? '(none)'}, not ${VERSION}; replacing it.`);
  }
  if (checkOnly) fail(`no actionlint ${VERSION} in tools/bin.\nPick one:\n${ALTERNATIVES}`);
  build();
}

main(process.argv.slice(2));
