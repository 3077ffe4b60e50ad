import { readFile, readdir, writeFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';

export interface ScannedEntries {
  articles: { pmid: string; version: number }[];
  deletions: string[];
}

/** Lists the entries of PubMed XML files with plain regular expressions, independently of the parser under test. */
export async function scanEntries(folder: string): Promise<ScannedEntries> {
  const result: ScannedEntries = { articles: [], deletions: [] };
  for (const f of (await readdir(folder)).sort()) {
    const buf = await readFile(join(folder, f));
    const text = (f.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
    for (const block of text.match(/<(PubmedArticle|PubmedBookArticle)>[\s\S]*?<\/\1>/g) ?? []) {
      const m = /<PMID Version="(\d+)">(\d+)<\/PMID>/.exec(block);
      if (m) result.articles.push({ pmid: m[2]!, version: Number(m[1]) });
    }
    for (const del of text.match(/<DeleteCitation>[\s\S]*?<\/DeleteCitation>/g) ?? []) {
      for (const m of del.matchAll(/<PMID[^>]*>(\d+)<\/PMID>/g)) result.deletions.push(m[1]!);
    }
  }
  return result;
}

const TOPICS: [string, string, string][] = [
  ['Hypertension', 'blood pressure', 'Antihypertensive Agents'],
  ['Myocardial Infarction', 'heart attack', 'Aspirin'],
  ['Asthma', 'inhaled corticosteroids', 'Adrenal Cortex Hormones'],
  ['Diabetes Mellitus, Type 2', 'type 2 diabetes', 'Metformin'],
  ['Depression', 'depressive symptoms', 'Antidepressive Agents'],
];

/** Writes `count` new PubMed records (PMIDs from `firstPmid`) with structured abstracts into `file`. */
export async function writeGeneratedRecords(file: string, firstPmid: number, count: number): Promise<string[]> {
  const pmids: string[] = [];
  const articles: string[] = [];
  for (let i = 0; i < count; i++) {
    const pmid = String(firstPmid + i);
    pmids.push(pmid);
    const [disease, phrase, drug] = TOPICS[i % TOPICS.length]!;
    articles.push(`<PubmedArticle>
  <MedlineCitation Status="In-Process" Owner="NLM">
    <PMID Version="1">${pmid}</PMID>
    <Article PubModel="Electronic">
      <Journal><Title>Journal of Generated Trials</Title></Journal>
      <ArticleTitle>Does ${drug.toLowerCase()} change outcomes in ${disease.toLowerCase()} (cohort ${i})?</ArticleTitle>
      <Abstract>
        <AbstractText Label="BACKGROUND" NlmCategory="BACKGROUND">${disease} remains common, and ${phrase} are a frequent concern in primary care.</AbstractText>
        <AbstractText Label="METHODS" NlmCategory="METHODS">We followed ${200 + i} adults with ${disease.toLowerCase()} treated with ${drug.toLowerCase()} for one year.</AbstractText>
        <AbstractText Label="RESULTS" NlmCategory="RESULTS">Treatment with ${drug.toLowerCase()} reduced hospital admissions by ${10 + (i % 20)} percent.</AbstractText>
        <AbstractText Label="CONCLUSIONS" NlmCategory="CONCLUSIONS">${drug} reduced admissions in adults with ${disease.toLowerCase()}.</AbstractText>
      </Abstract>
      <Language>eng</Language>
    </Article>
  </MedlineCitation>
  <PubmedData><ArticleIdList><ArticleId IdType="pubmed">${pmid}</ArticleId></ArticleIdList></PubmedData>
</PubmedArticle>`);
  }
  await writeFile(file, `<?xml version="1.0" encoding="UTF-8"?>\n<PubmedArticleSet>\n${articles.join('\n')}\n</PubmedArticleSet>\n`);
  return pmids;
}
