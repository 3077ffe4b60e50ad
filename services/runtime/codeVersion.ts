import { readFileSync } from 'node:fs';

let cached: string | null = null;

/** The package version, stamped on every message a service produces (lineage). */
export function codeVersion(): string {
  if (cached === null) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    cached = pkg.version ?? '0.0.0';
  }
  return cached;
}
