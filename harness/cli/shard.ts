/**
 * Sharding across machines: `--shard i/n` on run, sweep and check runs a deterministic share of the
 * command's items and `--results <file>` writes them to a result file; `flatline merge` (merge.ts)
 * joins the files of shards 1…n into what one unsharded run prints and writes.
 *
 * The split. Every command lists its items in the order an unsharded run runs them, an order that
 * depends only on the command line and the files it names, never on the machine:
 *   run    scenario files sorted by path (code units, as the loader sorts them); names are unique
 *   sweep  the sweep's cells by index (grid configurations, then presets; × scenarios × profiles)
 *   check  the properties as listed, then fast-check's run index 0…runs−1
 * Item k (0-based) goes to shard (k mod n) + 1: round-robin, not contiguous ranges, because cost
 * clusters in that order (the library scenarios sort together, neighbouring sweep cells share an
 * interval, a property's runs cost alike), so every shard gets a slice of each cluster; and a
 * property that fails is found early in every shard. No item's result depends on its shard: a run
 * takes its seed from the scenario or --seed, a cell runs all its seeds, a check run's case is
 * fast-check's case of that index under the one --seed.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { globToRegExp } from '../glob.ts';
import { UsageError } from './exit.ts';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

export type ShardedCommand = 'run' | 'sweep' | 'check';

/** `--shard i/n`: whole numbers, 1 ≤ i ≤ n. */
export function parseShard(value: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  const bad = (why: string) =>
    new UsageError(`--shard must be i/n, whole numbers with 1 ≤ i ≤ n (e.g. 2/3): ${why}, got "${value}"`);
  if (!m) throw bad('not of the form i/n');
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count)) throw bad('too large');
  if (count < 1) throw bad('n must be at least 1');
  if (index < 1 || index > count) throw bad(`i must be between 1 and ${count}`);
  return { index, count };
}

export function formatShard(s: Shard): string {
  return `${s.index}/${s.count}`;
}

/** Which shard runs the item at `position` (0-based) of the command's item list. */
export function shardOf(position: number, count: number): number {
  return (position % count) + 1;
}

/** The items of `shard` (all of them without one), in list order. */
export function shareOf<T>(items: readonly T[], shard: Shard | undefined): T[] {
  return shard ? items.filter((_, k) => shardOf(k, shard.count) === shard.index) : [...items];
}

/** Where `--shard i/n` writes without `--results`. */
export function defaultResultsPath(shard: Shard): string {
  return path.join('out', `shard-${shard.index}-of-${shard.count}.json`);
}

/** Flags that only say where output goes: not part of what was run. */
const OUTPUT_VALUE_FLAGS = new Set(['--report', '--junit', '--markdown']);
const OUTPUT_FLAGS = new Set(['--json', '-q', '--quiet']);
// Where a command runs (which shard, how many local workers, where its result file goes) is not
// part of what it runs.
const SHARD_VALUE_FLAGS = new Set(['--shard', '--results', '--workers']);

function flagOf(token: string): { name: string; inline: boolean } {
  const eq = token.startsWith('--') ? token.indexOf('=') : -1;
  return eq < 0 ? { name: token, inline: false } : { name: token.slice(0, eq), inline: true };
}

/**
 * The command a shard ran, as the user would run it unsharded: without --shard, --results and --workers, and
 * without the output flags (--report/--junit/--markdown/--json/--quiet), which merge supplies.
 */
export function logicalArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let k = 0; k < argv.length; k++) {
    const token = argv[k]!;
    if (token === '--') {
      out.push(...argv.slice(k));
      break;
    }
    const { name, inline } = flagOf(token);
    if (SHARD_VALUE_FLAGS.has(name) || OUTPUT_VALUE_FLAGS.has(name)) {
      if (!inline) k++;
      continue;
    }
    if (OUTPUT_FLAGS.has(name) && !inline) continue;
    out.push(token);
  }
  return out;
}

/** The output flags of a command line (merge's own), in the order given. */
export function outputArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let k = 0; k < argv.length; k++) {
    const token = argv[k]!;
    if (token === '--') break;
    const { name, inline } = flagOf(token);
    if (OUTPUT_VALUE_FLAGS.has(name)) {
      out.push(token);
      if (!inline && k + 1 < argv.length) out.push(argv[++k]!);
    } else if (OUTPUT_FLAGS.has(name) && !inline) out.push(token);
  }
  return out;
}

let version: string | undefined;

function readVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'flatline' && typeof pkg.version === 'string') return pkg.version;
      } catch {}
    }
    const up = path.dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}

/** flatline's version, from its package.json (the repository's, or the installed package's). */
export function flatlineVersion(): string {
  version ??= readVersion();
  return version;
}

export function digest(value: unknown): string {
  return createHash('sha256')
    .update(
      JSON.stringify(value, (_k, v: unknown) =>
        typeof v === 'number' && !Number.isFinite(v) ? String(v) : v,
      ),
    )
    .digest('hex')
    .slice(0, 16);
}

/** An item of the command's list: its id (unique, shown in errors) and a digest of its input. */
export interface ShardItem {
  id: string;
  digest?: string;
}

/** What every result file says about the run it is part of. */
export interface ShardFileHead {
  format: 'flatline-shard-results';
  formatVersion: 1;
  /** flatline's version. */
  flatline: string;
  command: ShardedCommand;
  shard: Shard;
  /** The logical command line (see logicalArgv), from the command's name on. */
  argv: string[];
  /** The resolved options every shard must share (backend, seed, subject, …). */
  options: Record<string, unknown>;
  /** Every item of the unsharded run, in its order; this shard ran those shareOf gives it. */
  items: ShardItem[];
  environment: { node: string; platform: string };
  /** This shard's own exit code (merge decides the run's). */
  exitCode: number;
}

export const FORMAT = 'flatline-shard-results';

export function shardHead(
  command: ShardedCommand,
  shard: Shard,
  argv: readonly string[],
  options: Record<string, unknown>,
  items: ShardItem[],
  exitCode: number,
): ShardFileHead {
  return {
    format: FORMAT,
    formatVersion: 1,
    flatline: flatlineVersion(),
    command,
    shard,
    argv: logicalArgv(argv),
    options,
    items,
    environment: { node: process.version, platform: `${process.platform}-${process.arch}` },
    exitCode,
  };
}

/**
 * Writes a result file. JSON has no ±Infinity or NaN (an open bound): they are written as strings,
 * as `--json` does, and merge turns them back into numbers.
 */
export async function writeShardFile(
  file: string,
  content: ShardFileHead & Record<string, unknown>,
): Promise<void> {
  const text = JSON.stringify(content, (_key, value: unknown) =>
    typeof value === 'number' && !Number.isFinite(value) ? String(value) : value,
  );
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${text}\n`);
  const share = shareOf(content.items, content.shard).length;
  process.stderr.write(
    `wrote ${file} (shard ${formatShard(content.shard)}: ${share} of ${content.items.length} item(s); join the shards with flatline merge)\n`,
  );
}

const NON_FINITE: Readonly<Record<string, number>> = {
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
  NaN: Number.NaN,
};

/** The inverse of writeShardFile's encoding, for the result payloads. */
export function reviveNumbers(value: unknown): unknown {
  if (typeof value === 'string') return value in NON_FINITE ? NON_FINITE[value] : value;
  if (Array.isArray(value)) return value.map(reviveNumbers);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = reviveNumbers(v);
    return out;
  }
  return value;
}

const GLOB = /[*?{[]/;

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await walk(full, out);
    else if (entry.isFile()) out.push(full);
  }
}

/**
 * Files and glob patterns (quoted, so the shell left them; `*`, `**`, `?`, `{a,b}`, `[…]`, in any
 * path segment) as a list of distinct files, in the order given (a pattern's matches sorted). A
 * pattern that matches nothing is an error; a plain name is passed on, to fail when read.
 */
export async function expandFiles(patterns: readonly string[], cwd = process.cwd()): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (f: string) => {
    const abs = path.resolve(cwd, f);
    if (seen.has(abs)) return;
    seen.add(abs);
    out.push(f);
  };
  for (const pattern of patterns) {
    const normalized = pattern.split(path.sep).join('/');
    if (!GLOB.test(normalized) || existsSync(path.resolve(cwd, pattern))) {
      add(pattern);
      continue;
    }
    const segments = normalized.split('/');
    const first = segments.findIndex((s) => GLOB.test(s));
    const root = segments.slice(0, first).join('/') || (normalized.startsWith('/') ? '/' : '.');
    const matcher = globToRegExp(path.resolve(cwd, normalized).split(path.sep).join('/'));
    const files: string[] = [];
    await walk(path.resolve(cwd, root), files);
    const matched = files
      .filter((f) => matcher.test(f.split(path.sep).join('/')))
      .map((f) => (path.isAbsolute(pattern) ? f : path.relative(cwd, f)))
      .sort();
    if (matched.length === 0) throw new UsageError(`merge: ${pattern} matches no files`);
    for (const f of matched) add(f);
  }
  return out;
}

/** The command line as given, without `--workers` (how many processes ran it is not what ran). */
export function withoutWorkers(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let k = 0; k < argv.length; k++) {
    const { name, inline } = flagOf(argv[k]!);
    if (name === '--workers') {
      if (!inline) k++;
      continue;
    }
    out.push(argv[k]!);
  }
  return out;
}
