import type { ExportDb, ExportDbOp, QuestionHolder } from './exportDb.ts';
import { itemPosition, KEYS } from './exportKeys.ts';
import type { PaperEntry } from './paperEntry.ts';
import { questionKey } from './questionKey.ts';

/** The accepted items of a paper by question key, in position order. */
export function questionsOf(entry: PaperEntry | undefined, seq: number): Map<string, QuestionHolder[]> {
  const byKey = new Map<string, QuestionHolder[]>();
  if (!entry) return byKey;
  entry.items.forEach((item, index) => {
    if (item.verdict !== 'accept') return;
    const key = questionKey(item.candidate.question);
    const holder = { position: itemPosition(seq, index), pmid: entry.pmid, id: item.candidate.id };
    const list = byKey.get(key);
    if (list) list.push(holder);
    else byKey.set(key, [holder]);
  });
  return byKey;
}

/**
 * The batch operations that replace a paper's accepted questions `before` by `after` in the question
 * index, and the PMIDs whose rows change with them. Only questions whose holder changes touch other
 * papers: their duplicates' rows name the holder, and a dropped holder's first duplicate takes its
 * place. Reads happen before the batch is written, so the caller commits everything in one batch.
 */
export async function planQuestionChanges(
  db: ExportDb,
  before: Map<string, QuestionHolder[]>,
  after: Map<string, QuestionHolder[]>,
): Promise<{ ops: ExportDbOp[]; touched: Set<string> }> {
  const ops: ExportDbOp[] = [];
  const touched = new Set<string>();
  for (const [key, holders] of before) for (const h of holders) ops.push({ type: 'del', key: KEYS.holder(key, h.position) });
  for (const [key, holders] of after) for (const h of holders) ops.push({ type: 'put', key: KEYS.holder(key, h.position), value: h });

  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const leaving = new Set((before.get(key) ?? []).map((h) => h.position));
    const current = (await db.get(KEYS.owner(key))) as QuestionHolder | undefined;
    let survivor: QuestionHolder | undefined = current && !leaving.has(current.position) ? current : undefined;
    if (current && !survivor) {
      // The holder leaves: the next holder in position order that stays takes over.
      for await (const value of db.values({ ...KEYS.holdersOf(key), limit: leaving.size + 1 })) {
        const h = value as QuestionHolder;
        if (!leaving.has(h.position)) {
          survivor = h;
          break;
        }
      }
    }
    const first = after.get(key)?.[0];
    const next = first && (!survivor || first.position < survivor.position) ? first : survivor;
    if (next?.position === current?.position && next?.id === current?.id) continue;
    ops.push(next ? { type: 'put', key: KEYS.owner(key), value: next } : { type: 'del', key: KEYS.owner(key) });
    for await (const value of db.values(KEYS.holdersOf(key))) touched.add((value as QuestionHolder).pmid);
    for (const h of after.get(key) ?? []) touched.add(h.pmid);
  }
  return { ops, touched };
}
