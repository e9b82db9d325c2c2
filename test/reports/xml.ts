/**
 * A small, strict XML well-formedness checker that also builds a tree, for the report tests (no XML
 * parser is installed). Reports are polyglot HTML, so the same parser reads the HTML pages, the
 * SVG vega produced inside them and the JUnit XML. It rejects: unclosed or mismatched tags,
 * duplicate attributes, unquoted attribute values, a raw '<' in text or attributes, a '&' that does
 * not start a valid reference, ']]>' in text, characters XML 1.0 forbids, and anything but one root
 * element. Supports the XML declaration, <!DOCTYPE …> without an internal subset, comments, CDATA
 * and processing instructions.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  /** Offset of '<' in the source, for messages. */
  offset: number;
}
export type XmlNode = XmlElement | string;

export class XmlError extends Error {
  constructor(message: string, offset: number, source: string) {
    const line = source.slice(0, offset).split('\n').length;
    super(
      `${message} at offset ${offset} (line ${line}): …${source.slice(Math.max(0, offset - 40), offset + 40)}…`,
    );
  }
}

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function isNameStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === ':' || c.charCodeAt(0) > 0x7f;
}
function isNameChar(c: string): boolean {
  return isNameStart(c) || (c >= '0' && c <= '9') || c === '-' || c === '.';
}
function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}
function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    code >= 0x10000
  );
}

export function parseXml(source: string): XmlElement {
  for (const ch of source) {
    const code = ch.codePointAt(0)!;
    if (!isXmlChar(code))
      throw new XmlError(
        `character U+${code.toString(16)} is not allowed in XML`,
        source.indexOf(ch),
        source,
      );
  }
  let i = 0;
  const fail = (msg: string, at = i): never => {
    throw new XmlError(msg, at, source);
  };

  const decode = (raw: string, at: number): string => {
    let out = '';
    let k = 0;
    while (k < raw.length) {
      const amp = raw.indexOf('&', k);
      if (amp < 0) {
        out += raw.slice(k);
        break;
      }
      out += raw.slice(k, amp);
      const semi = raw.indexOf(';', amp);
      if (semi < 0) fail("'&' without a terminating ';'", at + amp);
      const ref = raw.slice(amp + 1, semi);
      if (ref.startsWith('#x')) {
        const hex = ref.slice(2);
        if (hex.length === 0 || [...hex].some((c) => !'0123456789abcdefABCDEF'.includes(c)))
          fail(`bad reference &${ref};`, at + amp);
        out += String.fromCodePoint(Number.parseInt(hex, 16));
      } else if (ref.startsWith('#')) {
        const dec = ref.slice(1);
        if (dec.length === 0 || [...dec].some((c) => c < '0' || c > '9'))
          fail(`bad reference &${ref};`, at + amp);
        out += String.fromCodePoint(Number.parseInt(dec, 10));
      } else {
        const v = PREDEFINED[ref];
        if (v === undefined) fail(`undefined entity &${ref};`, at + amp);
        out += v;
      }
      k = semi + 1;
    }
    return out;
  };

  const readName = (): string => {
    const start = i;
    if (!isNameStart(source[i] ?? '')) fail('expected a name');
    while (i < source.length && isNameChar(source[i]!)) i++;
    return source.slice(start, i);
  };
  const skipSpace = () => {
    while (isSpace(source[i])) i++;
  };
  const skipUntil = (end: string, what: string) => {
    const j = source.indexOf(end, i);
    if (j < 0) fail(`unterminated ${what}`);
    i = j + end.length;
  };

  // Prolog: declaration, doctype, comments, PIs, whitespace.
  const misc = (allowDoctype: boolean): boolean => {
    skipSpace();
    if (source.startsWith('<?', i)) {
      skipUntil('?>', 'processing instruction');
      return true;
    }
    if (source.startsWith('<!--', i)) {
      i += 4;
      const j = source.indexOf('-->', i);
      if (j < 0) fail('unterminated comment');
      if (source.slice(i, j).includes('--')) fail("'--' inside a comment");
      i = j + 3;
      return true;
    }
    if (allowDoctype && source.startsWith('<!DOCTYPE', i)) {
      const j = source.indexOf('>', i);
      if (j < 0 || source.slice(i, j).includes('[')) fail('unsupported DOCTYPE');
      i = j + 1;
      return true;
    }
    return false;
  };
  while (misc(true));

  const element = (): XmlElement => {
    const offset = i;
    if (source[i] !== '<') fail("expected '<'");
    i++;
    const name = readName();
    const attrs: Record<string, string> = {};
    for (;;) {
      const hadSpace = isSpace(source[i]);
      skipSpace();
      if (source.startsWith('/>', i)) {
        i += 2;
        return { name, attrs, children: [], offset };
      }
      if (source[i] === '>') {
        i++;
        break;
      }
      if (!hadSpace) fail(`expected whitespace before an attribute of <${name}>`);
      const attr = readName();
      skipSpace();
      if (source[i] !== '=') fail(`attribute ${attr} of <${name}> has no '='`);
      i++;
      skipSpace();
      const quote = source[i];
      if (quote !== '"' && quote !== "'") fail(`attribute ${attr} of <${name}> is not quoted`);
      const end = source.indexOf(quote!, i + 1);
      if (end < 0) fail(`unterminated value of attribute ${attr}`);
      const raw = source.slice(i + 1, end);
      if (raw.includes('<')) fail(`raw '<' in attribute ${attr} of <${name}>`, i + 1 + raw.indexOf('<'));
      if (Object.hasOwn(attrs, attr)) fail(`duplicate attribute ${attr} on <${name}>`);
      attrs[attr] = decode(raw, i + 1);
      i = end + 1;
    }
    const children: XmlNode[] = [];
    for (;;) {
      if (i >= source.length) fail(`<${name}> is never closed`, offset);
      if (source.startsWith('</', i)) {
        i += 2;
        const close = readName();
        if (close !== name) fail(`</${close}> closes <${name}>`);
        skipSpace();
        if (source[i] !== '>') fail(`malformed </${close}>`);
        i++;
        return { name, attrs, children, offset };
      }
      if (source.startsWith('<!--', i)) {
        misc(false);
        continue;
      }
      if (source.startsWith('<![CDATA[', i)) {
        const j = source.indexOf(']]>', i);
        if (j < 0) fail('unterminated CDATA');
        children.push(source.slice(i + 9, j));
        i = j + 3;
        continue;
      }
      if (source.startsWith('<?', i)) {
        skipUntil('?>', 'processing instruction');
        continue;
      }
      if (source[i] === '<') {
        children.push(element());
        continue;
      }
      const next = source.indexOf('<', i);
      const raw = source.slice(i, next < 0 ? source.length : next);
      if (raw.includes(']]>')) fail("']]>' in text", i + raw.indexOf(']]>'));
      children.push(decode(raw, i));
      i += raw.length;
    }
  };

  if (source[i] !== '<') fail('expected the root element');
  const root = element();
  while (misc(false));
  skipSpace();
  if (i < source.length) fail('content after the root element');
  return root;
}

export function isElement(n: XmlNode): n is XmlElement {
  return typeof n !== 'string';
}

/** Every element under `root` (itself included) matching `pred`, in document order. */
export function findAll(root: XmlElement, pred: (e: XmlElement) => boolean): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    if (pred(e)) out.push(e);
    for (const c of e.children) if (isElement(c)) walk(c);
  };
  walk(root);
  return out;
}

export function byId(root: XmlElement, id: string): XmlElement | undefined {
  return findAll(root, (e) => e.attrs.id === id)[0];
}

export function hasClass(e: XmlElement, cls: string): boolean {
  return (e.attrs.class ?? '').split(' ').includes(cls);
}

/** Concatenated text content. */
export function textOf(e: XmlElement): string {
  return e.children.map((c) => (isElement(c) ? textOf(c) : c)).join('');
}

/** Element names directly under `e`. */
export function childElements(e: XmlElement, name?: string): XmlElement[] {
  return e.children.filter(isElement).filter((c) => name === undefined || c.name === name);
}
