import { createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveInputFiles, readPubmedInputs } from '../ingest/readPubmedInputs.ts';
import { loadMeshVocabulary } from '../mesh/loadMeshVocabulary.ts';
import { createAnnotateContext } from '../annotate/annotateContext.ts';
import { createAnnotateStage } from '../stages/annotateStage.ts';
import { NO_INSTRUMENTATION } from '../instrumentation/instrumentation.ts';
import type { AnnotatedRecord } from '../model/annotatedRecord.ts';
import type { PubmedArticle } from '../model/pubmedRecord.ts';
import { createFailureLog } from '../runtime/inprocess/failureLog.ts';
import { UsageError } from '../errors/medistillErrors.ts';
import { positiveInt } from './numericFlags.ts';
import { bundledMeshPath } from './runCommand.ts';

export const ANNOTATE_USAGE = `usage: medistill annotate --input <file|folder|glob> [--input ...] [--mesh <desc.xml[.gz]>] --out <file.jsonl> [--limit N]

Runs ingest and annotate only and writes one JSON line per record: PMID, version, title and its
MeSH terms (descriptor UI, name, source nlm|dictionary, score, tree numbers, ancestors).
Deleted PMIDs are written as {"pmid": ..., "deleted": true}; unparseable parts go to <out>.failures.jsonl.`;

export interface AnnotateSummary {
  records: number;
  annotated: number;
  bySource: Record<string, number>;
  deleted: number;
  failed: number;
}

/** `medistill annotate`: MeSH tagging of PubMed records without generating questions. */
export async function annotateCommand(argv: string[], io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }): Promise<AnnotateSummary> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        input: { type: 'string', multiple: true },
        mesh: { type: 'string' },
        out: { type: 'string' },
        limit: { type: 'string' },
      },
      strict: true,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${ANNOTATE_USAGE}`);
  }
  const v = parsed.values;
  if (!v.input?.length) throw new UsageError(`--input is required\n${ANNOTATE_USAGE}`);
  if (!v.out) throw new UsageError(`--out is required\n${ANNOTATE_USAGE}`);
  const limit = positiveInt('limit', v.limit, Infinity);

  const files = await resolveInputFiles(v.input);
  const vocab = await loadMeshVocabulary(v.mesh ?? bundledMeshPath());
  const annotateCtx = createAnnotateContext(vocab);
  const outPath = resolve(v.out);
  await mkdir(dirname(outPath), { recursive: true });
  const tmpPath = `${outPath}.partial`;
  const out = createWriteStream(tmpPath);
  const failures = createFailureLog(`${outPath}.failures.jsonl`);
  const summary: AnnotateSummary = { records: 0, annotated: 0, bySource: {}, deleted: 0, failed: 0 };
  const write = async (obj: unknown): Promise<void> => {
    if (!out.write(`${JSON.stringify(obj)}\n`)) await once(out, 'drain');
  };

  // The annotate stage as the pipeline defines it, run on each record.
  const stage = createAnnotateStage({ ctx: annotateCtx });
  const context = { signal: new AbortController().signal, instrumentation: NO_INSTRUMENTATION };
  const annotateOne = async (article: PubmedArticle): Promise<AnnotatedRecord> => {
    const [output] = (await stage.process({ key: article.pmid, value: article, producedAt: new Date() }, context)).outputs;
    return output!.value!;
  };

  for await (const item of readPubmedInputs(files)) {
    if (summary.records >= limit) break;
    summary.records++;
    if (item.kind === 'error') {
      summary.failed++;
      await failures.add({ reason: 'parse_error', message: item.message, source: item.source, pmid: item.pmid, position: item.position, raw: item.raw, truncated: item.truncated });
      continue;
    }
    if (item.kind === 'deletion') {
      summary.deleted++;
      await write({ pmid: item.pmid, version: item.version, deleted: true });
      continue;
    }
    const annotated = await annotateOne(item);
    summary.annotated++;
    for (const t of annotated.mesh) summary.bySource[t.source] = (summary.bySource[t.source] ?? 0) + 1;
    await write({
      pmid: item.pmid,
      version: item.version,
      title: item.title,
      meshVersion: annotated.meshVersion,
      mesh: annotated.mesh.map((t) => ({
        descriptorUi: t.descriptorUi,
        name: t.name,
        source: t.source,
        score: Number(t.score.toFixed(4)),
        majorTopic: t.majorTopic,
        treeNumbers: t.treeNumbers,
        ancestors: t.ancestors,
      })),
    });
  }
  await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
  await rename(tmpPath, outPath);
  await failures.close();
  const sources = Object.entries(summary.bySource).map(([s, n]) => `${s} ${n}`).join(', ') || 'none';
  io.stdout.write(
    `records: ${summary.records} (annotated ${summary.annotated}, deleted ${summary.deleted}, failed ${summary.failed})\n` +
      `mesh terms by source: ${sources}\nwritten: ${outPath}` +
      (summary.failed ? `; failures: ${outPath}.failures.jsonl` : '') +
      '\n',
  );
  return summary;
}
