import { readPubmedInputs, type ReadPubmedInputsOptions } from '../readPubmedInputs.ts';
import type { AckLedger } from './ackLedger.ts';
import type { FileSourceItem } from './sourceItem.ts';

/**
 * Streams one PubMed file (plain or gzipped) as acknowledgeable items, counted in `ledger` under `unit`.
 * The unit is opened at the first item (or at the end of an empty file) and sealed when the file is read,
 * so a file that vanished before it could be opened leaves no unit behind: readPubmedInputs throws
 * InputNotFoundError before any item, and the caller decides what that means.
 */
export async function* fileItems(path: string, unit: string, ledger: AckLedger, read: ReadPubmedInputsOptions = {}): AsyncGenerator<FileSourceItem> {
  let opened = false;
  for await (const item of readPubmedInputs([path], read)) {
    if (!opened) {
      ledger.open(unit);
      opened = true;
    }
    yield { item, file: path, ack: ledger.add(unit) };
  }
  if (!opened) ledger.open(unit);
  ledger.seal(unit);
}
