import type { AnnotatedRecord, MeshTerm } from '../../../services/model/annotatedRecord.ts';
import type { AbstractSection, PubmedArticle } from '../../../services/model/pubmedRecord.ts';
import { tinyMeshVocabulary } from './tinyMeshVocabulary.ts';
import { testArticle } from '../../support/testArticle.ts';

const vocab = tinyMeshVocabulary();

/** A MeSH term as the annotate stage would attach it (NLM heading: score 1 for major topics, 0.9 otherwise). */
export function term(ui: string, opts: { major?: boolean; score?: number; matches?: string[] } = {}): MeshTerm {
  const d = vocab.get(ui);
  if (!d) throw new Error(`fixture vocabulary has no ${ui}`);
  const major = opts.major ?? false;
  return {
    descriptorUi: ui,
    name: d.name,
    source: 'nlm',
    score: opts.score ?? (major ? 1 : 0.9),
    majorTopic: major,
    treeNumbers: d.treeNumbers,
    ancestors: vocab.ancestors(ui),
    ...(opts.matches ? { matches: opts.matches } : {}),
  };
}

/** A PubMed article with the given abstract sections. */
export function article(pmid: string, title: string, abstract: AbstractSection[]): PubmedArticle {
  return testArticle({
    pmid,
    title,
    abstract,
    journal: { title: 'Journal of Hand-Written Fixtures', isoAbbreviation: 'J Fixt', issn: null },
    pubDate: { year: 2024, month: 3, day: null, raw: '2024 Mar' },
    source: 'fixture',
  });
}

export function annotated(record: PubmedArticle, mesh: MeshTerm[]): AnnotatedRecord {
  return { record, mesh, meshVersion: 'MeSH 2024', annotator: { name: 'fixture', version: '0' } };
}

const section = (label: string, text: string): AbstractSection => ({ label, nlmCategory: label, text });

/** Structured abstract with a CONCLUSIONS section. */
export function structuredRecord(pmid = '38000001'): AnnotatedRecord {
  return annotated(
    article(pmid, 'Metformin improves glycaemic control in older adults: a randomised trial.', [
      section(
        'BACKGROUND',
        'Type 2 diabetes is a growing burden on health systems worldwide. Metformin is the usual first-line drug, but its effect in older adults is debated.',
      ),
      section(
        'METHODS',
        'We randomised 412 adults aged 65 years or more to an oral agent or placebo for 24 weeks. The primary outcome was the change in glycated hemoglobin from baseline.',
      ),
      section(
        'RESULTS',
        'The active drug lowered the outcome by 0.9 percentage points compared with placebo (p < 0.001). Gastrointestinal side effects were more common, but no injury to the liver was observed in any participant.',
      ),
      section('CONCLUSIONS', 'Metformin improves glycaemic control in adults with type 2 diabetes.'),
    ]),
    [
      term('D006801'),
      term('D008297'),
      term('D005260'),
      term('D008875'),
      term('D000328'),
      term('D003924', { major: true }),
      term('D008687', { major: true }),
      term('D006442'),
      term('D007004'),
      term('D008099'),
    ],
  );
}

/** Unstructured abstract (one section without a label) whose title asks a question. */
export function unstructuredRecord(pmid = '38000002'): AnnotatedRecord {
  return annotated(
    article(pmid, 'Does metformin reduce mortality in patients with heart failure?', [
      {
        label: null,
        nlmCategory: null,
        text:
          'Heart failure is common among people treated for high blood pressure. We followed 2,310 patients who received metformin for a median of 4.2 years. ' +
          'Compared with other agents, metformin did not reduce all-cause mortality in this cohort.',
      },
    ]),
    [term('D006801'), term('D008687', { major: true }), term('D006973', { major: true })],
  );
}

/** A record without an abstract. */
export function recordWithoutAbstract(pmid = '38000003'): AnnotatedRecord {
  return annotated(article(pmid, 'Metformin: a letter.', []), [term('D008687', { major: true })]);
}
