/**
 * MeSH vocabulary load benchmark.
 *
 * Generates (once, deterministically) a full-size descriptor file in NLM's desc20XX.xml format under
 * bench/.data/ (31,000 descriptors, ~300,000 entry terms, with the qualifiers, notes and dates that make
 * the real file ~300 MB), then loads it in fresh child processes (best of 3) and reports load time,
 * peak RSS and matcher build time. Baselines in the same run: a child that only starts up (runtime
 * RSS floor) and a child that only streams the bytes (I/O floor). When the reconstructed desc2024 file
 * is present under /work/shared/data/mesh/, it gets a row too.
 *
 * Run: npx tsx bench/meshLoad.ts
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, open, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createGunzip, createGzip } from 'node:zlib';
import type { MeshDescriptor, MeshTermEntry } from '../services/mesh/meshVocabulary.ts';
import { seededRandom } from './seededRandom.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const DATA_DIR = join(HERE, '.data');
const GENERATOR_VERSION = 1;
const FULL_DESCRIPTORS = 31_000;
const FULL_TERMS = 300_000;
const RECONSTRUCTED = '/work/shared/data/mesh/desc2024-reconstructed.xml.gz';


const SYLLABLES = [
  'car', 'di', 'o', 'my', 'neo', 'pla', 'gen', 'ther', 'a', 'py', 'lym', 'pho', 'hep', 'at', 'ren', 'al', 'ox', 'hydr',
  'chlor', 'phen', 'ben', 'zo', 'cy', 'to', 'kin', 'cor', 'thy', 'ro', 'ost', 'eo', 'der', 'ma', 'gas', 'tro', 'en', 'ter',
  'neu', 'pul', 'mo', 'nar', 'vas', 'cu', 'lar', 'im', 'mu', 'no', 'glo', 'bu', 'lin', 'pep', 'tid', 'ami', 'nos', 'fi',
];
const SUFFIXES = ['itis', 'osis', 'oma', 'ase', 'ine', 'ide', 'in', 'ol', 'ia', 'ism', 'pathy', 'plasty', 'emia', 'al', 'ic', 'ous'];
const HEADS = [
  'Disease', 'Syndrome', 'Neoplasm', 'Infection', 'Receptor', 'Protein', 'Acid', 'Cell', 'Disorder', 'Factor', 'Agent',
  'Virus', 'Therapy', 'Injury', 'Deficiency', 'Antigen', 'Hormone', 'Enzyme', 'Gland', 'Nerve', 'Muscle', 'Vessel',
];
const MODIFIERS = [
  'Acute', 'Chronic', 'Congenital', 'Primary', 'Secondary', 'Hereditary', 'Infantile', 'Adult', 'Malignant', 'Benign',
  'Inflammatory', 'Viral', 'Bacterial', 'Fungal', 'Toxic', 'Metabolic', 'Autoimmune', 'Idiopathic', 'Familial', 'Renal',
  'Hepatic', 'Cardiac', 'Pulmonary', 'Cerebral', 'Spinal', 'Ocular', 'Cutaneous', 'Dental', 'Gastric', 'Oral', 'Vascular',
];
const CATEGORIES: Record<string, number> = { A: 17, B: 5, C: 26, D: 27, E: 7, F: 4, G: 17, H: 2, I: 3, J: 3, K: 1, L: 1, M: 1, N: 6, V: 4, Z: 1 };
const QUALIFIER_NAMES = [
  'analogs &amp; derivatives', 'blood', 'chemistry', 'diagnosis', 'drug therapy', 'epidemiology', 'etiology', 'genetics',
  'immunology', 'metabolism', 'pathology', 'physiopathology', 'prevention &amp; control', 'therapy', 'urine', 'virology',
];

function pick<T>(rng: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rng() * xs.length)] as T;
}

function makeWord(rng: () => number): string {
  let w = '';
  const n = 2 + Math.floor(rng() * 3);
  for (let i = 0; i < n; i++) w += pick(rng, SYLLABLES);
  if (rng() < 0.6) w += pick(rng, SUFFIXES);
  return w.charAt(0).toUpperCase() + w.slice(1);
}

function makePhrase(rng: () => number): string {
  const r = rng();
  if (r < 0.3) return makeWord(rng);
  if (r < 0.6) return `${makeWord(rng)} ${pick(rng, HEADS)}`;
  if (r < 0.85) return `${pick(rng, MODIFIERS)} ${makeWord(rng)} ${pick(rng, HEADS)}`;
  return `${makeWord(rng)} ${makeWord(rng)} ${pick(rng, HEADS)}`;
}

/** Entry-term variants of a name, the way MeSH lists them: plurals, permutations, hyphenations, acronyms, synonyms. */
function variants(rng: () => number, name: string, count: number): string[] {
  const words = name.split(' ');
  const out: string[] = [];
  const push = (s: string): void => {
    if (s !== name && !out.includes(s)) out.push(s);
  };
  const plural = (s: string): string => (s.endsWith('s') ? s : s.endsWith('y') ? `${s.slice(0, -1)}ies` : `${s}s`);
  let guard = 0;
  while (out.length < count && guard++ < count * 4) {
    const r = rng();
    if (r < 0.2) push(plural(name));
    else if (r < 0.35 && words.length > 1) push(`${words.slice(1).join(' ')}, ${words[0]}`);
    else if (r < 0.45 && words.length > 1) push(words.join('-'));
    else if (r < 0.5 && words.length > 1) push(words.map((w) => w[0]).join('').toUpperCase() + (rng() < 0.5 ? '' : String(Math.floor(rng() * 9) + 1)));
    else if (r < 0.75) push(`${makeWord(rng)} ${words[words.length - 1]}`);
    else push(makePhrase(rng));
  }
  return out;
}

/** The full-size synthetic vocabulary: realistic tree numbers (a random tree under 16 categories) and term strings. */
export function syntheticDescriptors(descriptorCount = FULL_DESCRIPTORS, termCount = FULL_TERMS, seed = 2024): MeshDescriptor[] {
  const rng = seededRandom(seed);
  const nodes: string[] = [];
  const childCount = new Map<string, number>();
  const nextChild = (parent: string): string => {
    const n = (childCount.get(parent) ?? 0) + 1;
    childCount.set(parent, n);
    return `${parent}.${String(n * 5).padStart(3, '0')}`;
  };
  const placements: string[][] = [];
  for (const [letter, tops] of Object.entries(CATEGORIES)) {
    for (let i = 1; i <= tops && placements.length < descriptorCount; i++) {
      const tn = `${letter}${String(i).padStart(2, '0')}`;
      nodes.push(tn);
      placements.push([tn]);
    }
  }
  while (placements.length < descriptorCount) {
    const tns: string[] = [];
    const places = rng() < 0.6 ? 1 : rng() < 0.8 ? 2 : 3;
    for (let p = 0; p < places; p++) {
      // Prefer recent nodes so the tree grows deep (real MeSH goes 13 levels down), but not too deep.
      let parent = pick(rng, nodes.length > 2000 && rng() < 0.7 ? nodes.slice(-2000) : nodes);
      if (parent.split('.').length >= 10) parent = parent.split('.').slice(0, 4).join('.');
      const tn = nextChild(parent);
      nodes.push(tn);
      tns.push(tn);
    }
    placements.push(tns);
  }

  const names = new Set<string>();
  const out: MeshDescriptor[] = [];
  let termsLeft = termCount;
  for (let i = 0; i < descriptorCount; i++) {
    let name = makePhrase(rng);
    while (names.has(name)) name = `${name} ${pick(rng, HEADS)}`;
    names.add(name);
    const mean = termsLeft / (descriptorCount - i);
    const wanted = i === descriptorCount - 1 ? termsLeft : Math.max(1, Math.round(mean * (0.2 + rng() * 1.6)));
    const others = variants(rng, name, wanted - 1);
    termsLeft -= 1 + others.length;
    const split = Math.ceil(others.length * (0.3 + rng() * 0.5));
    const terms: MeshTermEntry[] = [{ text: name, recordPreferred: true, conceptPreferred: true, preferredConcept: true }];
    others.forEach((text, k) => {
      terms.push({ text, recordPreferred: false, conceptPreferred: k === split || (k > split && (k - split) % 4 === 0), preferredConcept: k < split });
    });
    out.push({ ui: `D${String(100000 + i).padStart(6, '0')}`, name, treeNumbers: placements[i] as string[], terms });
  }
  return out;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function date(tag: string, rng: () => number, indent: string): string {
  const y = 1966 + Math.floor(rng() * 58);
  const m = String(1 + Math.floor(rng() * 12)).padStart(2, '0');
  const d = String(1 + Math.floor(rng() * 28)).padStart(2, '0');
  return `${indent}<${tag}>\n${indent} <Year>${y}</Year>\n${indent} <Month>${m}</Month>\n${indent} <Day>${d}</Day>\n${indent}</${tag}>\n`;
}

/** One DescriptorRecord in NLM's layout, with the elements the loader must skip. */
function recordXml(d: MeshDescriptor, rng: () => number): string {
  let x = `<DescriptorRecord DescriptorClass = "1">\n  <DescriptorUI>${d.ui}</DescriptorUI>\n  <DescriptorName>\n   <String>${esc(d.name)}</String>\n  </DescriptorName>\n`;
  x += date('DateCreated', rng, '  ') + date('DateRevised', rng, '  ') + date('DateEstablished', rng, '  ');
  x += '  <AllowableQualifiersList>\n';
  const nq = 5 + Math.floor(rng() * 35);
  for (let q = 0; q < nq; q++) {
    const qn = pick(rng, QUALIFIER_NAMES);
    x += `   <AllowableQualifier>\n    <QualifierReferredTo>\n     <QualifierUI>Q000${100 + q}</QualifierUI>\n      <QualifierName>\n      <String>${qn}</String>\n      </QualifierName>\n    </QualifierReferredTo>\n    <Abbreviation>${qn.slice(0, 2).toUpperCase()}</Abbreviation>\n   </AllowableQualifier>\n`;
  }
  x += '  </AllowableQualifiersList>\n';
  x += `  <HistoryNote>${1966 + Math.floor(rng() * 58)}; use ${esc(d.name).toUpperCase()} to search</HistoryNote>\n`;
  x += `  <PublicMeSHNote>${1966 + Math.floor(rng() * 58)}</PublicMeSHNote>\n`;
  x += '  <TreeNumberList>\n' + d.treeNumbers.map((t) => `   <TreeNumber>${t}</TreeNumber>\n`).join('') + '  </TreeNumberList>\n';
  x += '  <ConceptList>\n';
  let open = false;
  let c = 0;
  for (const t of d.terms) {
    const startsConcept = t.recordPreferred || (!t.preferredConcept && t.conceptPreferred);
    if (startsConcept) {
      if (open) x += '    </TermList>\n   </Concept>\n';
      const pc = t.preferredConcept ? 'Y' : 'N';
      x += `   <Concept PreferredConceptYN="${pc}">\n    <ConceptUI>M${d.ui.slice(1)}${c++}</ConceptUI>\n    <ConceptName>\n     <String>${esc(t.text)}</String>\n    </ConceptName>\n`;
      if (t.recordPreferred) x += `    <ScopeNote>${esc(`A condition of the ${d.name.toLowerCase()} characterised by `.repeat(4))}\n    </ScopeNote>\n`;
      x += '    <TermList>\n';
      open = true;
    }
    const yn = (b: boolean): string => (b ? 'Y' : 'N');
    x += `     <Term  ConceptPreferredTermYN="${yn(t.conceptPreferred || t.recordPreferred)}"  IsPermutedTermYN="N"  LexicalTag="NON"  RecordPreferredTermYN="${yn(t.recordPreferred)}">\n      <TermUI>T${Math.floor(rng() * 1e6)}</TermUI>\n      <String>${esc(t.text)}</String>\n`;
    x += date('DateCreated', rng, '      ') + '      <ThesaurusIDlist>\n       <ThesaurusID>NLM (1975)</ThesaurusID>\n      </ThesaurusIDlist>\n     </Term>\n';
  }
  if (open) x += '    </TermList>\n   </Concept>\n';
  return `${x}  </ConceptList>\n </DescriptorRecord>\n`;
}

/** Writes the synthetic vocabulary as desc XML (and a gzipped copy) once; later runs reuse the files. */
export async function ensureSyntheticMeshFiles(): Promise<{ xml: string; gz: string }> {
  const xml = join(DATA_DIR, `desc-synthetic-v${GENERATOR_VERSION}.xml`);
  const gz = `${xml}.gz`;
  await mkdir(DATA_DIR, { recursive: true });
  if (!existsSync(xml)) {
    const rng = seededRandom(7);
    const tmp = `${xml}.tmp`;
    const out = createWriteStream(tmp, { highWaterMark: 1 << 20 });
    const write = async (s: string): Promise<void> => {
      if (!out.write(s)) await new Promise<void>((r) => out.once('drain', () => r()));
    };
    await write('<?xml version="1.0"?>\n<!DOCTYPE DescriptorRecordSet SYSTEM "https://www.nlm.nih.gov/databases/dtd/nlmdescriptorrecordset_20240101.dtd">\n<DescriptorRecordSet LanguageCode = "eng">\n');
    for (const d of syntheticDescriptors()) await write(recordXml(d, rng));
    await write('</DescriptorRecordSet>\n');
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    await rename(tmp, xml);
  }
  if (!existsSync(gz)) {
    await pipeline(createReadStream(xml), createGzip({ level: 6 }), createWriteStream(`${gz}.tmp`));
    await rename(`${gz}.tmp`, gz);
  }
  return { xml, gz };
}

interface ChildResult {
  ms: number;
  rssMb: number;
  descriptors?: number;
  terms?: number;
  matcherMs?: number;
  rssAfterMatcherMb?: number;
}

/** Child side: do one measured thing and print one JSON line. */
async function child(mode: string, path: string): Promise<void> {
  const t0 = performance.now();
  if (mode === 'noop') {
    await import('../services/mesh/loadMeshVocabulary.ts');
    console.log(JSON.stringify({ ms: performance.now() - t0, rssMb: process.resourceUsage().maxRSS / 1024 }));
    return;
  }
  if (mode === 'read') {
    const fh = await open(path, 'r');
    const head = Buffer.alloc(2);
    await fh.read(head, 0, 2, 0);
    await fh.close();
    const src = createReadStream(path, { highWaterMark: 1 << 20 });
    const stream = head[0] === 0x1f && head[1] === 0x8b ? src.pipe(createGunzip({ chunkSize: 1 << 20 })) : src;
    let bytes = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) bytes += chunk.length;
    console.log(JSON.stringify({ ms: performance.now() - t0, rssMb: process.resourceUsage().maxRSS / 1024, bytes }));
    return;
  }
  const { loadMeshVocabulary } = await import('../services/mesh/loadMeshVocabulary.ts');
  const { createMeshMatcher } = await import('../services/mesh/meshMatcher.ts');
  const t1 = performance.now();
  const vocab = await loadMeshVocabulary(path);
  const ms = performance.now() - t1;
  const rssMb = process.resourceUsage().maxRSS / 1024;
  let terms = 0;
  for (const d of vocab.descriptors()) terms += d.terms.length;
  const matcher = createMeshMatcher(vocab);
  const result: ChildResult = {
    ms,
    rssMb,
    descriptors: vocab.size,
    terms,
    matcherMs: matcher.stats.buildMs,
    rssAfterMatcherMb: process.resourceUsage().maxRSS / 1024,
  };
  console.log(JSON.stringify(result));
}

function runChild(mode: string, path: string): ChildResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', mode, path], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`child ${mode} ${path} failed: ${r.stderr || r.error?.message}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as ChildResult;
}

/** Best of n by time; peak RSS is the highest seen, so the figure is never flattering. */
function bestOf(n: number, mode: string, path: string): ChildResult {
  const runs = Array.from({ length: n }, () => runChild(mode, path));
  const best = runs.reduce((a, b) => (b.ms < a.ms ? b : a));
  return { ...best, rssMb: Math.max(...runs.map((x) => x.rssMb)), rssAfterMatcherMb: Math.max(...runs.map((x) => x.rssAfterMatcherMb ?? 0)) };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const { xml, gz } = await ensureSyntheticMeshFiles();
  const mb = async (p: string): Promise<string> => ((await stat(p)).size / 1e6).toFixed(0);
  console.error(`data ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const rows: string[] = [];
  const fmt = (n: number | undefined, d = 0): string => (n === undefined ? '-' : n.toFixed(d));
  const noop = bestOf(3, 'noop', xml);
  rows.push(`| baseline: child start-up only | - | - | - | ${fmt(noop.rssMb)} | - | - |`);
  const inputs: [string, string][] = [
    [`synthetic desc XML (${await mb(xml)} MB)`, xml],
    [`synthetic desc XML.gz (${await mb(gz)} MB)`, gz],
  ];
  if (existsSync(RECONSTRUCTED)) inputs.push([`desc2024-reconstructed.xml.gz (${await mb(RECONSTRUCTED)} MB)`, RECONSTRUCTED]);
  for (const [label, path] of inputs) {
    const read = bestOf(3, 'read', path);
    rows.push(`| baseline: raw read${path.endsWith('.gz') ? ' + gunzip' : ''}, ${label} | ${fmt(read.ms)} | - | - | ${fmt(read.rssMb)} | - | - |`);
    const r = bestOf(3, 'load', path);
    rows.push(`| loadMeshVocabulary, ${label} | ${fmt(r.ms)} | ${r.descriptors} | ${r.terms} | ${fmt(r.rssMb)} | ${fmt(r.matcherMs)} | ${fmt(r.rssAfterMatcherMb)} |`);
  }
  console.log('\n## MeSH vocabulary load (fresh child process, best of 3; target < 3000 ms, < 400 MB)\n');
  console.log('| what | load ms | descriptors | entry terms | peak RSS MB | matcher build ms | peak RSS with matcher MB |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(r);
  console.log(`\nnode ${process.version}, ${process.platform}/${process.arch}; peak RSS includes the tsx loader (see the start-up row).`);
}

const entry = process.argv[1] ? pathToFileURL(process.argv[1]).href : '';
if (import.meta.url === entry) {
  const run = process.argv[2] === '--child' ? child(process.argv[3] ?? '', process.argv[4] ?? '') : main();
  run.catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
