import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { releaseSchemaHistory, SCHEMAS_DIR, writeSchemaFiles } from './schemaFiles.ts';

/**
 * Writes schemas/<topic>.avsc and schemas/dead-letter.avsc from AVRO_SCHEMAS.
 * With `--release`, also keeps the current schema of every changed subject as the next
 * schemas/history/<subject>/v<N>.avsc (do this once per released schema change).
 *
 *   npx tsx services/contracts/writeSchemaFiles.ts [--release]
 */
export async function main(args: readonly string[]): Promise<number> {
  const unknown = args.filter((a) => a !== '--release');
  if (unknown.length > 0) {
    process.stderr.write(`unknown argument(s): ${unknown.join(' ')}\nusage: writeSchemaFiles.ts [--release]\n`);
    return 2;
  }
  for (const path of await writeSchemaFiles(SCHEMAS_DIR)) process.stdout.write(`wrote ${path}\n`);
  if (args.includes('--release')) {
    const released = await releaseSchemaHistory(SCHEMAS_DIR);
    for (const path of released) process.stdout.write(`released ${path}\n`);
    if (released.length === 0) process.stdout.write('history already holds the current schemas\n');
  }
  return 0;
}

const entry = process.argv[1];
if (entry !== undefined && realpathSync(entry) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
