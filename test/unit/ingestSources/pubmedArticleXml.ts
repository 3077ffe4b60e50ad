/** Settings of one test PubmedArticle. */
export interface TestArticle {
  pmid: string;
  /** Entry date, YYYY-MM-DD. */
  entryDate: string;
  title?: string;
}

/** A small but complete <PubmedArticle> element in the efetch / baseline format. */
export function pubmedArticleXml(article: TestArticle): string {
  const [year, month, day] = article.entryDate.split('-');
  const title = article.title ?? `Study ${article.pmid} of test outcomes.`;
  return [
    '<PubmedArticle>',
    '  <MedlineCitation Status="Publisher" Owner="NLM">',
    `    <PMID Version="1">${article.pmid}</PMID>`,
    '    <Article PubModel="Print-Electronic">',
    '      <Journal>',
    '        <ISSN IssnType="Electronic">1234-5678</ISSN>',
    `        <JournalIssue CitedMedium="Internet"><PubDate><Year>${year}</Year><Month>Jan</Month></PubDate></JournalIssue>`,
    '        <Title>Journal of Test Medicine</Title>',
    '        <ISOAbbreviation>J Test Med</ISOAbbreviation>',
    '      </Journal>',
    `      <ArticleTitle>${title}</ArticleTitle>`,
    `      <Abstract><AbstractText>Record ${article.pmid} reports a finding &amp; its context.</AbstractText></Abstract>`,
    '      <Language>eng</Language>',
    '      <PublicationTypeList><PublicationType UI="D016428">Journal Article</PublicationType></PublicationTypeList>',
    '    </Article>',
    '  </MedlineCitation>',
    '  <PubmedData>',
    `    <History><PubMedPubDate PubStatus="entrez"><Year>${year}</Year><Month>${month}</Month><Day>${day}</Day></PubMedPubDate></History>`,
    '    <PublicationStatus>aheadofprint</PublicationStatus>',
    `    <ArticleIdList><ArticleId IdType="pubmed">${article.pmid}</ArticleId></ArticleIdList>`,
    '  </PubmedData>',
    '</PubmedArticle>',
  ].join('\n');
}

/** A whole baseline/update file: a PubmedArticleSet with articles and, optionally, a DeleteCitation. */
export function pubmedArticleSetXml(articles: readonly TestArticle[], deletedPmids: readonly string[] = []): string {
  const deletions =
    deletedPmids.length === 0 ? '' : `<DeleteCitation>\n${deletedPmids.map((p) => `  <PMID Version="1">${p}</PMID>`).join('\n')}\n</DeleteCitation>\n`;
  return (
    '<?xml version="1.0" encoding="utf-8"?>\n' +
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n' +
    `<PubmedArticleSet>\n${articles.map(pubmedArticleXml).join('\n')}\n${deletions}</PubmedArticleSet>\n`
  );
}
