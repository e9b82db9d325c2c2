/**
 * Loads scenario YAML with positions: every problem — YAML syntax, schema, cross-field — is reported
 * as FILE:LINE:COLUMN, the path inside the scenario, and what was expected, all of them at once in
 * one ScenarioError.
 *
 * File selection is dependency-free: a path is a file or a directory (searched recursively for
 * *.yaml / *.yml); a pattern may use `*`, `?`, `**` and `{a,b}`.
 */
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from 'yaml';
import { globToRegExp } from '../glob.ts';
import { ScenarioError, type ScenarioIssue } from './errors.ts';
import { printable, quote } from './fields.ts';
import { didYouMean, formatPath, friendlyIssues } from './issues.ts';
import { formatBytes, formatCount, LIMITS } from './limits.ts';
import { parseScenario, type Scenario, scenarioInputSchema } from './schema.ts';

export interface LoadedScenario {
  file: string;
  scenario: Scenario;
}

/** A place in a file, 1-based. */
export interface Position {
  line: number;
  column: number;
}

/**
 * Where `path` points in a YAML document: the value's first character, or the key's when `atKey`
 * (an unknown key) or when the value is empty (`key:` with nothing after it). A path that leaves the
 * document (a missing key or item) points at the closest ancestor that exists.
 */
export function locate(
  doc: Document,
  lines: LineCounter,
  path: readonly (string | number)[],
  atKey = false,
): Position {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (!pair) break;
      const keyStart = (pair.key as Node).range?.[0] ?? offset;
      if (i === path.length - 1 && atKey) {
        offset = keyStart;
        break;
      }
      node = pair.value;
      const valueRange = (pair.value as Node | null)?.range;
      offset = valueRange && valueRange[1] > valueRange[0] ? valueRange[0] : keyStart;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (!item) break;
      node = item;
      offset = (item as Node).range?.[0] ?? offset;
    } else break;
  }
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

/** A YAML file parsed with positions, for loaders that report FILE:LINE:COLUMN. */
export interface YamlSource {
  doc: Document;
  /** The document as plain data; undefined when there are issues (or the file is empty). */
  value: unknown;
  /** locate() in this document. */
  locate(path: readonly (string | number)[], atKey?: boolean): Position;
  /**
   * YAML syntax errors, characters YAML does not allow, duplicate keys and alias bombs, each with its
   * position, in file order (at most LIMITS.issues, then how many more); empty when fine.
   */
  issues: ScenarioIssue[];
}

/** Where a character index of `text` is, 1-based (for problems found before the parser runs). */
export function positionOf(text: string, index: number): Position {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: index - start + 1 };
}

const NON_PRINTABLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The first character YAML does not allow in a file (YAML 1.2 c-printable): C0 controls other than
 * tab, LF and CR, DEL, C1 controls other than NEL, U+FFFE/U+FFFF and lone surrogates.
 */
function firstNonPrintable(text: string): { index: number; name: string } | undefined {
  const m = NON_PRINTABLE.exec(text);
  if (!m) return undefined;
  return { index: m.index, name: `U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}` };
}

/** One problem found walking the document, at a character offset. */
class NodeProblem extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * What the parser leaves to us, in one walk in document order, linear in the document: duplicate keys
 * (yaml's own `uniqueKeys` check compares every key with every other, quadratic in a map's size), and
 * aliases — unknown, circular, too many, or a "billion laughs" bomb. A bomb is refused at the alias
 * that crosses a limit: yaml's maxAliasCount rule, replayed here so that it has a position (an
 * alias's uses × the aliases inside what it names ≤ LIMITS.aliasCount), and at most
 * LIMITS.aliasValues values added by expanding aliases. (yaml's own maxAliasCount check walks the
 * whole document for every alias inside an anchor: 9 s for a 200 KB file with 1000 of them; its
 * alias resolution is quadratic in the number of anchors and aliases, hence LIMITS.aliases.)
 */
function checkNodes(doc: Document): void {
  const anchors = new Map<string, Node>();
  const counts = new Map<Node, { count: number; aliasCount: number }>();
  const sizes = new Map<Node, number>();
  const resolved = new Map<Node, Node>();
  const open = new Set<Node>();
  let added = 0;
  let anchorCount = 0;
  let aliasNodes = 0;
  const tooMany = (what: string, offset: number) =>
    new NodeProblem(
      offset,
      `YAML: more than ${formatCount(LIMITS.aliases)} ${what} in one file (a scenario needs a handful)`,
    );
  const start = (node: unknown, fallback: number) => (node as Node | null)?.range?.[0] ?? fallback;
  // yaml's getAliasCount (nodes/Alias.js), on the aliases as resolved during the walk.
  const aliasCount = (node: unknown): number => {
    if (isAlias(node)) {
      const d = counts.get(resolved.get(node)!);
      return d ? d.count * d.aliasCount : 0;
    }
    if (isMap(node) || isSeq(node)) {
      let max = 0;
      for (const item of node.items) max = Math.max(max, aliasCount(item));
      return max;
    }
    if (isPair(node)) return Math.max(aliasCount(node.key), aliasCount(node.value));
    return 1;
  };
  const walk = (node: unknown, at: number): number => {
    if (node === null || node === undefined) return 0;
    if (isAlias(node)) {
      const name = printable(node.source, 40);
      const target = anchors.get(node.source);
      const offset = start(node, at);
      if (++aliasNodes > LIMITS.aliases) throw tooMany('aliases', offset);
      if (!target) {
        throw new NodeProblem(
          offset,
          `YAML: unknown alias *${name}: the anchor &${name} must come before it`,
        );
      }
      if (open.has(target)) {
        throw new NodeProblem(
          offset,
          `YAML: alias *${name} is inside the value it names: a scenario cannot be circular`,
        );
      }
      resolved.set(node, target);
      const d = counts.get(target)!;
      d.count += 1;
      if (d.aliasCount === 0) d.aliasCount = aliasCount(target);
      if (d.count * d.aliasCount > LIMITS.aliasCount) {
        throw new NodeProblem(
          offset,
          `YAML: alias *${name} expands too many times (${formatCount(d.count * d.aliasCount)} expansions through nested aliases, at most ${formatCount(LIMITS.aliasCount)}): an alias bomb?`,
        );
      }
      const size = sizes.get(target)!;
      added += size;
      if (added > LIMITS.aliasValues) {
        throw new NodeProblem(
          offset,
          `YAML: alias *${name} brings the values added by aliases to ${formatCount(added)}, more than the ${formatCount(LIMITS.aliasValues)} a file may have: an alias bomb?`,
        );
      }
      return size;
    }
    const n = node as Node & { anchor?: string };
    if (n.anchor) {
      if (++anchorCount > LIMITS.aliases) throw tooMany('anchors', start(n, at));
      anchors.set(n.anchor, n);
      counts.set(n, { count: 1, aliasCount: 0 });
      open.add(n);
    }
    let size = 1;
    const here = start(n, at);
    if (isMap(n)) {
      const keys = new Set<string>();
      for (const pair of n.items) {
        const key = pair.key;
        if (isScalar(key)) {
          const id = `${typeof key.value}:${String(key.value)}`;
          if (keys.has(id)) throw new NodeProblem(start(key, here), 'YAML syntax: Map keys must be unique');
          keys.add(id);
        }
        size += walk(key, here) + walk(pair.value, start(key, here));
      }
    } else if (isSeq(n)) {
      for (const item of n.items) size += walk(item, here);
    }
    if (n.anchor) {
      open.delete(n);
      sizes.set(n, size);
    }
    return size;
  };
  walk(doc.contents, 0);
}

/** The first `LIMITS.issues` issues, then one that says how many more there are. */
export function capIssues<T extends ScenarioIssue>(
  issues: T[],
  file: string,
  what = 'problems',
): ScenarioIssue[] {
  if (issues.length <= LIMITS.issues) return issues;
  const rest = issues.length - LIMITS.issues;
  return [
    ...issues.slice(0, LIMITS.issues),
    { file, path: '', message: `… and ${formatCount(rest)} more ${what} (fix the ones above first)` },
  ];
}

/**
 * Parses YAML keeping positions; `file` is only used in messages. Never throws for what a file holds:
 * syntax errors, characters YAML does not allow, duplicate keys, alias bombs and documents nested
 * too deeply come back as issues, each at its position.
 */
export function parseYamlSource(text: string, file: string): YamlSource {
  const lines = new LineCounter();
  // uniqueKeys is checked by checkNodes, in linear time.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: false });
  const at = (offset: number): Position => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  const overflow = (e: { message: string }) => /Maximum call stack size exceeded/.test(e.message);
  // Past the depth yaml can follow, what else it reports depends on where its stack ran out: say
  // only that.
  const errors = doc.errors.some(overflow) ? doc.errors.filter(overflow).slice(0, 1) : doc.errors;
  const issues: (ScenarioIssue & Position)[] = errors.map((e) => {
    const first = e.message.split('\n')[0] ?? e.message;
    const text = first.replace(/ at line \d+, column \d+:?$/, '');
    const message = overflow(e)
      ? 'YAML: nested too deeply (more levels of lists and mappings than the parser can follow)'
      : `YAML syntax: ${printable(text, 200)}`;
    return {
      file,
      ...(e.linePos ? { line: e.linePos[0].line, column: e.linePos[0].col } : at(e.pos[0])),
      path: '',
      message,
    };
  });
  const bad = firstNonPrintable(text);
  if (bad) {
    issues.push({
      file,
      ...positionOf(text, bad.index),
      path: '',
      message: `YAML: control character ${bad.name} is not allowed in a YAML file (write it as an escape in a double-quoted string)`,
    });
  }
  if (issues.length === 0) {
    try {
      checkNodes(doc);
    } catch (e) {
      if (!(e instanceof NodeProblem)) throw e;
      issues.push({ file, ...at(e.offset), path: '', message: e.message });
    }
  }
  issues.sort((a, b) => a.line - b.line || a.column - b.column);
  const source: YamlSource = {
    doc,
    value: undefined,
    locate: (path, atKey = false) => locate(doc, lines, path, atKey),
    issues: capIssues(issues, file, 'YAML problems'),
  };
  if (source.issues.length > 0) return source;
  try {
    // checkNodes has refused what yaml's maxAliasCount would, in linear time and with a position;
    // yaml's own count would walk the document again for every alias inside an anchor.
    source.value = doc.toJS({ maxAliasCount: -1 });
  } catch (e) {
    source.issues.push({
      file,
      line: 1,
      column: 1,
      path: '',
      message: `YAML: ${printable((e as Error).message, 200)}`,
    });
  }
  return source;
}

/** Why a file could not be read, in a few words ("no such file", "is a directory", or the OS message). */
export function unreadable(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message;
}

interface Parsed {
  scenario: Scenario;
  locate(path: (string | number)[], atKey?: boolean): Position;
}

const SCENARIO_KEYS = Object.keys(scenarioInputSchema.shape);

/**
 * Whether a parsed document is meant as a scenario: a mapping with at least one of a scenario's keys
 * (or a near miss of one). Anything else — a password file, a list, a docker-compose file — is "not a
 * scenario file", said once, rather than every one of its lines quoted back as a problem.
 */
function meantAsScenario(doc: Document): boolean {
  if (!isMap(doc.contents)) return false;
  return doc.contents.items.some((pair) => {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    return (
      typeof key === 'string' && (SCENARIO_KEYS.includes(key) || didYouMean(key, SCENARIO_KEYS) !== undefined)
    );
  });
}

function describeKind(value: unknown): string {
  if (typeof value === 'string')
    return value.includes('\n') || value.length > 40 ? 'plain text' : `the text ${quote(value, 40)}`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return `${value}`;
  return 'not a mapping';
}

const WHAT_A_SCENARIO_IS = `a scenario is a YAML mapping with name, duration and optionally ${SCENARIO_KEYS.filter((k) => k !== 'name' && k !== 'duration' && k !== '$schema').join(', ')}`;

function notAScenario(
  file: string,
  why: string,
  where: Partial<Position> = { line: 1, column: 1 },
): ScenarioError {
  return new ScenarioError([{ file, ...where, path: '', message: `not a scenario file: ${why}` }]);
}

function parseText(text: string, file: string): Parsed {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > LIMITS.fileBytes) {
    throw new ScenarioError([
      {
        file,
        path: '',
        message: `too large for a scenario: ${formatCount(bytes)} bytes (${formatBytes(bytes)}), at most ${formatCount(LIMITS.fileBytes)} (${formatBytes(LIMITS.fileBytes)})`,
      },
    ]);
  }
  const nul = text.indexOf('\u0000');
  if (nul !== -1) throw notAScenario(file, 'binary data (a NUL byte)', positionOf(text, nul));
  const source = parseYamlSource(text, file);
  if (source.issues.length) {
    if (!meantAsScenario(source.doc)) {
      const first = source.issues[0]!;
      throw notAScenario(file, first.message, { line: first.line, column: first.column });
    }
    throw new ScenarioError(source.issues);
  }
  const raw = source.value;
  if (raw === null || raw === undefined) {
    throw new ScenarioError([
      {
        file,
        line: 1,
        column: 1,
        path: '',
        message: 'the file is empty: a scenario is a mapping with at least name and duration',
      },
    ]);
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw notAScenario(
      file,
      `${WHAT_A_SCENARIO_IS}; this file holds ${describeKind(raw)}`,
      source.locate([]),
    );
  }
  if (!meantAsScenario(source.doc)) {
    const first = Object.keys(raw)[0];
    throw notAScenario(
      file,
      `${WHAT_A_SCENARIO_IS}; none of this mapping's keys is one${first === undefined ? '' : ` (the first is ${quote(first, 40)})`}`,
      source.locate(first === undefined ? [] : [first], true),
    );
  }
  const result = parseScenario(raw);
  if (!result.ok) {
    // Only the first problems are located and shown: locating is linear in a mapping's size, and
    // a hundred thousand problems help nobody.
    const friendly = friendlyIssues(result.issues, raw);
    const located: (ScenarioIssue & Position)[] = friendly.slice(0, LIMITS.issues * 5).map((issue) => ({
      file,
      ...source.locate(issue.path, issue.atKey),
      path: formatPath(issue.path),
      message: issue.message,
    }));
    located.sort((a, b) => a.line - b.line || a.column - b.column);
    const shown: ScenarioIssue[] = located.slice(0, LIMITS.issues);
    const more = friendly.length - shown.length;
    if (more > 0) {
      shown.push({
        file,
        path: '',
        message: `… and ${formatCount(more)} more problems (fix the ones above first)`,
      });
    }
    throw new ScenarioError(shown);
  }
  return { scenario: result.scenario, locate: source.locate };
}

/** Parses scenario YAML; `fileName` is only used in messages. Throws ScenarioError. */
export function loadScenarioText(text: string, fileName = '<scenario>'): Scenario {
  return parseText(text, fileName).scenario;
}

/** The offset of the first byte that is not UTF-8, or -1. */
function invalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    const n =
      b < 0x80
        ? 0
        : b >= 0xc2 && b <= 0xdf
          ? 1
          : b >= 0xe0 && b <= 0xef
            ? 2
            : b >= 0xf0 && b <= 0xf4
              ? 3
              : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    // Overlong forms, surrogates and code points past U+10FFFF.
    const b1 = bytes[i + 1] ?? 0;
    if (
      (b === 0xe0 && b1 < 0xa0) ||
      (b === 0xed && b1 > 0x9f) ||
      (b === 0xf0 && b1 < 0x90) ||
      (b === 0xf4 && b1 > 0x8f)
    )
      return i;
    i += n + 1;
  }
  return -1;
}

/**
 * A file's text, read only up to the size limit (a named pipe or /dev/zero never ends), and refused
 * as binary when it holds a NUL byte or is not UTF-8.
 */
async function readText(file: string): Promise<string> {
  let handle: FileHandle | undefined;
  const buffer = Buffer.alloc(LIMITS.fileBytes + 1);
  let length = 0;
  let size: number | undefined;
  try {
    handle = await fs.open(file, 'r');
    const stat = await handle.stat();
    if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (stat.isFile()) size = stat.size;
    if (size === undefined || size <= LIMITS.fileBytes) {
      for (;;) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
        if (bytesRead === 0) break;
        length += bytesRead;
        if (length === buffer.length) break;
      }
    }
  } catch (e) {
    throw new ScenarioError([{ file, path: '', message: `cannot read the scenario: ${unreadable(e)}` }]);
  } finally {
    await handle?.close().catch(() => {});
  }
  if ((size ?? length) > LIMITS.fileBytes) {
    const shown =
      size === undefined
        ? `more than ${formatCount(LIMITS.fileBytes)} bytes`
        : `${formatCount(size)} bytes (${formatBytes(size)})`;
    throw new ScenarioError([
      {
        file,
        path: '',
        message: `too large for a scenario: ${shown}, at most ${formatCount(LIMITS.fileBytes)} (${formatBytes(LIMITS.fileBytes)})`,
      },
    ]);
  }
  const bytes = buffer.subarray(0, length);
  const nul = bytes.indexOf(0);
  const invalid = invalidUtf8(bytes);
  const bad = nul === -1 ? invalid : invalid === -1 ? nul : Math.min(nul, invalid);
  if (bad !== -1) {
    const before = bytes.subarray(0, bad).toString('utf8');
    const what =
      bad === nul ? 'a NUL byte' : `byte 0x${bytes[bad]!.toString(16).padStart(2, '0')}, which is not UTF-8`;
    throw notAScenario(file, `binary data (${what})`, positionOf(before, before.length));
  }
  return bytes.toString('utf8');
}

/** Reads and parses one scenario file. Throws ScenarioError. */
export async function loadScenarioFile(file: string): Promise<Scenario> {
  return parseText(await readText(file), file).scenario;
}

// ---------------------------------------------------------------------------------------------
// selecting files

const GLOB_CHARS = /[*?{]/;
const SCENARIO_EXT = /\.ya?ml$/i;

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await walk(full, out);
    else if (entry.isFile()) out.push(full);
  }
}

/**
 * Expands files, directories (recursively) and glob patterns into a sorted list of distinct files,
 * relative to `cwd` when given relative. Directories and patterns yield only *.yaml / *.yml; a file
 * named explicitly is taken whatever its extension. A selector that matches nothing is an error.
 */
export async function expandScenarioPaths(
  selectors: readonly string[],
  cwd = process.cwd(),
): Promise<string[]> {
  const found = new Set<string>();
  const problems: ScenarioIssue[] = [];
  for (const selector of selectors) {
    const normalized = selector.split(path.sep).join('/');
    let matched = 0;
    const add = (file: string) => {
      matched++;
      found.add(file);
    };
    if (!GLOB_CHARS.test(normalized)) {
      const abs = path.resolve(cwd, selector);
      const stat = await fs.stat(abs).catch(() => undefined);
      if (!stat) {
        problems.push({ file: selector, path: '', message: 'no such file or directory' });
        continue;
      }
      if (stat.isDirectory()) {
        const files: string[] = [];
        await walk(abs, files);
        for (const f of files) if (SCENARIO_EXT.test(f)) add(path.relative(cwd, f) || f);
      } else add(path.relative(cwd, abs) || abs);
    } else {
      const segments = normalized.split('/');
      const firstGlob = segments.findIndex((s) => GLOB_CHARS.test(s));
      const root = segments.slice(0, firstGlob).join('/') || (normalized.startsWith('/') ? '/' : '.');
      const absRoot = path.resolve(cwd, root);
      const matcher = globToRegExp(path.resolve(cwd, normalized).split(path.sep).join('/'));
      const files: string[] = [];
      const stat = await fs.stat(absRoot).catch(() => undefined);
      if (stat?.isDirectory()) await walk(absRoot, files);
      for (const f of files) {
        if (SCENARIO_EXT.test(f) && matcher.test(f.split(path.sep).join('/')))
          add(path.relative(cwd, f) || f);
      }
    }
    if (matched === 0 && !problems.some((p) => p.file === selector)) {
      problems.push({ file: selector, path: '', message: 'matches no scenario files (*.yaml, *.yml)' });
    }
  }
  if (problems.length) throw new ScenarioError(problems);
  return [...found].sort();
}

/**
 * Loads every scenario the selectors name. All files are checked before anything is thrown, so one
 * ScenarioError lists the problems of every file; scenario names must be unique across files.
 */
export async function loadScenarios(
  selectors: readonly string[],
  options: { cwd?: string } = {},
): Promise<LoadedScenario[]> {
  const cwd = options.cwd ?? process.cwd();
  const files = await expandScenarioPaths(selectors, cwd);
  const loaded: (LoadedScenario & { parsed: Parsed })[] = [];
  const problems: ScenarioIssue[] = [];
  for (const file of files) {
    try {
      const parsed = parseText(
        await readText(path.resolve(cwd, file)).catch((e) => {
          throw e instanceof ScenarioError ? new ScenarioError(e.issues.map((i) => ({ ...i, file }))) : e;
        }),
        file,
      );
      loaded.push({ file, scenario: parsed.scenario, parsed });
    } catch (e) {
      if (e instanceof ScenarioError) for (const issue of e.issues) problems.push(issue);
      else throw e;
    }
  }
  const names = new Map<string, string>();
  for (const l of loaded) {
    const other = names.get(l.scenario.name);
    if (other !== undefined) {
      problems.push({
        file: l.file,
        ...l.parsed.locate(['name']),
        path: 'name',
        message: `scenario name ${quote(l.scenario.name)} is already used by ${printable(other, 200)}`,
      });
    } else names.set(l.scenario.name, l.file);
  }
  if (problems.length) throw new ScenarioError(problems);
  return loaded.map(({ file, scenario }) => ({ file, scenario }));
}
