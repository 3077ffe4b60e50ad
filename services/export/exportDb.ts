import { ClassicLevel } from 'classic-level';
import { ExportIoError } from '../errors/medistillErrors.ts';
import type { PaperEntry } from './paperEntry.ts';
import type { RecordPreferences } from '../model/preferencePair.ts';

/** The export's table store: LevelDB, string keys (see exportKeys.ts), JSON values. */
export type ExportDb = ClassicLevel<string, unknown>;
/** One operation of an atomic batch. */
export type ExportDbOp = { type: 'put'; key: string; value: unknown } | { type: 'del'; key: string };

/** A paper as stored: its newest judgement and its arrival sequence, which orders its questions. */
export interface StoredPaper extends PaperEntry {
  seq: number;
}

/** The newest preference pairs of a paper, as stored. */
export interface StoredPreferences {
  pmid: string;
  pmidVersion: number;
  producedAt: number;
  preferences: RecordPreferences;
}

/** An accepted item asking a question; the first holder in key order keeps the question in the dataset. */
export interface QuestionHolder {
  position: string;
  pmid: string;
  id: string;
}

/** Store-wide counters, written with every change. */
export interface ExportCounters {
  /** Next paper arrival sequence. */
  nextSeq: number;
  /** Items removed by revisions and deletions. */
  removed: number;
  /** MeSH version of the last judgement applied. */
  meshVersion: string | null;
}

/** Opens (creating) the table store in `dir`. */
export async function openExportDb(dir: string, cacheSize: number): Promise<ExportDb> {
  const db: ExportDb = new ClassicLevel<string, unknown>(dir, { valueEncoding: 'json', cacheSize });
  try {
    await db.open();
  } catch (cause) {
    throw new ExportIoError(dir, { cause });
  }
  return db;
}
