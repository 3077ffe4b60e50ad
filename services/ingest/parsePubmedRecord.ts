import type {
  AbstractSection,
  Chemical,
  DeletedCitation,
  Journal,
  MeshHeading,
  PubmedArticle,
} from '../model/pubmedRecord.ts';
import { RecordContentError } from '../errors/medistillErrors.ts';
import { inlineText } from './inlineText.ts';
import { parseDateElement } from './publicationDate.ts';
import { attribute, childElement, childElements, descend, type XmlElement } from './xmlElement.ts';

/** Element names that the record parser accepts as a record root. */
export const RECORD_ELEMENTS: ReadonlySet<string> = new Set([
  'PubmedArticle',
  'PubmedBookArticle',
  'DeleteCitation',
  'MedlineCitation',
  'BookDocument',
]);

/**
 * Elements this parser never reads; the XML parser may leave them out of the tree (still checking them),
 * which makes records with long author and reference lists much cheaper to parse.
 */
export const UNUSED_ELEMENTS: ReadonlySet<string> = new Set([
  'AuthorList',
  'InvestigatorList',
  'History',
  'ReferenceList',
  'DateCompleted',
  'DateRevised',
  'Pagination',
  'GrantList',
  'CommentsCorrectionsList',
  'PersonalNameSubjectList',
  'DataBankList',
  'SupplMeshList',
  'GeneSymbolList',
  'OtherAbstract',
  'OtherID',
  'GeneralNote',
  'CoiStatement',
  'CopyrightInformation',
  'CitationSubset',
  'SpaceFlightMission',
  'ContributionDate',
  'Sections',
]);

interface Pmid {
  pmid: string;
  version: number;
}

function readPmid(element: XmlElement | null, where: string): Pmid {
  if (element === null) throw new RecordContentError(`${where} has no PMID`);
  const pmid = inlineText(element);
  if (pmid.length === 0) throw new RecordContentError(`${where} has an empty PMID`);
  if (!/^\d+$/.test(pmid)) throw new RecordContentError(`${where} has a PMID that is not a number: ${JSON.stringify(pmid.slice(0, 40))}`);
  const versionText = attribute(element, 'Version');
  let version = 1;
  if (versionText !== undefined) {
    if (!/^\s*\d+\s*$/.test(versionText) || Number(versionText) < 1) {
      throw new RecordContentError(`${where} has PMID ${pmid} with an invalid Version ${JSON.stringify(versionText)}`);
    }
    version = Number(versionText);
  }
  return { pmid, version };
}

function yes(value: string | undefined): boolean {
  return value === 'Y';
}

function texts(elements: XmlElement[]): string[] {
  const out: string[] = [];
  for (const e of elements) {
    const t = inlineText(e);
    if (t.length > 0) out.push(t);
  }
  return out;
}

function readAbstract(abstract: XmlElement | null): AbstractSection[] {
  const sections: AbstractSection[] = [];
  for (const part of childElements(abstract, 'AbstractText')) {
    const text = inlineText(part);
    if (text.length === 0) continue;
    sections.push({
      label: attribute(part, 'Label')?.trim() || null,
      nlmCategory: attribute(part, 'NlmCategory')?.trim() || null,
      text,
    });
  }
  return sections;
}

function readArticleIds(lists: (XmlElement | null)[], into: Record<string, string>): void {
  for (const list of lists) {
    for (const id of childElements(list, 'ArticleId')) {
      const idType = attribute(id, 'IdType') ?? 'pubmed';
      const value = inlineText(id);
      if (value.length > 0 && into[idType] === undefined) into[idType] = value;
    }
  }
}

function readKeywords(parent: XmlElement | null): string[] {
  const out: string[] = [];
  for (const list of childElements(parent, 'KeywordList')) out.push(...texts(childElements(list, 'Keyword')));
  return out;
}

function readChemicals(citation: XmlElement | null): Chemical[] {
  return childElements(childElement(citation, 'ChemicalList'), 'Chemical').map((chemical) => {
    const substance = childElement(chemical, 'NameOfSubstance');
    return {
      registryNumber: inlineText(childElement(chemical, 'RegistryNumber')),
      name: inlineText(substance),
      ui: attribute(substance, 'UI') ?? null,
    };
  });
}

function readMesh(citation: XmlElement | null): MeshHeading[] {
  const headings: MeshHeading[] = [];
  for (const heading of childElements(childElement(citation, 'MeshHeadingList'), 'MeshHeading')) {
    const descriptor = childElement(heading, 'DescriptorName');
    if (descriptor === null) continue;
    headings.push({
      descriptorUi: attribute(descriptor, 'UI') ?? '',
      descriptorName: inlineText(descriptor),
      majorTopic: yes(attribute(descriptor, 'MajorTopicYN')),
      qualifiers: childElements(heading, 'QualifierName').map((q) => ({
        ui: attribute(q, 'UI') ?? '',
        name: inlineText(q),
        majorTopic: yes(attribute(q, 'MajorTopicYN')),
      })),
    });
  }
  return headings;
}

function readJournal(article: XmlElement | null, citation: XmlElement): Journal | null {
  const journal = childElement(article, 'Journal');
  if (journal === null) return null;
  const info = childElement(citation, 'MedlineJournalInfo');
  const title = inlineText(childElement(journal, 'Title')) || inlineText(childElement(info, 'MedlineTA'));
  const issn = inlineText(childElement(journal, 'ISSN')) || inlineText(childElement(info, 'ISSNLinking'));
  return {
    title,
    isoAbbreviation: inlineText(childElement(journal, 'ISOAbbreviation')) || null,
    issn: issn || null,
  };
}

function electronicDoi(article: XmlElement | null): string | null {
  for (const location of childElements(article, 'ELocationID')) {
    if (attribute(location, 'EIdType') === 'doi' && attribute(location, 'ValidYN') !== 'N') {
      const doi = inlineText(location);
      if (doi.length > 0) return doi;
    }
  }
  return null;
}

function fromCitation(citation: XmlElement, pubmedData: XmlElement | null, source: string): PubmedArticle {
  const { pmid, version } = readPmid(childElement(citation, 'PMID'), `<${citation.name}>`);
  const article = childElement(citation, 'Article');
  let pubDate = parseDateElement(descend(article, 'Journal', 'JournalIssue', 'PubDate'));
  if (pubDate.year === null) {
    const articleDate = parseDateElement(childElement(article, 'ArticleDate'));
    if (articleDate.year !== null) pubDate = articleDate;
  }
  const articleIds: Record<string, string> = {};
  readArticleIds([childElement(pubmedData, 'ArticleIdList')], articleIds);
  if (articleIds['doi'] === undefined) {
    const doi = electronicDoi(article);
    if (doi !== null) articleIds['doi'] = doi;
  }
  return {
    kind: 'article',
    recordType: 'PubmedArticle',
    pmid,
    version,
    title: inlineText(childElement(article, 'ArticleTitle')) || inlineText(childElement(article, 'VernacularTitle')),
    abstract: readAbstract(childElement(article, 'Abstract')),
    languages: texts(childElements(article, 'Language')),
    journal: readJournal(article, citation),
    pubDate,
    articleIds,
    publicationTypes: texts(childElements(childElement(article, 'PublicationTypeList'), 'PublicationType')),
    keywords: readKeywords(citation),
    chemicals: readChemicals(citation),
    meshHeadings: readMesh(citation),
    status: attribute(citation, 'Status') ?? null,
    source,
  };
}

function fromBookDocument(book: XmlElement, bookData: XmlElement | null, source: string): PubmedArticle {
  const { pmid, version } = readPmid(childElement(book, 'PMID'), `<${book.name}>`);
  const articleIds: Record<string, string> = {};
  readArticleIds([childElement(book, 'ArticleIdList'), childElement(bookData, 'ArticleIdList')], articleIds);
  if (articleIds['doi'] === undefined) {
    const doi = electronicDoi(book);
    if (doi !== null) articleIds['doi'] = doi;
  }
  const title =
    inlineText(childElement(book, 'ArticleTitle')) ||
    inlineText(descend(book, 'Book', 'BookTitle')) ||
    inlineText(childElement(book, 'VernacularTitle'));
  return {
    kind: 'article',
    recordType: 'PubmedBookArticle',
    pmid,
    version,
    title,
    abstract: readAbstract(childElement(book, 'Abstract')),
    languages: texts(childElements(book, 'Language')),
    journal: null,
    pubDate: parseDateElement(descend(book, 'Book', 'PubDate')),
    articleIds,
    publicationTypes: texts(childElements(book, 'PublicationType')),
    keywords: readKeywords(book),
    chemicals: [],
    meshHeadings: [],
    status: null,
    source,
  };
}

/**
 * Turns one record's element tree into a citation, or the PMIDs of a DeleteCitation;
 * throws RecordContentError when the record is unusable (no PMID, unknown element).
 */
export function parsePubmedRecord(root: XmlElement, source: string): PubmedArticle | DeletedCitation[] {
  switch (root.name) {
    case 'PubmedArticle': {
      const citation = childElement(root, 'MedlineCitation');
      if (citation === null) throw new RecordContentError('<PubmedArticle> has no <MedlineCitation>');
      return fromCitation(citation, childElement(root, 'PubmedData'), source);
    }
    case 'MedlineCitation':
      return fromCitation(root, null, source);
    case 'PubmedBookArticle': {
      const book = childElement(root, 'BookDocument');
      if (book === null) throw new RecordContentError('<PubmedBookArticle> has no <BookDocument>');
      return fromBookDocument(book, childElement(root, 'PubmedBookData'), source);
    }
    case 'BookDocument':
      return fromBookDocument(root, null, source);
    case 'DeleteCitation': {
      const pmids = childElements(root, 'PMID');
      if (pmids.length === 0) throw new RecordContentError('<DeleteCitation> has no PMID');
      return pmids.map((e) => ({ kind: 'deletion', ...readPmid(e, '<DeleteCitation>'), source }));
    }
    default:
      throw new RecordContentError(`unexpected element <${root.name}>: expected ${[...RECORD_ELEMENTS].join(', ')}`);
  }
}
