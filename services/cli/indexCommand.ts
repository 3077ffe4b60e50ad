import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { resolveInputFiles, readPubmedInputs } from '../ingest/readPubmedInputs.ts';
import { loadMeshVocabulary } from '../mesh/loadMeshVocabulary.ts';
import { createAnnotateContext } from '../annotate/annotateContext.ts';
import { annotateRecord } from '../annotate/annotateRecord.ts';
import { EmbeddingsError, UsageError } from '../errors/medistillErrors.ts';
import { indexedDocumentOf } from '../retrieval/indexedDocument.ts';
import type { IndexedDocument, IndexWriteOutcome, StoredVector } from '../retrieval/literatureIndex.ts';
import { createFailureLog } from '../runtime/inprocess/failureLog.ts';
import { loadServiceConfig } from '../config/serviceConfig.ts';
import { positiveInt } from './numericFlags.ts';
import { bundledMeshPath } from './runCommand.ts';
import { buildRetrieval } from './buildRetrieval.ts';

export const INDEX_USAGE = `usage: medistill index --input <file|folder|glob> [--input ...] --index <dir> [--mesh <desc.xml[.gz]>] [--limit N] [--batch N]

Bulk-indexes PubMed files into the literature index, so that retrieval has a corpus before
generation starts: each record is annotated (NLM headings, or predicted MeSH) and its abstract
indexed with PMID, version, title, MeSH descriptors and year; a newer version replaces an older
one, a DeleteCitation removes the paper, and what the index already holds is not written again.
With MEDISTILL_EMBEDDINGS_BASE_URL set, vectors are stored beside the text.
Without --input, "medistill index" runs as the Kafka service that keeps an index up to date
from pubmed.annotated.v1 (MEDISTILL_INDEX_DIR).`;

export interface IndexSummary {
  records: number;
  outcomes: Record<IndexWriteOutcome | 'no_abstract', number>;
  otherLanguage: number;
  embeddingsFailed: number;
  failed: number;
  documents: number;
  elapsedMs: number;
}

/** `medistill index --input`: bulk indexing of PubMed files into the literature index. */
export async function indexCommand(argv: string[], io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream; env: NodeJS.ProcessEnv }): Promise<IndexSummary> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        input: { type: 'string', multiple: true },
        index: { type: 'string' },
        mesh: { type: 'string' },
        limit: { type: 'string' },
        batch: { type: 'string' },
        quiet: { type: 'boolean', default: false },
      },
      strict: true,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${INDEX_USAGE}`);
  }
  const v = parsed.values;
  if (!v.input?.length) throw new UsageError(`--input is required\n${INDEX_USAGE}`);
  if (!v.index) throw new UsageError(`--index is required\n${INDEX_USAGE}`);
  const limit = positiveInt('limit', v.limit, Infinity);
  const batchSize = positiveInt('batch', v.batch, 500);
  const config = loadServiceConfig(io.env);
  const files = await resolveInputFiles(v.input);
  const vocab = await loadMeshVocabulary(v.mesh ?? bundledMeshPath());
  const ctx = createAnnotateContext(vocab);
  const log = (line: string): void => {
    if (!v.quiet) io.stderr.write(`${line}\n`);
  };
  const parts = buildRetrieval({ dir: resolve(v.index), config, env: io.env, vocab });
  for (const line of parts.settingsLines) log(line);
  const failures = createFailureLog(resolve(v.index, 'failures.jsonl'));
  const started = Date.now();
  const summary: IndexSummary = {
    records: 0,
    outcomes: { indexed: 0, replaced: 0, unchanged: 0, stale: 0, deleted: 0, absent: 0, no_abstract: 0 },
    otherLanguage: 0,
    embeddingsFailed: 0,
    failed: 0,
    documents: 0,
    elapsedMs: 0,
  };
  let pending: IndexedDocument[] = [];

  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const docs = pending;
    pending = [];
    let vectors: (StoredVector | undefined)[] = docs.map(() => undefined);
    if (parts.embeddings) {
      try {
        const embedded = await parts.embeddings.embed(docs.map((d) => `${d.title}\n${d.abstract}`));
        vectors = embedded.map((vector) => ({ model: parts.embeddings!.model, vector }));
      } catch (err) {
        if (!(err instanceof EmbeddingsError)) throw err;
        // The text is indexed all the same; the papers lack vectors until indexed again.
        summary.embeddingsFailed += docs.length;
        log(`embeddings: ${err.message}; ${docs.length} abstracts indexed without vectors`);
      }
    }
    const outcomes = parts.index.upsertMany(docs.map((doc, i) => ({ doc, vector: vectors[i] })));
    for (const o of outcomes) summary.outcomes[o]++;
    log(`progress: ${summary.records} records, ${parts.index.count()} abstracts in the index`);
  };

  try {
    for await (const item of readPubmedInputs(files)) {
      if (summary.records >= limit) break;
      summary.records++;
      if (item.kind === 'error') {
        summary.failed++;
        await failures.add({ reason: 'parse_error', message: item.message, source: item.source, pmid: item.pmid, position: item.position, raw: item.raw, truncated: item.truncated });
        continue;
      }
      if (item.kind === 'deletion') {
        await flush();
        summary.outcomes[parts.index.remove(item.pmid)]++;
        continue;
      }
      const doc = indexedDocumentOf(annotateRecord(item, ctx));
      if (!doc) {
        summary.outcomes.no_abstract++;
        continue;
      }
      if (doc.language !== null && doc.language !== 'eng') summary.otherLanguage++;
      pending.push(doc);
      if (pending.length >= batchSize) await flush();
    }
    await flush();
    parts.index.checkpoint();
    summary.documents = parts.index.count();
  } finally {
    parts.close();
    await failures.close();
  }
  summary.elapsedMs = Date.now() - started;
  const o = summary.outcomes;
  const rate = summary.elapsedMs > 0 ? Math.round(((o.indexed + o.replaced) * 1000) / summary.elapsedMs) : 0;
  io.stdout.write(
    [
      `records: ${summary.records} input entries`,
      `  indexed ${o.indexed}, replaced ${o.replaced}, already held ${o.unchanged}, older than held ${o.stale}, no abstract ${o.no_abstract}`,
      `  deleted ${o.deleted} (${o.absent} deletions of papers not held), failed ${summary.failed}, not in English ${summary.otherLanguage} (indexed)`,
      ...(parts.embeddings ? [`  embeddings failed for ${summary.embeddingsFailed} (indexed without vectors)`] : []),
      `index: ${summary.documents} abstracts in ${resolve(v.index)} (${rate} abstracts/s)`,
    ].join('\n') + '\n',
  );
  return summary;
}
