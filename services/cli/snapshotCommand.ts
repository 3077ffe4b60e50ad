import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { UsageError } from '../errors/medistillErrors.ts';
import { loadServiceConfig } from '../config/serviceConfig.ts';
import { publishSnapshot } from '../export/exportSnapshot.ts';

export const SNAPSHOT_USAGE = `usage: medistill export --snapshot [--dir <dataset folder>]

Publishes the dataset folder's current checkpoint as an immutable, versioned snapshot in
<folder>/snapshots/vNNNN/ (shard files hard-linked, the card, the manifest and snapshot.json with
the version, a content id and what changed since the previous snapshot), and prints its version.
A snapshot is itself a dataset folder: load_dataset("<folder>/snapshots/v0001") reads exactly it.
--dir defaults to MEDISTILL_EXPORT_DIR (out/export). The export service publishes one on a schedule
(MEDISTILL_EXPORT_SNAPSHOT_INTERVAL_MS, default a day).`;

/** `medistill export --snapshot`: publishes a snapshot of a dataset folder and prints what it holds. */
export async function snapshotCommand(argv: string[], io: { stdout: NodeJS.WritableStream; env: NodeJS.ProcessEnv }): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { snapshot: { type: 'boolean' }, dir: { type: 'string' } }, strict: true }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${SNAPSHOT_USAGE}`);
  }
  const dir = resolve(values.dir ?? loadServiceConfig(io.env).exportDir);
  const { snapshot: s, created, dir: where } = await publishSnapshot(dir);
  const changes = s.changes ? `; since ${s.changes.previous}: ${s.changes.acceptedDelta >= 0 ? '+' : ''}${s.changes.acceptedDelta} accepted, ${s.changes.removedSince} removed by revisions and deletions` : '';
  io.stdout.write(`snapshot ${s.version} (id ${s.id})${created ? '' : ', unchanged since it was published'}: ${s.accepted} accepted items from ${s.papers} papers in ${where}${changes}\n`);
  return 0;
}
