import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'libsql';
import { IndexStorageError } from '../errors/medistillErrors.ts';
import { ftsMatchExpression, queryTerms } from './queryTerms.ts';

/** What the index holds of one paper: enough to rank it and to score its place in the MeSH tree. */
export interface IndexedDocument {
  pmid: string;
  version: number;
  title: string;
  abstract: string;
  /** MeSH descriptor UIs of the paper (NLM's, or predicted by annotate). */
  meshUis: string[];
  year: number | null;
  /** First language of the record (ISO 639-2, e.g. "eng"), null when unknown. */
  language: string | null;
}

/** What an upsert or a removal did. */
export type IndexWriteOutcome = 'indexed' | 'replaced' | 'unchanged' | 'stale' | 'deleted' | 'absent';

/** A document found for a query, best first. */
export interface RetrievedDocument {
  pmid: string;
  /** Higher is better; BM25 for lexical hits, cosine similarity for dense ones, fused rank score for hybrid. */
  score: number;
  meshUis: string[];
  title: string;
  year: number | null;
}

/** Why a search returned what it did: a small fixed set, counted by the metrics. */
export type SearchOutcome = 'hits' | 'no_hits' | 'empty_index' | 'no_query_terms';

export interface SearchResult {
  outcome: SearchOutcome;
  documents: RetrievedDocument[];
}

export interface SearchOptions {
  /** Documents wanted (default 5, at most 100). */
  k?: number;
  /** A PMID never returned (the paper a question was written from). */
  excludePmid?: string;
  /** Most query words used (default 32, at most 256): a whole abstract as query needs more than a question. */
  maxTerms?: number;
}

/** A dense vector stored beside a document's text, with the model that produced it. */
export interface StoredVector {
  model: string;
  vector: Float32Array;
}

/**
 * The literature index: every abstract the pipeline has annotated, on disk, ranked by BM25 (SQLite
 * FTS5 through libsql, whose npm package carries prebuilt binaries), with optional dense vectors
 * beside the text. One writer per directory; readers in other processes see committed writes (WAL).
 */
export interface LiteratureIndex {
  readonly path: string;
  /** Adds a paper or replaces an older version of it; an older or equal version leaves it as it is. */
  upsert(doc: IndexedDocument, vector?: StoredVector): IndexWriteOutcome;
  /** Upserts many documents in one transaction (bulk indexing); returns the outcome of each. */
  upsertMany(docs: readonly { doc: IndexedDocument; vector?: StoredVector }[]): IndexWriteOutcome[];
  /** Removes a paper (a DeleteCitation). */
  remove(pmid: string): IndexWriteOutcome;
  /** Lexical search: BM25 over title (weighted twice) and abstract, Porter-stemmed. */
  search(text: string, options?: SearchOptions): SearchResult;
  /** Dense search: cosine similarity against every stored vector of `model` (exact, not approximate). */
  searchVector(vector: Float32Array, model: string, options?: SearchOptions): SearchResult;
  get(pmid: string): IndexedDocument | null;
  /** Version held for a PMID, or null. */
  versionOf(pmid: string): number | null;
  count(): number;
  /** Documents with a stored vector of `model`. */
  vectorCount(model: string): number;
  /** Writes the WAL back into the database file, so a copy of the directory is whole. */
  checkpoint(): void;
  close(): void;
}

export interface OpenLiteratureIndexOptions {
  /** Folder of the index (created when missing); the database is `literature.db` inside it. */
  dir: string;
  /** Open for reading only (a judge replica reading what its indexer writes). */
  readonly?: boolean;
}

/** The layout version of the database; an index of another layout is refused, not misread. */
const LAYOUT_VERSION = '1';
/** Document frequencies kept in memory; the cache is dropped after this many writes, so it follows the corpus. */
const DF_CACHE_SIZE = 50_000;
const DF_CACHE_WRITES = 1_000;
/** A query keeps its words in at most this share of the documents, unless too few rarer words remain. */
const COMMON_SHARE = 0.2;
const MIN_RARE_TERMS = 2;
/** Most words ranked in a large index: the rarest carry the ranking. */
const MAX_RANKED_TERMS = 12;
/** Below this many documents every word is ranked: scoring them all is cheap, and shares are noisy. */
const PRUNE_FROM_DOCS = 2_000;
export const INDEX_FILE = 'literature.db';
const MAX_K = 100;

interface DocRow {
  id: number;
  pmid: string;
  version: number;
  title: string;
  abstract: string;
  mesh: string;
  year: number | null;
  language: string | null;
}

/** Opens (or creates) the literature index in a folder. */
export function openLiteratureIndex(options: OpenLiteratureIndexOptions): LiteratureIndex {
  const dir = resolve(options.dir);
  const path = join(dir, INDEX_FILE);
  let db: Database.Database;
  try {
    if (!options.readonly) mkdirSync(dir, { recursive: true });
    db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false, timeout: 10_000 });
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      createSchema(db);
    }
    const layout = (db.prepare(`SELECT value FROM meta WHERE key = 'layout'`).get() as { value: string } | undefined)?.value ?? null;
    if (layout !== LAYOUT_VERSION) {
      db.close();
      throw new IndexStorageError(path, `layout ${layout ?? 'unknown'} is not ${LAYOUT_VERSION}; remove the folder and index again`, { retriable: false });
    }
  } catch (err) {
    if (err instanceof IndexStorageError) throw err;
    throw new IndexStorageError(path, `cannot open: ${(err as Error).message}`, { retriable: false, cause: err });
  }

  const stmt = {
    byPmid: db.prepare('SELECT id, pmid, version, title, abstract, mesh, year, language FROM docs WHERE pmid = ?'),
    insertDoc: options.readonly
      ? null
      : db.prepare('INSERT INTO docs (pmid, version, title, abstract, mesh, year, language) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    updateDoc: options.readonly ? null : db.prepare('UPDATE docs SET version = ?, title = ?, abstract = ?, mesh = ?, year = ?, language = ? WHERE id = ?'),
    deleteDoc: options.readonly ? null : db.prepare('DELETE FROM docs WHERE id = ?'),
    ftsInsert: options.readonly ? null : db.prepare('INSERT INTO docs_fts (rowid, title, abstract) VALUES (?, ?, ?)'),
    ftsDelete: options.readonly ? null : db.prepare(`INSERT INTO docs_fts (docs_fts, rowid, title, abstract) VALUES ('delete', ?, ?, ?)`),
    vecUpsert: options.readonly ? null : db.prepare('INSERT OR REPLACE INTO vectors (id, model, data) VALUES (?, ?, ?)'),
    vecDelete: options.readonly ? null : db.prepare('DELETE FROM vectors WHERE id = ?'),
    count: db.prepare('SELECT count(*) AS n FROM docs'),
    termDocs: db.prepare('SELECT count(*) AS n FROM docs_fts WHERE docs_fts MATCH ?'),
    vecCount: db.prepare('SELECT count(*) AS n FROM vectors WHERE model = ?'),
    // Rank in the full-text table alone, then join the k best: joining every match before sorting costs a row lookup per match.
    search: db.prepare(
      `SELECT d.pmid, d.title, d.mesh, d.year, -f.rank AS score
         FROM (SELECT rowid, rank FROM docs_fts WHERE docs_fts MATCH ? ORDER BY rank LIMIT ?) f
         JOIN docs d ON d.id = f.rowid
        ORDER BY f.rank`,
    ),
    vectors: db.prepare('SELECT v.data, d.pmid, d.title, d.mesh, d.year FROM vectors v JOIN docs d ON d.id = v.id WHERE v.model = ? AND d.pmid != ?'),
  };

  const countDocs = (): number => (stmt.count.get() as { n: number }).n;

  // Document frequency of a query word (stemmed by the index's own tokenizer), cached.
  const dfCache = new Map<string, number>();
  let writesSinceDf = 0;
  const documentFrequency = (term: string): number => {
    let n = dfCache.get(term);
    if (n === undefined) {
      n = (stmt.termDocs.get(ftsMatchExpression([term])) as { n: number }).n;
      if (dfCache.size >= DF_CACHE_SIZE) dfCache.clear();
      dfCache.set(term, n);
    }
    return n;
  };
  const wrote = (): void => {
    if (++writesSinceDf >= DF_CACHE_WRITES) {
      dfCache.clear();
      writesSinceDf = 0;
    }
  };

  /**
   * The words worth ranking by. FTS5 scores every document that matches any word, so a word found in
   * most documents costs the most and, by BM25's idf, weighs least (nothing at all past half the
   * corpus). Words in more than COMMON_SHARE of the documents are left out when at least
   * MIN_RARE_TERMS rarer ones remain; words no document holds are left out too. Small indexes (under
   * PRUNE_FROM_DOCS) rank every word.
   */
  const rankedTerms = (terms: readonly string[], total: number): string[] => {
    if (total < PRUNE_FROM_DOCS) return [...terms];
    const byRarity = terms
      .map((t) => ({ t, df: documentFrequency(t) }))
      .filter((x) => x.df > 0)
      .sort((a, b) => a.df - b.df);
    const rare = byRarity.filter((x) => x.df <= total * COMMON_SHARE);
    // Too few rare words: the rarest few, preferring words BM25 still weighs (in under half the corpus).
    const weighed = byRarity.filter((x) => x.df <= total / 2);
    const kept = rare.length >= MIN_RARE_TERMS ? rare : (weighed.length > 0 ? weighed : byRarity).slice(0, MIN_RARE_TERMS);
    return kept.slice(0, MAX_RANKED_TERMS).map((x) => x.t);
  };

  const writable = <T>(s: T | null): T => {
    if (s === null) throw new IndexStorageError(path, 'opened read-only; only the indexer writes', { retriable: false });
    return s;
  };

  const write = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof IndexStorageError) throw err;
      // A busy database (another writer) or a full disk may clear; a corrupt file will not, but retrying is bounded.
      throw new IndexStorageError(path, `${what} failed: ${(err as Error).message}`, { retriable: true, cause: err });
    }
  };

  function upsertOne(doc: IndexedDocument, vector?: StoredVector): IndexWriteOutcome {
    const existing = stmt.byPmid.get(doc.pmid) as DocRow | undefined;
    const mesh = doc.meshUis.join(' ');
    let id: number;
    let outcome: IndexWriteOutcome;
    if (existing) {
      if (doc.version < existing.version) return 'stale';
      if (doc.version === existing.version && existing.title === doc.title && existing.abstract === doc.abstract && existing.mesh === mesh) {
        if (vector) writable(stmt.vecUpsert).run(existing.id, vector.model, vectorBytes(vector.vector));
        return 'unchanged';
      }
      writable(stmt.ftsDelete).run(existing.id, existing.title, existing.abstract);
      writable(stmt.updateDoc).run(doc.version, doc.title, doc.abstract, mesh, doc.year, doc.language, existing.id);
      id = existing.id;
      outcome = 'replaced';
    } else {
      const info = writable(stmt.insertDoc).run(doc.pmid, doc.version, doc.title, doc.abstract, mesh, doc.year, doc.language);
      id = Number(info.lastInsertRowid);
      outcome = 'indexed';
    }
    writable(stmt.ftsInsert).run(id, doc.title, doc.abstract);
    if (vector) writable(stmt.vecUpsert).run(id, vector.model, vectorBytes(vector.vector));
    else if (outcome === 'replaced') writable(stmt.vecDelete).run(id);
    return outcome;
  }

  const upsertTx = db.transaction((doc: IndexedDocument, vector?: StoredVector) => upsertOne(doc, vector));
  const upsertManyTx = db.transaction((docs: readonly { doc: IndexedDocument; vector?: StoredVector }[]) => docs.map((d) => upsertOne(d.doc, d.vector)));
  const removeTx = db.transaction((pmid: string): IndexWriteOutcome => {
    const existing = stmt.byPmid.get(pmid) as DocRow | undefined;
    if (!existing) return 'absent';
    writable(stmt.ftsDelete).run(existing.id, existing.title, existing.abstract);
    writable(stmt.vecDelete).run(existing.id);
    writable(stmt.deleteDoc).run(existing.id);
    return 'deleted';
  });

  const limitOf = (options?: SearchOptions): number => {
    const k = options?.k ?? 5;
    if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new RangeError(`k must be a whole number from 1 to ${MAX_K}, got ${k}`);
    return k;
  };

  return {
    path,
    upsert: (doc, vector) => {
      wrote();
      return write('upsert', () => upsertTx(doc, vector));
    },
    upsertMany: (docs) => {
      for (let i = 0; i < docs.length; i += DF_CACHE_WRITES) wrote();
      return write('bulk upsert', () => upsertManyTx(docs));
    },
    remove: (pmid) => {
      wrote();
      return write('remove', () => removeTx(pmid));
    },
    search(text, options) {
      const k = limitOf(options);
      const total = countDocs();
      if (total === 0) return { outcome: 'empty_index', documents: [] };
      const words = queryTerms(text, Math.min(256, Math.max(1, options?.maxTerms ?? 32)));
      if (words.length === 0) return { outcome: 'no_query_terms', documents: [] };
      const terms = rankedTerms(words, total);
      if (terms.length === 0) return { outcome: 'no_hits', documents: [] };
      const exclude = options?.excludePmid;
      const rows = stmt.search.all(ftsMatchExpression(terms), exclude === undefined ? k : k + 1) as { pmid: string; title: string; mesh: string; year: number | null; score: number }[];
      const documents = rows
        .filter((r) => r.pmid !== exclude)
        .slice(0, k)
        .map((r) => ({ pmid: r.pmid, score: r.score, meshUis: splitMesh(r.mesh), title: r.title, year: r.year }));
      return { outcome: documents.length > 0 ? 'hits' : 'no_hits', documents };
    },
    searchVector(vector, model, options) {
      const k = limitOf(options);
      if (countDocs() === 0) return { outcome: 'empty_index', documents: [] };
      const qn = norm(vector);
      if (qn === 0) return { outcome: 'no_query_terms', documents: [] };
      // Exact search keeps the k best in a small sorted array: no whole-corpus sort.
      const best: RetrievedDocument[] = [];
      for (const row of stmt.vectors.iterate(model, options?.excludePmid ?? '') as Iterable<{ data: ArrayBuffer | Uint8Array; pmid: string; title: string; mesh: string; year: number | null }>) {
        const v = bytesVector(row.data);
        if (v.length !== vector.length) continue;
        const dn = norm(v);
        if (dn === 0) continue;
        let dot = 0;
        for (let i = 0; i < v.length; i++) dot += (v[i] as number) * (vector[i] as number);
        const score = dot / (qn * dn);
        if (best.length === k && score <= (best[k - 1] as RetrievedDocument).score) continue;
        const doc = { pmid: row.pmid, score, meshUis: splitMesh(row.mesh), title: row.title, year: row.year };
        let at = best.findIndex((b) => b.score < score);
        if (at === -1) at = best.length;
        best.splice(at, 0, doc);
        if (best.length > k) best.pop();
      }
      return { outcome: best.length > 0 ? 'hits' : 'no_hits', documents: best };
    },
    get(pmid) {
      const row = stmt.byPmid.get(pmid) as DocRow | undefined;
      return row
        ? { pmid: row.pmid, version: row.version, title: row.title, abstract: row.abstract, meshUis: splitMesh(row.mesh), year: row.year, language: row.language }
        : null;
    },
    versionOf(pmid) {
      const row = stmt.byPmid.get(pmid) as DocRow | undefined;
      return row ? row.version : null;
    },
    count: countDocs,
    vectorCount: (model) => (stmt.vecCount.get(model) as { n: number }).n,
    checkpoint() {
      if (!options.readonly) write('checkpoint', () => db.pragma('wal_checkpoint(TRUNCATE)'));
    },
    close() {
      if (db.open) db.close();
    },
  };
}

function createSchema(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS docs (
      id INTEGER PRIMARY KEY,
      pmid TEXT NOT NULL UNIQUE,
      version INTEGER NOT NULL,
      title TEXT NOT NULL,
      abstract TEXT NOT NULL,
      mesh TEXT NOT NULL,
      year INTEGER,
      language TEXT
    );
    CREATE VIRTUAL TABLE IF NOT EXISTS docs_fts USING fts5(
      title, abstract, content='docs', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2'
    );
    CREATE TABLE IF NOT EXISTS vectors (id INTEGER PRIMARY KEY, model TEXT NOT NULL, data BLOB NOT NULL);
    INSERT OR IGNORE INTO meta (key, value) VALUES ('layout', '${LAYOUT_VERSION}');
    INSERT INTO docs_fts (docs_fts, rank) VALUES ('rank', 'bm25(2.0, 1.0)');
  `);
}

function splitMesh(mesh: string): string[] {
  return mesh === '' ? [] : mesh.split(' ');
}

function vectorBytes(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function bytesVector(b: ArrayBuffer | Uint8Array): Float32Array {
  // Copy: a row's bytes may sit at an offset that is not 4-byte aligned.
  const bytes = b instanceof Uint8Array ? b : new Uint8Array(b);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

function norm(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] as number) * (v[i] as number);
  return Math.sqrt(s);
}
