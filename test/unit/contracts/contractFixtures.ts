import type { DeadLetter, RecordCandidates, RecordJudgement } from '../../../services/contracts/topicMessages.ts';
import type { Lineage } from '../../../services/contracts/lineage.ts';
import type { AnnotatedRecord } from '../../../services/model/annotatedRecord.ts';
import type { PubmedArticle } from '../../../services/model/pubmedRecord.ts';
import type { JudgedItem, Provenance, QaCandidate } from '../../../services/model/qaItem.ts';

/** Hand-written domain values for every topic, with the awkward cases: nulls, empty lists, optional fields, maps. */

export const ingestLineage: Lineage = { service: 'ingest', codeVersion: '0.1.0+abc1234', producedAt: new Date('2025-01-14T09:30:12.345Z') };
export const annotateLineage: Lineage = { service: 'annotate', codeVersion: '0.1.0+abc1234', producedAt: new Date('2025-01-14T09:30:13.001Z') };
export const generateLineage: Lineage = { service: 'generate', codeVersion: '0.1.0+abc1234', producedAt: new Date('2025-01-14T09:31:02.500Z') };
export const judgeLineage: Lineage = { service: 'judge', codeVersion: '0.1.0+abc1234', producedAt: new Date('2025-01-14T09:32:40.020Z') };

/** A MEDLINE journal article with a structured abstract, chemicals, qualified headings and several ids. */
export function journalArticle(): PubmedArticle {
  return {
    kind: 'article',
    recordType: 'PubmedArticle',
    pmid: '91000017',
    version: 2,
    title: 'Vitamin D supplementation and asthma exacerbations in school-age children: a randomized trial.',
    abstract: [
      {
        label: 'BACKGROUND',
        nlmCategory: 'BACKGROUND',
        text: 'Low serum 25-hydroxyvitamin D is common in children with asthma and has been linked to exacerbations.',
      },
      {
        label: 'METHODS',
        nlmCategory: 'METHODS',
        text: 'We randomly assigned 300 children aged 6 to 16 years to cholecalciferol 4000 IU daily or placebo for 48 weeks.',
      },
      {
        label: 'FINDINGS',
        nlmCategory: 'RESULTS',
        text: 'Severe exacerbations occurred in 18% of the vitamin D group and 21% of the placebo group (hazard ratio 0.86; 95% CI 0.52–1.41).',
      },
      { label: 'INTERPRETATION', nlmCategory: 'CONCLUSIONS', text: 'Vitamin D did not reduce severe exacerbations.' },
    ],
    languages: ['eng'],
    journal: { title: 'The Journal of Hand-Written Fixtures', isoAbbreviation: 'J Hand-Writ Fixt', issn: '0000-0019' },
    pubDate: { year: 2024, month: 11, day: 5, raw: '2024 Nov 05' },
    articleIds: { pubmed: '91000017', doi: '10.9999/jhwf.2024.017', pmc: 'PMC9900017', pii: 'S0000-0019(24)00017-X' },
    publicationTypes: ['Journal Article', 'Randomized Controlled Trial'],
    keywords: ['asthma', 'vitamin D', 'children'],
    chemicals: [
      { registryNumber: '1C6V77QF41', name: 'Cholecalciferol', ui: 'D002762' },
      { registryNumber: '0', name: 'Vitamins', ui: null },
    ],
    meshHeadings: [
      {
        descriptorUi: 'D001249',
        descriptorName: 'Asthma',
        majorTopic: false,
        qualifiers: [
          { ui: 'Q000188', name: 'drug therapy', majorTopic: true },
          { ui: 'Q000097', name: 'blood', majorTopic: false },
        ],
      },
      { descriptorUi: 'D002648', descriptorName: 'Child', majorTopic: false, qualifiers: [] },
    ],
    status: 'MEDLINE',
    source: 'https://eutils.ncbi.nlm.nih.gov/entrez/eutils/efetch.fcgi?db=pubmed&id=91000017',
  };
}

/** A book record: no journal, no status, a MedlineDate-style date without parts, no abstract, no ids but its PMID. */
export function bookArticle(): PubmedArticle {
  return {
    kind: 'article',
    recordType: 'PubmedBookArticle',
    pmid: '91000018',
    version: 1,
    title: 'Chapter 3. Ünïcode — “quotes”, ≥ signs and 漢字 in a title',
    abstract: [],
    languages: [],
    journal: null,
    pubDate: { year: null, month: null, day: null, raw: '1998 Dec-1999 Jan' },
    articleIds: {},
    publicationTypes: [],
    keywords: [],
    chemicals: [],
    meshHeadings: [],
    status: null,
    source: 'baseline/pubmed25n0001.xml.gz',
  };
}

/** The journal article annotated with NLM, dictionary (with matches) and LLM terms. */
export function annotatedArticle(): AnnotatedRecord {
  return {
    record: journalArticle(),
    mesh: [
      {
        descriptorUi: 'D001249',
        name: 'Asthma',
        source: 'nlm',
        score: 0.9,
        majorTopic: false,
        treeNumbers: ['C08.127.108', 'C08.381.495.108', 'C08.674.095', 'C20.543.480.680.095'],
        ancestors: ['D001982', 'D008173', 'D012140', 'D006969'],
      },
      {
        descriptorUi: 'D002762',
        name: 'Cholecalciferol',
        source: 'dictionary',
        score: 0.7342,
        majorTopic: false,
        treeNumbers: ['D04.210.500.812.772.500'],
        ancestors: ['D014807', 'D013256'],
        matches: ['cholecalciferol', 'vitamin D'],
      },
      {
        descriptorUi: 'D002648',
        name: 'Child',
        source: 'llm',
        score: 0.55,
        majorTopic: false,
        treeNumbers: ['M01.060.406'],
        ancestors: [],
        matches: [],
      },
    ],
    meshVersion: 'MeSH 2025 (desc2025.xml sha256:1f2e3d)',
    annotator: { name: 'dictionary+nlm', version: '0.1.0' },
  };
}

const ruleBased: Provenance = { backend: 'rule-based', name: 'rule-based', version: '0.1.0', promptVersion: 'none', model: null };
const llm: Provenance = { backend: 'llm', name: 'llm:qwen2.5-7b-instruct', version: '0.1.0', promptVersion: 'gen-v3', model: 'qwen2.5-7b-instruct' };
const judgeProvenance: Provenance = { backend: 'llm', name: 'llm-judge', version: '0.1.0', promptVersion: 'judge-v2', model: 'gpt-4o-mini' };

const context = journalArticle().abstract.map((s) => `${s.label}: ${s.text}`).join('\n');
const target = { descriptorUi: 'D001249', name: 'Asthma', treeNumbers: ['C08.127.108', 'C08.381.495.108'], branches: ['C'], source: 'nlm' as const };
const paperMesh = ['D001249', 'D002762', 'D002648'];

/** Three candidates of the journal article: one of each item type, from both backends. */
export function candidates(): QaCandidate[] {
  return [
    {
      id: '3f1c0e8a9b7d6c5e4f3a2b1c',
      pmid: '91000017',
      pmidVersion: 2,
      type: 'open',
      question: 'What daily dose of cholecalciferol did the children in the intervention group receive?',
      answer: '4000 IU daily',
      longAnswer: null,
      options: null,
      context,
      target,
      paperMesh,
      generator: ruleBased,
      createdAt: '2025-01-14T09:31:01.120Z',
    },
    {
      id: '0a1b2c3d4e5f6a7b8c9d0e1f',
      pmid: '91000017',
      pmidVersion: 2,
      type: 'yes_no_maybe',
      question: 'Does vitamin D supplementation reduce severe asthma exacerbations in school-age children?',
      answer: 'no',
      longAnswer: 'Severe exacerbations were about as frequent with vitamin D as with placebo (hazard ratio 0.86, CI crossing 1).',
      options: null,
      context,
      target,
      paperMesh,
      generator: llm,
      createdAt: '2025-01-14T09:31:02.010Z',
    },
    {
      id: 'ffeeddccbbaa998877665544',
      pmid: '91000017',
      pmidVersion: 2,
      type: 'multiple_choice',
      question: 'How long did the supplementation last?',
      answer: 'C',
      longAnswer: 'The trial lasted 48 weeks.',
      options: [
        { label: 'A', text: '12 weeks' },
        { label: 'B', text: '24 weeks' },
        { label: 'C', text: '48 weeks' },
        { label: 'D', text: '96 weeks' },
      ],
      context,
      target: { ...target, source: 'dictionary' },
      paperMesh,
      generator: llm,
      createdAt: '2025-01-14T09:31:02.480Z',
    },
  ];
}

/** Candidates of the article with one item that failed. */
export function recordCandidates(): RecordCandidates {
  return {
    pmid: '91000017',
    pmidVersion: 2,
    outcome: 'candidates',
    items: candidates(),
    failures: [{ reason: 'llm_bad_output', message: 'answer was not valid JSON after repair: Unexpected token } at 212' }],
    meshVersion: 'MeSH 2025 (desc2025.xml sha256:1f2e3d)',
  };
}

/** The book record: nothing to generate from. */
export function noAbstractCandidates(): RecordCandidates {
  return {
    pmid: '91000018',
    pmidVersion: 1,
    outcome: 'no_abstract',
    items: [],
    failures: [],
    meshVersion: 'MeSH 2025 (desc2025.xml sha256:1f2e3d)',
  };
}

const scores = (grounded: number, correct: number): JudgedItem['scores'] => ({
  grounded: { score: grounded, reason: 'every claim is in the RESULTS section' },
  answerable: { score: 1, reason: 'the context states it' },
  correct: { score: correct, reason: correct > 0.5 ? 'matches the abstract' : 'contradicts the abstract' },
  clear: { score: 0.75, reason: 'unambiguous' },
  hierarchy: { score: 0.6667, reason: 'wu-palmer 0.67 to Asthma' },
  retrieval: { score: 0.5, reason: 'retrieved-top5-dcg(wu-palmer-bma/v1)/v1 over 2 retrieved documents' },
});

/** Judgements of the three candidates: accepted, rejected for two reasons, and a multiple choice with Verification-of-Choice. */
export function recordJudgement(): RecordJudgement {
  const [open, ynm, mcq] = candidates() as [QaCandidate, QaCandidate, QaCandidate];
  return {
    pmid: '91000017',
    pmidVersion: 2,
    outcome: 'candidates',
    items: [
      {
        candidate: open,
        scores: scores(1, 1),
        hierarchyFormula: 'wu-palmer-bma/v1',
        voc: null,
        verdict: 'accept',
        rejectReasons: [],
        judge: judgeProvenance,
        judgedAt: '2025-01-14T09:32:39.900Z',
        retrievedPmids: ['91000018', '91000020'],
      },
      {
        candidate: ynm,
        scores: scores(0.4, 0.2),
        hierarchyFormula: 'wu-palmer-bma/v1',
        voc: null,
        verdict: 'reject',
        rejectReasons: ['low_grounded', 'low_correct'],
        judge: judgeProvenance,
        judgedAt: '2025-01-14T09:32:40.001Z',
        retrievedPmids: [],
      },
      {
        candidate: mcq,
        scores: scores(0.9, 0.95),
        hierarchyFormula: 'wu-palmer-bma/v1',
        voc: {
          options: [
            { label: 'A', argument: 'The abstract says 48 weeks, not 12.', supported: false },
            { label: 'B', argument: 'No 24-week period is mentioned.', supported: false },
            { label: 'C', argument: 'METHODS: "for 48 weeks".', supported: true },
            { label: 'D', argument: 'Twice the stated length.', supported: false },
          ],
          survivors: ['C'],
          passed: true,
        },
        verdict: 'accept',
        rejectReasons: [],
        judge: { ...judgeProvenance, backend: 'rule-based', model: null, name: 'rule-based-judge' },
        judgedAt: '2025-01-14T09:32:40.015Z',
        retrievedPmids: ['91000019'],
      },
    ],
    failures: [],
    meshVersion: 'MeSH 2025 (desc2025.xml sha256:1f2e3d)',
  };
}

/** A record whose generation failed as a whole. */
export function failedJudgement(): RecordJudgement {
  return {
    pmid: '91000019',
    pmidVersion: 1,
    outcome: 'failed',
    items: [],
    failures: [{ reason: 'judge_error', message: 'LLM request timed out after 3 attempts' }],
    meshVersion: 'MeSH 2025',
  };
}

/** A message the annotate stage could not decode, with its raw bytes. */
export function deadLetter(): DeadLetter {
  return {
    originalTopic: 'pubmed.records.v1',
    partition: 3,
    offset: '9007199254740993',
    key: Buffer.from('91000017', 'utf8'),
    value: Buffer.from([0x01, 0x00, 0x00, 0x00, 0x07, 0xff, 0x00]),
    stage: 'annotate',
    errorClass: 'ContractError',
    errorMessage: 'magic byte is 1, expected 0: not in the Confluent wire format',
  };
}

/** A dead letter of a tombstone-like message with neither key nor value. */
export function emptyDeadLetter(): DeadLetter {
  return { ...deadLetter(), key: null, value: null, partition: 0, offset: '0', errorMessage: '' };
}
