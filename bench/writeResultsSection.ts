import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** bench/RESULTS.md: one `## ` section per benchmark, each rewritten only by its own bench. */
export const RESULTS_FILE = fileURLToPath(new URL('./RESULTS.md', import.meta.url));

const PREAMBLE = '# Benchmark results\n\nFigures of the last run of each benchmark on the machine named in its section.\n';

/**
 * Replaces the section whose heading is `## <heading>` (up to the next `## ` heading) with `body`,
 * or appends it; the other benches' sections are left as they are. Creates the file when missing.
 */
export async function writeResultsSection(heading: string, body: string, file = RESULTS_FILE): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    text = PREAMBLE;
  }
  const title = `## ${heading}`;
  const section = `${title}\n\n${body.trim()}\n`;
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trimEnd() === title);
  if (start < 0) {
    await writeFile(file, `${text.trimEnd()}\n\n${section}`);
    return;
  }
  const next = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  const before = lines.slice(0, start).join('\n').trimEnd();
  const after = next < 0 ? '' : `\n${lines.slice(next).join('\n').trimEnd()}\n`;
  await writeFile(file, `${before}\n\n${section}${after}`);
}
