/**
 * Text from outside (names, values, file names, whole files) as messages show it: control, invisible
 * and bidi characters escaped, long values cut. Dependency-free, so the CLI's error handling can use
 * it without loading the scenario schema.
 */

/** Characters of a value echoed in a message. */
export const ECHO = 80;

/**
 * Characters that must not reach a terminal as they are: C0 and C1 controls, DEL, invisible
 * formatting (zero-width, soft hyphen, BOM, tag characters), line/paragraph separators, bidi
 * embeddings, overrides and isolates, and lone surrogates.
 */
const UNSAFE_SOURCE =
  '[\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb\\ud800-\\udfff\\u{e0000}-\\u{e007f}]';
const UNSAFE = new RegExp(UNSAFE_SOURCE, 'gu');
const UNSAFE_ONE = new RegExp(UNSAFE_SOURCE, 'u');

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(c: string): string {
  const known = ESCAPES[c];
  if (known) return known;
  const cp = c.codePointAt(0)!;
  return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
}

/** Whether a string holds a control, invisible or bidi character (see printable). */
export function hasUnsafeCharacters(s: string): boolean {
  return UNSAFE_ONE.test(s);
}

/** The first control, invisible or bidi character of a string, as U+XXXX, and its index. */
export function firstUnsafeCharacter(s: string): { index: number; name: string } | undefined {
  const m = UNSAFE_ONE.exec(s);
  if (!m) return undefined;
  const cp = m[0].codePointAt(0)!;
  return { index: m.index, name: `U+${cp.toString(16).toUpperCase().padStart(4, '0')}` };
}

/** Cuts a string to `max` UTF-16 units without splitting a surrogate pair. */
function cut(s: string, max: number): string {
  let end = Math.min(s.length, max);
  const last = s.charCodeAt(end - 1);
  if (end < s.length && last >= 0xd800 && last <= 0xdbff) end--;
  return s.slice(0, end);
}

/**
 * Text safe to print: control, invisible and bidi characters escaped (\u202e, \n), cut at `max`
 * characters with "…" when longer (Infinity: never cut).
 */
export function printable(s: string, max: number = Number.POSITIVE_INFINITY): string {
  const shown = s.length > max ? `${cut(s, max)}…` : s;
  return shown.replace(UNSAFE, escapeChar);
}

/**
 * A string as an error shows it: double-quoted, escaped like JSON plus every control, invisible and
 * bidi character, and cut at `max` characters (its length is then given).
 */
export function quote(s: string, max: number = ECHO): string {
  const long = s.length > max;
  const body = JSON.stringify(long ? cut(s, max) : s).replace(UNSAFE, escapeChar);
  return long ? `${body.slice(0, -1)}…" (${s.length} characters)` : body;
}
