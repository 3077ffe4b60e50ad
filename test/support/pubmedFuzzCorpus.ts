import { readFileSync } from 'node:fs';
import { parsePubmedXml } from '../../services/ingest/parsePubmedXml.ts';
import { XmlRecordSplitter } from '../../services/ingest/xmlRecordSplitter.ts';
import type { PubmedItem } from '../../services/model/pubmedRecord.ts';

/**
 * A seeded corpus of mutated PubMed files and the check that every record in them is accounted for.
 *
 * Each case is a PubmedArticleSet of a few records taken from the repository's own PubMed fixtures, in
 * which one record (the victim) is damaged by one mutation, or the file around the records is (a doubled
 * or concatenated set, a DOCTYPE with an entity bomb). The oracle: parsing never throws; every record the
 * mutation did not touch comes out exactly as it does alone, exactly once; the victim comes out as a
 * record or as at least one counted failure. The same seed gives the same corpus.
 */

/** One mutated file and what must come out of it. */
export interface FuzzCase {
  id: number;
  mutation: Mutation;
  bytes: Buffer;
  /** Records the mutation left whole: each must be emitted exactly as alone. */
  intact: RecordSample[];
  /** The damaged record's PMID, or null when the mutation damages no record. */
  victim: string | null;
  /** Chunk sizes the bytes are fed in (cycled). */
  chunkSizes: number[];
}

/** A record of the pool: its text and what parsing it alone gives. */
export interface RecordSample {
  pmid: string;
  text: string;
  items: PubmedItem[];
}

export const MUTATIONS = [
  'truncate-record',
  'drop-close-tag',
  'rename-open-tag',
  'flip-bytes',
  'delete-span',
  'duplicate-span',
  'deep-nesting',
  'many-elements',
  'many-attributes',
  'bad-entity',
  'entity-bomb',
  'external-entity',
  'invalid-utf8',
  'truncate-file',
  'doubled-set',
  'unbalanced-doubled-set',
  'concatenated-files',
] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** A small, fast, seedable PRNG (mulberry32): the corpus must be the same on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIXTURES = ['articles.xml', 'book.xml', 'malformed-middle.xml', 'truncated.xml'];
const SET_MEMBERS: ReadonlySet<string> = new Set(['PubmedArticle', 'PubmedBookArticle', 'DeleteCitation']);
const PROLOG = '<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n';

async function* once(text: string): AsyncGenerator<string> {
  yield text;
}

async function parseAll(chunks: AsyncIterable<string | Uint8Array>, source: string): Promise<PubmedItem[]> {
  const out: PubmedItem[] = [];
  for await (const item of parsePubmedXml(chunks, source)) out.push(item);
  return out;
}

function keyOf(item: PubmedItem): string | null {
  return item.kind === 'error' ? null : `${item.kind}:${item.pmid}`;
}

/** The records of the PubMed fixtures that parse cleanly, each with what it gives alone. */
export async function loadRecordPool(fixtureDir: URL): Promise<RecordSample[]> {
  const pool: RecordSample[] = [];
  const seen = new Set<string>();
  for (const name of FIXTURES) {
    const splitter = new XmlRecordSplitter();
    const text = readFileSync(new URL(name, fixtureDir), 'utf8');
    for (const part of [...splitter.push(text), ...splitter.end()]) {
      // What a PubmedArticleSet holds; a bare MedlineCitation is only ever a file's root.
      if (part.kind !== 'record' || !SET_MEMBERS.has(part.name)) continue;
      const items = await parseAll(once(`<PubmedArticleSet>${part.text}</PubmedArticleSet>`), 'pool');
      const keys = items.map(keyOf);
      if (items.length === 0 || keys.includes(null) || keys.some((k) => seen.has(k as string))) continue;
      for (const k of keys) seen.add(k as string);
      pool.push({ pmid: (items[0] as { pmid: string }).pmid, text: part.text, items });
    }
  }
  if (pool.length < 4) throw new Error(`the fuzz pool needs at least 4 clean records, found ${pool.length}`);
  return pool;
}

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)] as T;
}

function between(random: () => number, low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

/** A position inside the record's content: after its start tag, before its closing tag. */
function innerPosition(random: () => number, text: string): number {
  const from = text.indexOf('>') + 1;
  const to = text.lastIndexOf('</');
  return between(random, from, Math.max(from, to - 1));
}

/** Where inline text may go: inside the first AbstractText or ArticleTitle, else just inside the record. */
function textPosition(text: string): number {
  for (const tag of ['<AbstractText', '<ArticleTitle', '<PMID']) {
    const at = text.indexOf(tag);
    if (at !== -1) return text.indexOf('>', at) + 1;
  }
  return text.indexOf('>') + 1;
}

function mutateRecord(random: () => number, mutation: Mutation, text: string): string {
  switch (mutation) {
    case 'truncate-record':
      return text.slice(0, innerPosition(random, text));
    case 'drop-close-tag':
      return text.slice(0, text.lastIndexOf('</'));
    case 'rename-open-tag':
      return text.replace(/^<([A-Za-z]+)/, (_m, name: string) => `<${name.slice(0, -1)}X`);
    case 'flip-bytes': {
      let out = text;
      const flips = between(random, 1, 4);
      for (let k = 0; k < flips; k++) {
        const at = between(random, 0, out.length - 1);
        out = out.slice(0, at) + pick(random, ['<', '>', '&', '/', '"', "'", '=', 'x', ' ', '\u0000', ']]>']) + out.slice(at + 1);
      }
      return out;
    }
    case 'delete-span': {
      const at = between(random, 0, text.length - 2);
      return text.slice(0, at) + text.slice(at + between(random, 1, Math.min(200, text.length - at)));
    }
    case 'duplicate-span': {
      const at = between(random, 0, text.length - 2);
      const span = text.slice(at, at + between(random, 1, 400));
      const to = between(random, 0, text.length);
      return text.slice(0, to) + span + text.slice(to);
    }
    case 'deep-nesting': {
      const depth = pick(random, [300, 2_000, 6_000, 50_000]);
      const tag = pick(random, ['i', 'sup', 'mml:mrow', 'b']);
      const at = textPosition(text);
      return text.slice(0, at) + `<${tag}>`.repeat(depth) + 'x' + `</${tag}>`.repeat(depth) + text.slice(at);
    }
    case 'many-elements': {
      const at = textPosition(text);
      return text.slice(0, at) + '<i/>'.repeat(between(random, 200_001, 260_000)) + text.slice(at);
    }
    case 'many-attributes': {
      const at = text.indexOf('<', textPosition(text) - 1) + 1;
      const nameEnd = text.indexOf('>', at);
      const count = pick(random, [65, 1_000, 50_000]);
      let attributes = '';
      for (let k = 0; k < count; k++) attributes += ` a${k}="${k}"`;
      return text.slice(0, nameEnd) + attributes + text.slice(nameEnd);
    }
    case 'bad-entity':
    case 'entity-bomb':
    case 'external-entity': {
      const entity = mutation === 'bad-entity' ? pick(random, ['&nbsp;', '&#0;', '&#xD800;', '& ', '&amp', '&#99999999;']) : mutation === 'entity-bomb' ? '&lol9;' : '&xxe;';
      const at = textPosition(text);
      return text.slice(0, at) + entity + text.slice(at);
    }
    default:
      return text;
  }
}

const ENTITY_BOMB =
  '<!DOCTYPE PubmedArticleSet [\n<!ENTITY lol "lol">\n' +
  Array.from({ length: 9 }, (_v, k) => `<!ENTITY lol${k + 1} "${`&lol${k === 0 ? '' : k};`.repeat(10)}">`).join('\n') +
  '\n]>\n';
const EXTERNAL_ENTITY = '<!DOCTYPE PubmedArticleSet [\n<!ENTITY xxe SYSTEM "file:///etc/passwd">\n<!ENTITY xi SYSTEM "file:///etc/hostname">\n]>\n';

/** Builds the corpus: `count` cases from `seed`, cycling through every mutation. */
export function generateFuzzCorpus(pool: readonly RecordSample[], seed: number, count: number): FuzzCase[] {
  const random = seededRandom(seed);
  const cases: FuzzCase[] = [];
  for (let id = 0; id < count; id++) {
    const mutation = MUTATIONS[id % MUTATIONS.length] as Mutation;
    const shuffled = [...pool].sort(() => random() - 0.5);
    const records = shuffled.slice(0, between(random, 3, Math.min(7, pool.length)));
    const victimIndex = between(random, 0, records.length - 1);
    // Tiny chunks exercise the splitter's boundaries; megabyte-sized mutations get stream-sized ones.
    const big = mutation === 'deep-nesting' || mutation === 'many-elements' || mutation === 'many-attributes';
    const chunkSizes = Array.from({ length: 4 }, () => pick(random, big ? [4_096, 16_384, 65_536] : [1, 7, 64, 1_000, 4_096, 65_536]));
    let intact = records.filter((_r, k) => k !== victimIndex);
    let victim: string | null = (records[victimIndex] as RecordSample).pmid;
    let prolog = PROLOG;
    let body: string;
    const texts = records.map((r) => r.text);
    switch (mutation) {
      case 'doubled-set':
      case 'unbalanced-doubled-set': {
        const from = between(random, 0, texts.length - 1);
        const to = between(random, from + 1, texts.length);
        const close = mutation === 'doubled-set' ? '</PubmedArticleSet>' : '';
        body = `<PubmedArticleSet>\n${texts.slice(0, from).join('\n')}<PubmedArticleSet>${texts.slice(from, to).join('\n')}${close}\n${texts.slice(to).join('\n')}</PubmedArticleSet>\n`;
        intact = records;
        victim = null;
        break;
      }
      case 'concatenated-files': {
        const cut = between(random, 1, texts.length - 1);
        body = `<PubmedArticleSet>\n${texts.slice(0, cut).join('\n')}\n</PubmedArticleSet>\n${PROLOG}<PubmedArticleSet>\n${texts.slice(cut).join('\n')}\n</PubmedArticleSet>\n`;
        intact = records;
        victim = null;
        break;
      }
      case 'truncate-file': {
        const before = texts.slice(0, victimIndex).join('\n');
        const damaged = mutateRecord(random, 'truncate-record', texts[victimIndex] as string);
        body = `<PubmedArticleSet>\n${before}\n${damaged}`;
        intact = records.slice(0, victimIndex);
        break;
      }
      default: {
        if (mutation === 'entity-bomb') prolog = `<?xml version="1.0" ?>\n${ENTITY_BOMB}`;
        if (mutation === 'external-entity') prolog = `<?xml version="1.0" ?>\n${EXTERNAL_ENTITY}`;
        texts[victimIndex] = mutateRecord(random, mutation, texts[victimIndex] as string);
        body = `<PubmedArticleSet>\n${texts.join('\n')}\n</PubmedArticleSet>\n`;
      }
    }
    let bytes = Buffer.from(prolog + body, 'utf8');
    if (mutation === 'invalid-utf8') {
      const damaged = Buffer.from(texts[victimIndex] as string, 'utf8');
      const start = bytes.indexOf(damaged);
      const at = start + between(random, 0, damaged.length - 1);
      const junk = Buffer.from(pick(random, [[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80]]));
      bytes = Buffer.concat([bytes.subarray(0, at), junk, bytes.subarray(at)]);
    }
    cases.push({ id, mutation, bytes, intact, victim, chunkSizes });
  }
  return cases;
}

async function* chunked(bytes: Buffer, sizes: number[]): AsyncGenerator<Uint8Array> {
  let k = 0;
  for (let at = 0; at < bytes.length; k++) {
    const size = sizes[k % sizes.length] as number;
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

/** What one case gave. */
export interface FuzzOutcome {
  crashed: string | null;
  /** Intact records missing or changed, or a victim neither emitted nor failed. */
  unaccounted: string[];
  /** Intact records emitted more than once. */
  duplicated: string[];
  failures: number;
  /** Items whose text reached outside the input (a file's content through an external entity). */
  leaked: string[];
  millis: number;
}

function comparable(item: PubmedItem): unknown {
  return { ...item, source: '' };
}

/** Parses one case in its chunks and checks the oracle. */
export async function runFuzzCase(fuzzCase: FuzzCase, leakMarkers: readonly string[] = []): Promise<FuzzOutcome> {
  const started = performance.now();
  let items: PubmedItem[];
  try {
    items = await parseAll(chunked(fuzzCase.bytes, fuzzCase.chunkSizes), `fuzz-${fuzzCase.id}.xml`);
  } catch (error) {
    return { crashed: error instanceof Error ? `${error.name}: ${error.message}` : String(error), unaccounted: [], duplicated: [], failures: 0, leaked: [], millis: performance.now() - started };
  }
  const byKey = new Map<string, PubmedItem[]>();
  let failures = 0;
  for (const item of items) {
    const key = keyOf(item);
    if (key === null) {
      failures++;
      continue;
    }
    byKey.set(key, [...(byKey.get(key) ?? []), item]);
  }
  const unaccounted: string[] = [];
  const duplicated: string[] = [];
  for (const record of fuzzCase.intact) {
    for (const expected of record.items) if ((byKey.get(keyOf(expected) as string)?.length ?? 0) > 1) duplicated.push(keyOf(expected) as string);
  }
  for (const record of fuzzCase.intact) {
    for (const expected of record.items) {
      const got = byKey.get(keyOf(expected) as string);
      if (got === undefined || JSON.stringify(comparable(got[0] as PubmedItem)) !== JSON.stringify(comparable(expected))) {
        unaccounted.push(`intact ${keyOf(expected)}${got === undefined ? ' missing' : ' changed'}`);
      }
    }
  }
  if (fuzzCase.victim !== null) {
    const intactKeys = new Set(fuzzCase.intact.flatMap((r) => r.items.map(keyOf)));
    const victimOut = [...byKey.keys()].some((k) => !intactKeys.has(k));
    if (!victimOut && failures === 0) unaccounted.push(`victim ${fuzzCase.victim} neither emitted nor failed`);
  }
  const serialized = JSON.stringify(items);
  const leaked = leakMarkers.filter((marker) => serialized.includes(marker));
  return { crashed: null, unaccounted, duplicated, failures, leaked, millis: performance.now() - started };
}
