import type { ParseFailure, PubmedItem, SourcePosition } from '../model/pubmedRecord.ts';
import { InputReadError, RecordContentError, XmlSyntaxError } from '../errors/medistillErrors.ts';
import { parsePubmedRecord, UNUSED_ELEMENTS } from './parsePubmedRecord.ts';
import { lineColumnAt, parseXmlElement } from './xmlElement.ts';
import { XmlRecordSplitter, type SplitItem } from './xmlRecordSplitter.ts';

export interface ParsePubmedXmlOptions {
  /** Largest record, in characters; a longer one becomes a ParseFailure. Default 16 MiB. */
  maxRecordChars?: number;
}

/** Characters handed to the splitter at a time. */
const SPLIT_SLICE = 64 * 1024;
/** Raw text kept in a ParseFailure, in characters. */
const MAX_RAW = 64 * 1024;
const PMID_IN_RAW = /<PMID\b[^>]*>\s*(\d+)\s*<\/PMID\s*>/;
/** A record start inside another record's text: the sign that the first one lost its closing tag. */
const NESTED_RECORD = /<(?:PubmedArticle|PubmedBookArticle|DeleteCitation)[\s>/]/g;

function failure(source: string, position: SourcePosition, message: string, raw: string): ParseFailure {
  const truncated = raw.length > MAX_RAW;
  const match = PMID_IN_RAW.exec(raw);
  return {
    kind: 'error',
    source,
    position,
    pmid: match?.[1] ?? null,
    message,
    raw: truncated ? raw.slice(0, MAX_RAW) : raw,
    truncated,
  };
}

function shift(origin: SourcePosition, text: string, index: number): SourcePosition {
  const at = lineColumnAt(text, index, origin);
  return { line: at.line, column: at.column, offset: origin.offset + index };
}

/** Parses one record's text; a record whose closing tag went missing is cut where the next record starts. */
function recordItems(name: string, text: string, position: SourcePosition, source: string, out: PubmedItem[]): void {
  let root;
  try {
    root = parseXmlElement(text, { origin: position, skip: UNUSED_ELEMENTS });
  } catch (error) {
    if (!(error instanceof XmlSyntaxError)) throw error;
    NESTED_RECORD.lastIndex = 1;
    const nested = NESTED_RECORD.exec(text);
    if (nested !== null && nested.index < error.index) {
      const head = text.slice(0, nested.index);
      let detail = error.detail;
      try {
        parseXmlElement(head, { origin: position, skip: UNUSED_ELEMENTS });
      } catch (headError) {
        if (!(headError instanceof XmlSyntaxError)) throw headError;
        detail = headError.message;
      }
      out.push(failure(source, position, `malformed <${name}>: it is not closed before the next record starts: ${detail}`, head));
      const tailName = /^<([^\s>/]+)/.exec(text.slice(nested.index))?.[1] ?? name;
      recordItems(tailName, text.slice(nested.index), shift(position, text, nested.index), source, out);
      return;
    }
    const at: SourcePosition = { line: error.line, column: error.column, offset: position.offset + error.index };
    out.push(failure(source, at, `malformed XML in <${name}> starting at line ${position.line}: ${error.message}`, text));
    return;
  }
  try {
    const parsed = parsePubmedRecord(root, source);
    if (Array.isArray(parsed)) out.push(...parsed);
    else out.push(parsed);
  } catch (error) {
    if (!(error instanceof RecordContentError)) throw error;
    out.push(failure(source, position, `unusable <${name}> at line ${position.line}: ${error.message}`, text));
  }
}

function splitItems(item: SplitItem, source: string, out: PubmedItem[]): void {
  if (item.kind === 'record') {
    recordItems(item.name, item.text, item.position, source, out);
  } else if (item.reason === 'not-pubmed') {
    out.push(failure(source, item.position, `not PubMed XML: ${source}: ${item.message}`, item.raw));
  } else {
    out.push(failure(source, item.position, item.message, item.raw));
  }
}

/**
 * Streams PubMed XML (a PubmedArticleSet as served by efetch or in baseline/update files, or a single
 * PubmedArticle or MedlineCitation) into citations, deletions and parse failures. Memory stays bounded by one
 * record. A malformed record becomes a ParseFailure and parsing goes on; input that is not PubMed XML gives a
 * single ParseFailure. Errors thrown by `chunks` itself surface as InputReadError.
 *
 * @example
 * for await (const item of parsePubmedXml(createReadStream('pubmed24n0001.xml'), 'pubmed24n0001.xml')) {
 *   if (item.kind === 'article') console.log(item.pmid, item.title);
 * }
 */
export async function* parsePubmedXml(
  chunks: AsyncIterable<string | Uint8Array>,
  source: string,
  options: ParsePubmedXmlOptions = {},
): AsyncGenerator<PubmedItem> {
  const splitter = new XmlRecordSplitter({ maxRecordChars: options.maxRecordChars, maxRawChars: MAX_RAW });
  const decoder = new TextDecoder('utf-8');
  const out: PubmedItem[] = [];
  const iterator = chunks[Symbol.asyncIterator]();
  let done = false;
  try {
    while (!splitter.stopped) {
      let next: IteratorResult<string | Uint8Array>;
      try {
        next = await iterator.next();
      } catch (error) {
        done = true;
        throw new InputReadError(source, splitter.endPosition(), { cause: error });
      }
      if (next.done === true) {
        done = true;
        break;
      }
      const chunk = next.value;
      const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      // Large chunks go to the splitter in slices: its working buffer then stays small and in cache.
      for (let from = 0; from < text.length; from += SPLIT_SLICE) {
        const piece = from === 0 && text.length <= SPLIT_SLICE ? text : text.slice(from, from + SPLIT_SLICE);
        for (const item of splitter.push(piece)) splitItems(item, source, out);
      }
      // Handing items over per chunk keeps at most one chunk's worth of records alive.
      for (const item of out) yield item;
      out.length = 0;
    }
    if (!splitter.stopped) {
      const rest = decoder.decode();
      if (rest.length > 0) for (const item of splitter.push(rest)) splitItems(item, source, out);
    }
    for (const item of splitter.end()) splitItems(item, source, out);
    for (const item of out) yield item;
    out.length = 0;
  } finally {
    // Stopping early (not PubMed, or the caller broke out) must release the underlying stream.
    if (!done) await iterator.return?.();
  }
}
