import type { PubmedArticle } from '../model/pubmedRecord.ts';
import { copyLineage, type Lineage } from './lineage.ts';
import { SCHEMA_VERSION, type PubmedRecordMessage } from './topicMessages.ts';

/** The pubmed.records.v1 value of an article (fields copied, so the value never aliases the article). */
export function toPubmedRecordValue(article: PubmedArticle, lineage: Lineage): PubmedRecordMessage {
  return {
    schemaVersion: SCHEMA_VERSION,
    pmid: article.pmid,
    version: article.version,
    recordType: article.recordType,
    title: article.title,
    abstract: article.abstract.map((s) => ({ label: s.label, nlmCategory: s.nlmCategory, text: s.text })),
    languages: [...article.languages],
    journal: article.journal
      ? { title: article.journal.title, isoAbbreviation: article.journal.isoAbbreviation, issn: article.journal.issn }
      : null,
    pubDate: { year: article.pubDate.year, month: article.pubDate.month, day: article.pubDate.day, raw: article.pubDate.raw },
    articleIds: { ...article.articleIds },
    publicationTypes: [...article.publicationTypes],
    keywords: [...article.keywords],
    chemicals: article.chemicals.map((c) => ({ registryNumber: c.registryNumber, name: c.name, ui: c.ui })),
    meshHeadings: article.meshHeadings.map((h) => ({
      descriptorUi: h.descriptorUi,
      descriptorName: h.descriptorName,
      majorTopic: h.majorTopic,
      qualifiers: h.qualifiers.map((q) => ({ ui: q.ui, name: q.name, majorTopic: q.majorTopic })),
    })),
    status: article.status,
    source: article.source,
    lineage: copyLineage(lineage),
  };
}

/** The article carried by a pubmed.records.v1 value, as plain objects (avsc hands out record class instances). */
export function fromPubmedRecordValue(value: PubmedRecordMessage): PubmedArticle {
  return {
    kind: 'article',
    recordType: value.recordType,
    pmid: value.pmid,
    version: value.version,
    title: value.title,
    abstract: value.abstract.map((s) => ({ label: s.label, nlmCategory: s.nlmCategory, text: s.text })),
    languages: [...value.languages],
    journal: value.journal
      ? { title: value.journal.title, isoAbbreviation: value.journal.isoAbbreviation, issn: value.journal.issn }
      : null,
    pubDate: { year: value.pubDate.year, month: value.pubDate.month, day: value.pubDate.day, raw: value.pubDate.raw },
    articleIds: { ...value.articleIds },
    publicationTypes: [...value.publicationTypes],
    keywords: [...value.keywords],
    chemicals: value.chemicals.map((c) => ({ registryNumber: c.registryNumber, name: c.name, ui: c.ui })),
    meshHeadings: value.meshHeadings.map((h) => ({
      descriptorUi: h.descriptorUi,
      descriptorName: h.descriptorName,
      majorTopic: h.majorTopic,
      qualifiers: h.qualifiers.map((q) => ({ ui: q.ui, name: q.name, majorTopic: q.majorTopic })),
    })),
    status: value.status,
    source: value.source,
  };
}
