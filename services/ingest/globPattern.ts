/** True when `text` holds a glob wildcard (`*`, `**` or `?`). */
export function hasWildcard(text: string): boolean {
  return text.includes('*') || text.includes('?');
}

/**
 * Compiles a glob over '/'-separated paths: `*` matches within one path segment, `?` one character of a
 * segment, and a `**` segment any number of segments (zero included). Every other character is literal.
 *
 * @example globToRegExp('2024/**\/*.xml.gz').test('2024/01/pubmed24n0001.xml.gz') // true
 */
export function globToRegExp(pattern: string): RegExp {
  const segments = pattern.split('/');
  let source = '';
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    if (segment === '**') {
      // Zero or more whole segments, so "a/**/b" also matches "a/b".
      source += last ? '.*' : '(?:[^/]*/)*';
      return;
    }
    for (const ch of segment) {
      if (ch === '*') source += '[^/]*';
      else if (ch === '?') source += '[^/]';
      else source += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
    }
    if (!last) source += '/';
  });
  return new RegExp(`^${source}$`);
}

/** How deep under its fixed prefix a pattern can reach: its segment count, or Infinity with a `**` segment. */
export function globDepth(pattern: string): number {
  const segments = pattern.split('/');
  return segments.includes('**') ? Number.POSITIVE_INFINITY : segments.length;
}
