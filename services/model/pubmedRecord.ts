/** One section of an abstract; unstructured abstracts have a single section with no label. */
export interface AbstractSection {
  label: string | null;
  nlmCategory: string | null;
  text: string;
}

export interface MeshQualifier {
  ui: string;
  name: string;
  majorTopic: boolean;
}

/** A heading from the record's NLM-indexed MeshHeadingList. */
export interface MeshHeading {
  descriptorUi: string;
  descriptorName: string;
  majorTopic: boolean;
  qualifiers: MeshQualifier[];
}

export interface Chemical {
  registryNumber: string;
  name: string;
  ui: string | null;
}

export interface PublicationDate {
  year: number | null;
  month: number | null;
  day: number | null;
  /** The date as written (for example a MedlineDate such as "1998 Dec-1999 Jan"). */
  raw: string;
}

export interface Journal {
  title: string;
  isoAbbreviation: string | null;
  issn: string | null;
}

/** A citation (journal article or book record) parsed from PubMed XML. */
export interface PubmedArticle {
  kind: 'article';
  recordType: 'PubmedArticle' | 'PubmedBookArticle';
  pmid: string;
  /** PMID Version attribute; 1 when absent. */
  version: number;
  title: string;
  abstract: AbstractSection[];
  languages: string[];
  journal: Journal | null;
  pubDate: PublicationDate;
  /** Article ids by IdType (pubmed, doi, pmc, pii, ...). */
  articleIds: Record<string, string>;
  publicationTypes: string[];
  keywords: string[];
  chemicals: Chemical[];
  meshHeadings: MeshHeading[];
  /** MedlineCitation Status (MEDLINE, In-Process, Publisher, ...), null for books. */
  status: string | null;
  /** Where the record came from: file path or URL, for error reports and lineage. */
  source: string;
}

/** A PMID listed in a DeleteCitation element: the record must leave downstream data. */
export interface DeletedCitation {
  kind: 'deletion';
  pmid: string;
  version: number;
  source: string;
}

/** Where in an input a problem was found. */
export interface SourcePosition {
  line: number;
  column: number;
  /** Offset in characters of the decoded text from the start of the input. */
  offset: number;
}

/** A part of an input that could not be parsed; carries the raw text so nothing is lost. */
export interface ParseFailure {
  kind: 'error';
  source: string;
  position: SourcePosition;
  /** PMID when it could be recovered from the bad part. */
  pmid: string | null;
  message: string;
  /** The raw text of the bad part (cut at 64 KiB, with `truncated` set). */
  raw: string;
  truncated: boolean;
}

export type PubmedItem = PubmedArticle | DeletedCitation | ParseFailure;

/** The abstract as one text, sections joined with their labels. */
export function abstractText(article: Pick<PubmedArticle, 'abstract'>): string {
  return article.abstract
    .map((s) => (s.label ? `${s.label}: ${s.text}` : s.text))
    .join('\n');
}
