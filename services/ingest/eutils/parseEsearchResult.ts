import { EutilsProtocolError, RecordContentError, XmlSyntaxError } from '../../errors/medistillErrors.ts';
import { inlineText } from '../inlineText.ts';
import { childElement, parseXmlElement, type XmlElement } from '../xmlElement.ts';

/** What an esearch answer says, with the history handles needed by efetch. */
export interface EsearchResult {
  count: number;
  /** Null when the search was run without usehistory=y. */
  webEnv: string | null;
  queryKey: string | null;
  /** Text of an ERROR element: NCBI could not run the search (backend failure, bad parameter). */
  error: string | null;
  /** ErrorList entries as "Element: text", e.g. "PhraseNotFound: foo": part of the query was ignored. */
  errorList: string[];
  /** WarningList entries as "Element: text", e.g. "OutputMessage: No items found.". */
  warnings: string[];
  queryTranslation: string | null;
}

function listEntries(list: XmlElement | null): string[] {
  if (list === null) return [];
  const out: string[] = [];
  for (const child of list.children) {
    if (typeof child !== 'string') out.push(`${child.name}: ${inlineText(child)}`);
  }
  return out;
}

/**
 * Parses NCBI's eSearchResult XML (the prolog and DOCTYPE are skipped). An answer whose root is not
 * eSearchResult, or that is not well-formed, throws EutilsProtocolError; ERROR, ErrorList and WarningList are
 * reported in the result for the caller to judge.
 *
 * @example parseEsearchResult('<eSearchResult><Count>2</Count>...</eSearchResult>').count // 2
 */
export function parseEsearchResult(text: string): EsearchResult {
  const start = text.indexOf('<eSearchResult');
  if (start === -1) {
    throw new EutilsProtocolError(`esearch answer is not an eSearchResult: ${JSON.stringify(text.slice(0, 160))}`);
  }
  let root: XmlElement;
  try {
    root = parseXmlElement(text.slice(start));
  } catch (error) {
    if (error instanceof XmlSyntaxError || error instanceof RecordContentError) {
      throw new EutilsProtocolError(`esearch answer is not well-formed XML: ${error.message}`, { cause: error });
    }
    throw error;
  }
  const error = childElement(root, 'ERROR');
  const countElement = childElement(root, 'Count');
  const countText = countElement === null ? null : inlineText(countElement);
  if (countText !== null && !/^\d+$/.test(countText)) {
    throw new EutilsProtocolError(`esearch answer has a Count that is not a number: ${JSON.stringify(countText)}`);
  }
  const webEnv = childElement(root, 'WebEnv');
  const queryKey = childElement(root, 'QueryKey');
  const translation = childElement(root, 'QueryTranslation');
  return {
    count: countText === null ? 0 : Number(countText),
    webEnv: webEnv === null ? null : inlineText(webEnv),
    queryKey: queryKey === null ? null : inlineText(queryKey),
    error: error === null ? (countText === null ? 'the answer has neither Count nor ERROR' : null) : inlineText(error) || 'empty ERROR element',
    errorList: listEntries(childElement(root, 'ErrorList')),
    warnings: listEntries(childElement(root, 'WarningList')),
    queryTranslation: translation === null ? null : inlineText(translation),
  };
}
