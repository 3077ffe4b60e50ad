/**
 * PubMed XML parse throughput: parsePubmedXml (through readPubmedInputs) on a generated PubmedArticleSet,
 * next to the raw read+decode of the same file (the I/O floor) and, when installed, pubmed_parser.
 *
 *   npx tsx bench/parsePubmed.ts [--records 30000]
 *
 * Each measurement runs in its own child process so that peak RSS belongs to that measurement alone.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPubmedInputs } from '../services/ingest/readPubmedInputs.ts';
import { seededRandom } from './seededRandom.ts';

const GENERATOR_VERSION = 'v1';
const here = dirname(fileURLToPath(import.meta.url));

interface Measurement {
  name: string;
  records: number | null;
  seconds: number;
  /** User + system CPU time: less sensitive than wall time to other load on the machine. */
  cpuSeconds: number;
  maxRssMb: number;
  note?: string;
}

const WORDS = (
  'patients treatment clinical study results cohort risk disease analysis significant associated outcomes ' +
  'randomized trial mortality therapy increased reduced compared group years effect data incidence ' +
  'receptor expression protein cells tumor gene mutation signaling pathway inflammation infection ' +
  'children women adults hospital care surgery dose placebo efficacy safety adverse events follow-up ' +
  'mean median ratio confidence interval regression model prevalence screening diagnosis biomarker'
).split(' ');
const MESH: [string, string][] = [
  ['D006801', 'Humans'], ['D008297', 'Male'], ['D005260', 'Female'], ['D000328', 'Adult'], ['D008875', 'Middle Aged'],
  ['D000368', 'Aged'], ['D016032', 'Randomized Controlled Trials as Topic'], ['D003924', 'Diabetes Mellitus, Type 2'],
  ['D006973', 'Hypertension'], ['D009369', 'Neoplasms'], ['D001241', 'Aspirin'], ['D020521', 'Stroke'],
  ['D015331', 'Cohort Studies'], ['D012307', 'Risk Factors'], ['D016896', 'Treatment Outcome'], ['D007249', 'Inflammation'],
];
const QUALIFIERS: [string, string][] = [
  ['Q000188', 'drug therapy'], ['Q000453', 'epidemiology'], ['Q000517', 'prevention &amp; control'],
  ['Q000401', 'mortality'], ['Q000175', 'diagnosis'], ['Q000627', 'therapeutic use'],
];
const LABELS: [string, string][] = [['BACKGROUND', 'BACKGROUND'], ['METHODS', 'METHODS'], ['RESULTS', 'RESULTS'], ['CONCLUSIONS', 'CONCLUSIONS']];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function generateRecord(pmid: number, random: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const sentence = (words: number): string => {
    const out: string[] = [];
    for (let i = 0; i < words; i++) out.push(pick(WORDS));
    const s = out.join(' ');
    return `${s.charAt(0).toUpperCase()}${s.slice(1)}`;
  };
  const paragraph = (chars: number): string => {
    let text = '';
    while (text.length < chars) {
      const r = random();
      const extra = r < 0.15 ? ` (p &lt; 0.0${1 + Math.floor(random() * 5)})` : r < 0.25 ? ` of CO<sub>2</sub> in <i>E. coli</i>` : '';
      text += `${sentence(8 + Math.floor(random() * 10))}${extra}. `;
    }
    return text.trim();
  };
  const year = 1990 + Math.floor(random() * 35);
  const abstract = LABELS.map(([label, category]) => `<AbstractText Label="${label}" NlmCategory="${category}">${paragraph(360)}</AbstractText>`).join('\n          ');
  const authors = Array.from({ length: 2 + Math.floor(random() * 5) }, (_, i) =>
    `<Author ValidYN="Y"><LastName>Author${i}x${pmid % 97}</LastName><ForeName>Name ${pick(['Ana', 'José', 'Zoë', 'Li', 'Müller'])}</ForeName><Initials>N</Initials><AffiliationInfo><Affiliation>Department of ${pick(WORDS)}, University ${i}, City, Country.</Affiliation></AffiliationInfo></Author>`,
  ).join('\n            ');
  const mesh = Array.from({ length: 6 + Math.floor(random() * 8) }, () => {
    const [ui, name] = pick(MESH);
    const qualifiers = random() < 0.4 ? `\n          <QualifierName UI="${pick(QUALIFIERS)[0]}" MajorTopicYN="${random() < 0.3 ? 'Y' : 'N'}">${pick(QUALIFIERS)[1]}</QualifierName>` : '';
    return `<MeshHeading>\n          <DescriptorName UI="${ui}" MajorTopicYN="${random() < 0.2 ? 'Y' : 'N'}">${name}</DescriptorName>${qualifiers}\n        </MeshHeading>`;
  }).join('\n        ');
  return `<PubmedArticle>
    <MedlineCitation Status="MEDLINE" Owner="NLM" IndexingMethod="Automated">
      <PMID Version="1">${pmid}</PMID>
      <DateCompleted><Year>${year + 1}</Year><Month>02</Month><Day>11</Day></DateCompleted>
      <Article PubModel="Print-Electronic">
        <Journal>
          <ISSN IssnType="Electronic">1532-${String(pmid % 10000).padStart(4, '0')}</ISSN>
          <JournalIssue CitedMedium="Internet">
            <Volume>${1 + (pmid % 80)}</Volume>
            <Issue>${1 + (pmid % 12)}</Issue>
            <PubDate><Year>${year}</Year><Month>${pick(MONTHS)}</Month></PubDate>
          </JournalIssue>
          <Title>Journal of ${pick(WORDS)} ${pick(WORDS)}</Title>
          <ISOAbbreviation>J ${pick(WORDS)}</ISOAbbreviation>
        </Journal>
        <ArticleTitle>${sentence(12)} in ${pick(WORDS)}: a ${pick(['randomized trial', 'cohort study', 'meta-analysis'])}.</ArticleTitle>
        <Pagination><MedlinePgn>${pmid % 900}-${(pmid % 900) + 9}</MedlinePgn></Pagination>
        <ELocationID EIdType="doi" ValidYN="Y">10.1000/bench.${pmid}</ELocationID>
        <Abstract>
          ${abstract}
          <CopyrightInformation>Copyright &#xa9; ${year} Bench Publishing.</CopyrightInformation>
        </Abstract>
        <AuthorList CompleteYN="Y">
            ${authors}
        </AuthorList>
        <Language>eng</Language>
        <PublicationTypeList>
          <PublicationType UI="D016428">Journal Article</PublicationType>
        </PublicationTypeList>
      </Article>
      <MedlineJournalInfo><Country>United States</Country><MedlineTA>J Bench</MedlineTA><NlmUniqueID>8309942</NlmUniqueID></MedlineJournalInfo>
      <ChemicalList>
        <Chemical><RegistryNumber>R16CO5Y76E</RegistryNumber><NameOfSubstance UI="D001241">Aspirin</NameOfSubstance></Chemical>
      </ChemicalList>
      <MeshHeadingList>
        ${mesh}
      </MeshHeadingList>
      <KeywordList Owner="NOTNLM"><Keyword MajorTopicYN="N">${pick(WORDS)}</Keyword><Keyword MajorTopicYN="N">${pick(WORDS)}</Keyword></KeywordList>
    </MedlineCitation>
    <PubmedData>
      <History>
        <PubMedPubDate PubStatus="received"><Year>${year}</Year><Month>1</Month><Day>5</Day></PubMedPubDate>
        <PubMedPubDate PubStatus="pubmed"><Year>${year}</Year><Month>3</Month><Day>9</Day><Hour>6</Hour><Minute>0</Minute></PubMedPubDate>
      </History>
      <PublicationStatus>ppublish</PublicationStatus>
      <ArticleIdList>
        <ArticleId IdType="pubmed">${pmid}</ArticleId>
        <ArticleId IdType="doi">10.1000/bench.${pmid}</ArticleId>
      </ArticleIdList>
    </PubmedData>
  </PubmedArticle>
`;
}

async function ensureData(records: number): Promise<string> {
  const dir = join(here, '.data');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `pubmed-bench-${GENERATOR_VERSION}-${records}.xml`);
  if (existsSync(file)) return file;
  const partial = `${file}.partial`;
  const out = createWriteStream(partial);
  let failed: Error | null = null;
  out.on('error', (error) => {
    failed = error;
  });
  const write = async (text: string): Promise<void> => {
    if (failed !== null) throw failed;
    if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };
  const random = seededRandom(20240601);
  await write('<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n<PubmedArticleSet>\n');
  let batch = '';
  for (let i = 0; i < records; i++) {
    batch += generateRecord(30_000_000 + i, random);
    if (batch.length > 1 << 20) {
      await write(batch);
      batch = '';
    }
  }
  await write(`${batch}</PubmedArticleSet>\n`);
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  renameSync(partial, file);
  return file;
}

async function child(mode: string, file: string): Promise<void> {
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let records = 0;
  if (mode === 'read') {
    const decoder = new TextDecoder('utf-8');
    let chars = 0;
    for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) chars += decoder.decode(chunk as Buffer, { stream: true }).length;
    chars += decoder.decode().length;
    if (chars === 0) throw new Error('empty file');
  } else {
    let failures = 0;
    for await (const item of readPubmedInputs(file)) {
      if (item.kind === 'article') records++;
      else if (item.kind === 'error') failures++;
    }
    if (failures > 0) throw new Error(`${failures} parse failures in the bench file`);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ records: mode === 'read' ? null : records, seconds, cpuSeconds, maxRssMb })}\n`);
}

function runChild(name: string, mode: string, file: string): Measurement {
  const result = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', mode, file], { encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) throw new Error(`${name} failed: ${result.stderr || result.error?.message}`);
  const last = result.stdout.trim().split('\n').at(-1) ?? '';
  return { name, ...(JSON.parse(last) as Omit<Measurement, 'name'>) };
}

function runPubmedParser(file: string): Measurement {
  const probe = spawnSync('python3', ['-c', 'import pubmed_parser'], { encoding: 'utf8', timeout: 30_000 });
  if (probe.status !== 0) return { name: 'pubmed_parser parse_medline_xml', records: null, seconds: NaN, cpuSeconds: NaN, maxRssMb: NaN, note: 'not installed' };
  const script = [
    'import sys, time, resource, pubmed_parser as pp',
    't = time.perf_counter()',
    '# parse_medline_xml returns a list in older releases and a generator in newer ones.',
    'n = sum(1 for _ in pp.parse_medline_xml(sys.argv[1]))',
    'print(n, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)',
  ].join('\n');
  const run = spawnSync('python3', ['-c', script, file], { encoding: 'utf8', timeout: 600_000 });
  if (run.status !== 0) return { name: 'pubmed_parser parse_medline_xml', records: null, seconds: NaN, cpuSeconds: NaN, maxRssMb: NaN, note: `failed: ${run.stderr.trim().split('\n').at(-1) ?? ''}` };
  const [n, seconds, rss] = run.stdout.trim().split(/\s+/).map(Number);
  return { name: 'pubmed_parser parse_medline_xml', records: n ?? null, seconds: seconds ?? NaN, cpuSeconds: seconds ?? NaN, maxRssMb: rss ?? NaN };
}

function row(m: Measurement, megabytes: number): string {
  if (m.note !== undefined) return `| ${m.name} | ${m.note} | | | | | | |`;
  const rate = (seconds: number): string => (m.records === null ? '' : Math.round(m.records / seconds).toLocaleString('en-US'));
  return `| ${m.name} | ${m.records?.toLocaleString('en-US') ?? ''} | ${m.seconds.toFixed(2)} | ${m.cpuSeconds.toFixed(2)} | ${rate(m.seconds)} | ${rate(m.cpuSeconds)} | ${(megabytes / m.seconds).toFixed(1)} | ${Math.round(m.maxRssMb)} |`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    await child(args[1] ?? '', args[2] ?? '');
    return;
  }
  const recordsFlag = args.indexOf('--records');
  const records = recordsFlag === -1 ? 30_000 : Number(args[recordsFlag + 1]);
  if (!Number.isInteger(records) || records <= 0) throw new Error('--records must be a positive integer');
  const generationStart = Date.now();
  const file = await ensureData(records);
  const megabytes = statSync(file).size / (1024 * 1024);
  const generated = (Date.now() - generationStart) / 1000;

  const read = runChild('read + UTF-8 decode (I/O floor)', 'read', file);
  const parses = [runChild('parsePubmedXml (run 1)', 'parse', file), runChild('parsePubmedXml (run 2)', 'parse', file)];
  // pubmed_parser opens its input with gzip, as the baseline files come: give both parsers the same .gz.
  const gzFile = `${file}.gz`;
  if (!existsSync(gzFile)) writeFileSync(gzFile, gzipSync(readFileSync(file), { level: 6 }));
  const parseGz = runChild('parsePubmedXml, same file as .xml.gz', 'parse', gzFile);
  const baseline = runPubmedParser(gzFile);
  const best = parses.reduce((a, b) => (b.seconds < a.seconds ? b : a));

  console.log(`\n## PubMed XML parse\n`);
  console.log(`file: ${file} (${records.toLocaleString('en-US')} records, ${megabytes.toFixed(1)} MiB, ready in ${generated.toFixed(1)} s); Node ${process.version}, one core\n`);
  console.log('| what | records | wall s | CPU s | records/s (wall) | records/CPU-s | MiB/s (wall) | peak RSS (MiB) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const m of [read, ...parses, parseGz, baseline]) console.log(row(m, megabytes));
  const rate = (best.records ?? 0) / best.seconds;
  const cpuRate = (best.records ?? 0) / best.cpuSeconds;
  const load = loadavg()[0] ?? 0;
  console.log(`\ntarget >= 20,000 records/s: ${rate >= 20_000 ? 'met' : 'NOT met'} (${Math.round(rate).toLocaleString('en-US')} records/s wall, ${Math.round(cpuRate).toLocaleString('en-US')} records/CPU-s, best run; load average ${load.toFixed(1)} on ${cpus().length} cores)`);
  if (baseline.note === undefined && baseline.records !== null) {
    console.log(`speed-up over pubmed_parser on the same .xml.gz: ${(baseline.seconds / parseGz.seconds).toFixed(1)}x (target >= 3x)`);
  }
}

await main();
