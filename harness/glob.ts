/**
 * Shell-style globs for file arguments (`scenarios/*.yaml`, `out/shard-*.json`), for shells
 * that leave them unexpanded (Windows, quoted arguments): `*`, `?`, `**` (any directories),
 * `{a,b}` alternatives and `[…]` classes, matched against whole `/`-separated paths.
 */
const literal = (s: string): string => s.replace(/[.+^${}()|[\]\\]/g, '\\$&');

export function globToRegExp(pattern: string): RegExp {
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
    else if (c === '{' && pattern.indexOf('}', i) > i) {
      const end = pattern.indexOf('}', i);
      re += `(?:${pattern
        .slice(i + 1, end)
        .split(',')
        .map((alt) => literal(alt).replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]'))
        .join('|')})`;
      i = end;
    } else if (c === '[' && pattern.indexOf(']', i) > i) {
      const end = pattern.indexOf(']', i);
      re += `[${pattern
        .slice(i + 1, end)
        .replace(/^!/, '^')
        .replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += literal(c);
  }
  return new RegExp(`^${re}$`);
}
