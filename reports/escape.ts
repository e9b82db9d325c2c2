/**
 * Escaping for every string that comes from a scenario, a subject or the environment. Reports are
 * written as polyglot HTML (also well-formed XML), so the same rules serve HTML, SVG and JUnit XML.
 */

/**
 * Characters XML 1.0 cannot carry at all, not even as references — C0 controls other than tab, LF
 * and CR, unpaired surrogates, U+FFFE and U+FFFF — become U+FFFD.
 */
export function cleanText(value: unknown): string {
  const s = String(value ?? '');
  let out = '';
  let clean = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let bad = false;
    if (c < 0x20) bad = c !== 0x09 && c !== 0x0a && c !== 0x0d;
    else if (c === 0xfffe || c === 0xffff) bad = true;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else bad = true;
    } else if (c >= 0xdc00 && c <= 0xdfff) bad = true;
    if (bad) {
      out += s.slice(clean, i) + '\uFFFD';
      clean = i + 1;
    }
  }
  return clean === 0 ? s : out + s.slice(clean);
}

const TEXT_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text content or a quoted attribute value, in HTML, SVG or XML. */
export function esc(value: unknown): string {
  return cleanText(value).replace(/[&<>"']/g, (c) => TEXT_ENTITIES[c]!);
}

/** An attribute value that keeps its line breaks (XML parsers normalise raw ones to spaces). */
export function escAttr(value: unknown): string {
  return esc(value).replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

/** A token safe to use in an id or class: letters, digits, '-' and '_' only. */
export function slug(value: unknown): string {
  const s = cleanText(value)
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return s.length > 0 ? s.slice(0, 60) : 'x';
}
