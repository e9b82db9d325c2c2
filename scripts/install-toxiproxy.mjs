#!/usr/bin/env node
/**
 * Provides Toxiproxy 2.12.0 for flatline's real-network backend (`npm run setup` runs this).
 *
 * Idempotent: does nothing when tools/bin/toxiproxy-server already reports 2.12.0, or when a
 * `toxiproxy-server` on PATH does. Otherwise builds it with `go install` into tools/bin (git-ignored),
 * pinning the version string with -ldflags because a plain `go install` build reports "git".
 *
 *   node scripts/install-toxiproxy.mjs            install if needed
 *   node scripts/install-toxiproxy.mjs --force    rebuild tools/bin/toxiproxy-server even if present
 *   node scripts/install-toxiproxy.mjs --check    only report; exit 1 when no 2.12.0 is available
 */
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = '2.12.0';
const MODULE = 'github.com/Shopify/toxiproxy/v2';
const MIN_GO = [1, 23];
const EXE = process.platform === 'win32' ? '.exe' : '';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const binDir = join(root, 'tools', 'bin');
const target = join(binDir, `toxiproxy-server${EXE}`);

const ALTERNATIVES = [
  `  - install Go >= ${MIN_GO.join('.')} (https://go.dev/dl/) and run \`npm run setup\` again;`,
  `  - or download toxiproxy-server ${VERSION} from https://github.com/Shopify/toxiproxy/releases/tag/v${VERSION}`,
  `    and put it on PATH as \`toxiproxy-server\` (or at tools/bin/toxiproxy-server);`,
  '  - or run Toxiproxy in Docker: `docker compose up -d --wait toxiproxy`, then',
  '    `export TOXIPROXY_URL=http://127.0.0.1:8474` (see README, "Real network: Toxiproxy").',
].join('\n');

function log(message) {
  process.stdout.write(`install-toxiproxy: ${message}\n`);
}

function fail(message) {
  process.stderr.write(`install-toxiproxy: ${message}\n`);
  process.exit(1);
}

/** The version a toxiproxy-server binary reports with `-version`, or undefined if it cannot say. */
function reportedVersion(binary) {
  const result = spawnSync(binary, ['-version'], { encoding: 'utf8', timeout: 10_000 });
  if (result.error || result.status !== 0) return undefined;
  return /toxiproxy-server version (\S+)/.exec(result.stdout)?.[1];
}

function isExecutableFile(path) {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(name) {
  const extensions = process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE').split(';') : [''];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const ext of extensions) {
      const candidate = join(dir, name + ext);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
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
      `Go is not installed (no \`go\` on PATH), so Toxiproxy ${VERSION} cannot be built here.\nPick one:\n${ALTERNATIVES}`,
    );
  }
  const match = /go(\d+)\.(\d+)/.exec(version);
  if (match) {
    const [major, minor] = [Number(match[1]), Number(match[2])];
    if (major < MIN_GO[0] || (major === MIN_GO[0] && minor < MIN_GO[1])) {
      // GOTOOLCHAIN=auto (Go's default) downloads a new enough toolchain by itself; say so in case
      // it is set to local and the build then fails.
      log(
        `warning: ${version} is older than Go ${MIN_GO.join('.')}, which Toxiproxy ${VERSION} needs; ` +
          'relying on GOTOOLCHAIN=auto to fetch a newer one.',
      );
    }
  }
  return version;
}

function build() {
  const go = checkGo();
  mkdirSync(binDir, { recursive: true });
  // A private GOBIN, so a half-finished build never sits at the final path and an unrelated
  // tools/bin/server is never overwritten.
  const gobin = mkdtempSync(join(binDir, '.build-'));
  try {
    log(`building Toxiproxy ${VERSION} with ${go} (go install; the first build takes a minute or two)...`);
    const result = spawnSync(
      'go',
      ['install', '-ldflags', `-X ${MODULE}.Version=${VERSION}`, `${MODULE}/cmd/server@v${VERSION}`],
      {
        cwd: gobin,
        stdio: 'inherit',
        // Static binary like the release builds; no C toolchain needed.
        env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0' },
      },
    );
    if (result.error) fail(`cannot run go install: ${result.error.message}\n${ALTERNATIVES}`);
    if (result.status !== 0) {
      fail(
        `go install ${MODULE}/cmd/server@v${VERSION} failed (exit ${result.status}); its output is above.\n` +
          `If the module proxy is unreachable, set GOPROXY, or:\n${ALTERNATIVES}`,
      );
    }
    const built = join(gobin, `server${EXE}`);
    if (!existsSync(built)) fail(`go install succeeded but produced no ${built}`);
    renameSync(built, target);
  } finally {
    rmSync(gobin, { recursive: true, force: true });
  }
  const version = reportedVersion(target);
  if (version !== VERSION) {
    fail(`the built ${relative(root, target)} reports version ${version ?? '(none)'}, expected ${VERSION}`);
  }
  log(`installed ${relative(root, target)} (toxiproxy-server version ${version})`);
}

function main(argv) {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(
      'usage: node scripts/install-toxiproxy.mjs [--force] [--check]\n' +
        `Installs toxiproxy-server ${VERSION} into tools/bin unless it (or one on PATH) is already there.\n`,
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
      log(`${relative(root, target)} is already Toxiproxy ${VERSION}; nothing to do.`);
      return;
    }
    log(`${relative(root, target)} reports version ${version ?? '(none)'}, not ${VERSION}; replacing it.`);
  }
  if (!force) {
    const onPath = findOnPath('toxiproxy-server');
    if (onPath && reportedVersion(onPath) === VERSION) {
      log(`toxiproxy-server ${VERSION} found on PATH at ${onPath}; nothing to do.`);
      return;
    }
    if (onPath) log(`${onPath} is not version ${VERSION}; installing ${VERSION} into tools/bin instead.`);
  }
  if (checkOnly) fail(`no toxiproxy-server ${VERSION} found.\nPick one:\n${ALTERNATIVES}`);
  build();
}

main(process.argv.slice(2));
