/**
 * Loads scenario YAML with positions: every problem — YAML syntax, schema, cross-field — is reported
 * as FILE:LINE:COLUMN, the path inside the scenario, and what was expected, all of them at once in
 * one ScenarioError.
 *
 * File selection is dependency-free: a path is a file or a directory (searched recursively for
 * *.yaml / *.yml); a pattern may use `*`, `?`, `**` and `{a,b}`.
 */
import { promises as fs } from 'node:fs';
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
import { ScenarioError, type ScenarioIssue } from './errors.ts';
import { formatPath, friendlyIssues } from './issues.ts';
import { parseScenario, type Scenario } from './schema.ts';

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
  /** YAML syntax errors with their positions, or why the document has no plain value; empty when fine. */
  issues: ScenarioIssue[];
}

/** Parses YAML keeping positions (duplicate keys are errors); `file` is only used in messages. */
export function parseYamlSource(text: string, file: string): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const source: YamlSource = {
    doc,
    value: undefined,
    locate: (path, atKey = false) => locate(doc, lines, path, atKey),
    issues: doc.errors.map((e) => ({
      file,
      line: e.linePos?.[0].line,
      column: e.linePos?.[0].col,
      path: '',
      message: `YAML syntax: ${(e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '')}`,
    })),
  };
  if (source.issues.length > 0) return source;
  try {
    // A bound on alias expansion: a "billion laughs" file is an error, not an out-of-memory crash.
    source.value = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    source.issues.push({ file, line: 1, column: 1, path: '', message: `YAML: ${(e as Error).message}` });
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

function parseText(text: string, file: string): Parsed {
  const source = parseYamlSource(text, file);
  if (source.issues.length) throw new ScenarioError(source.issues);
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
  const result = parseScenario(raw);
  if (!result.ok) {
    const issues: (ScenarioIssue & Position)[] = friendlyIssues(result.issues, raw).map((issue) => ({
      file,
      ...source.locate(issue.path, issue.atKey),
      path: formatPath(issue.path),
      message: issue.message,
    }));
    issues.sort((a, b) => a.line - b.line || a.column - b.column);
    throw new ScenarioError(issues);
  }
  return { scenario: result.scenario, locate: source.locate };
}

/** Parses scenario YAML; `fileName` is only used in messages. Throws ScenarioError. */
export function loadScenarioText(text: string, fileName = '<scenario>'): Scenario {
  return parseText(text, fileName).scenario;
}

async function readText(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new ScenarioError([{ file, path: '', message: `cannot read the scenario: ${unreadable(e)}` }]);
  }
}

/** Reads and parses one scenario file. Throws ScenarioError. */
export async function loadScenarioFile(file: string): Promise<Scenario> {
  return parseText(await readText(file), file).scenario;
}

// ---------------------------------------------------------------------------------------------
// selecting files

const GLOB_CHARS = /[*?{]/;
const SCENARIO_EXT = /\.ya?ml$/i;

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        // `**/` matches zero or more whole directories; a trailing `**` matches everything below.
        const slash = pattern[i + 2] === '/';
        re += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const end = pattern.indexOf('}', i);
      if (end < 0) re += '\\{';
      else {
        re += `(?:${pattern
          .slice(i + 1, end)
          .split(',')
          .map((alt) =>
            alt
              .replace(/[.+^${}()|[\]\\]/g, '\\$&')
              .replace(/\*/g, '[^/]*')
              .replace(/\?/g, '[^/]'),
          )
          .join('|')})`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

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
      if (e instanceof ScenarioError) problems.push(...e.issues);
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
        message: `scenario name "${l.scenario.name}" is already used by ${other}`,
      });
    } else names.set(l.scenario.name, l.file);
  }
  if (problems.length) throw new ScenarioError(problems);
  return loaded.map(({ file, scenario }) => ({ file, scenario }));
}
