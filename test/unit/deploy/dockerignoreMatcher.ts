/** One .dockerignore rule: a compiled pattern, and whether it re-includes (`!`) what it matches. */
interface Rule {
  regex: RegExp;
  include: boolean;
}

function toRegex(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` matches any number of folders, none included; a final `**` matches anything.
      if (pattern[i + 2] === '/') {
        out += '(?:.*/)?';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/**
 * Whether a path of the build context is left out by a .dockerignore, with the builder's rules:
 * patterns are relative to the context root, the last matching pattern wins, `!` re-includes, and a
 * pattern that matches a parent folder matches everything inside it.
 */
export function createDockerignore(text: string): (path: string) => boolean {
  const rules: Rule[] = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const include = l.startsWith('!');
      const pattern = (include ? l.slice(1) : l).trim().replace(/^\/+/, '').replace(/\/+$/, '');
      return { regex: toRegex(pattern), include };
    });
  return (path: string): boolean => {
    const parts = path.replace(/^\.?\/+/, '').replace(/\/+$/, '').split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) {
      if (prefixes.some((p) => rule.regex.test(p))) excluded = !rule.include;
    }
    return excluded;
  };
}
