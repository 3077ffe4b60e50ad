import type { ParseFailure, PubmedItem, SourcePosition } from '../model/pubmedRecord.ts';
import { InputReadError, RecordContentError, XmlLimitError, XmlSyntaxError } from '../errors/medistillErrors.ts';
import { parsePubmedRecord, UNUSED_ELEMENTS } from './parsePubmedRecord.ts';
import { lineColumnAt, parseXmlElement, type XmlLimits } from './xmlElement.ts';
import { nextRecordStart, XmlRecordSplitter, type SplitItem } from './xmlRecordSplitter.ts';

export interface ParsePubmedXmlOptions {
  /** Largest record, in characters; a longer one becomes a ParseFailure. Default 16 MiB. */
  maxRecordChars?: number;
  /** Bounds on nesting depth, elements and attributes per record (see XmlLimits); a record past one becomes a ParseFailure. */
  limits?: Partial<XmlLimits>;
}

/** Characters handed to the splitter at a time. */
const SPLIT_SLICE = 64 * 1024;
/** Raw text kept in a ParseFailure, in characters. */
const MAX_RAW = 64 * 1024;
const PMID_IN_RAW = /<PMID\b[^>]*>\s*(\d+)\s*<\/PMID\s*>/;

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

type RecordParseError = XmlSyntaxError | XmlLimitError;

function isRecordParseError(error: unknown): error is RecordParseError {
  return error instanceof XmlSyntaxError || error instanceof XmlLimitError;
}

/** Parses one record's text into `out`; on a syntax or limit error, returns the error instead. */
function parseOne(name: string, text: string, position: SourcePosition, source: string, limits: Partial<XmlLimits> | undefined, out: PubmedItem[]): RecordParseError | null {
  let root;
  try {
    root = parseXmlElement(text, { origin: position, skip: UNUSED_ELEMENTS, limits });
  } catch (error) {
    if (!isRecordParseError(error)) throw error;
    return error;
  }
  try {
    const parsed = parsePubmedRecord(root, source);
    if (Array.isArray(parsed)) out.push(...parsed);
    else out.push(parsed);
  } catch (error) {
    if (!(error instanceof RecordContentError)) throw error;
    out.push(failure(source, position, `unusable <${name}> at line ${position.line}: ${error.message}`, text));
  }
  return null;
}

function describeError(name: string, position: SourcePosition, error: RecordParseError): string {
  return error instanceof XmlLimitError
    ? `<${name}> starting at line ${position.line} is past the parser's limits: ${error.message}`
    : `malformed XML in <${name}> starting at line ${position.line}: ${error.message}`;
}

/**
 * Parses one record's text. A record that fails and holds other record starts lost its closing tag (or
 * swallowed its neighbours): it is cut at every record start, each part parsed on its own, so the records
 * after it still count. Each part is parsed once and positions are counted incrementally: linear in the text.
 */
function recordItems(name: string, text: string, position: SourcePosition, source: string, limits: Partial<XmlLimits> | undefined, out: PubmedItem[]): void {
  const error = parseOne(name, text, position, source, limits, out);
  if (error === null) return;
  const cuts: number[] = [0];
  for (let at = nextRecordStart(text, 1); at !== -1; at = nextRecordStart(text, at + 1)) cuts.push(at);
  if (cuts.length === 1) {
    const at: SourcePosition = { line: error.line, column: error.column, offset: position.offset + error.index };
    out.push(failure(source, at, describeError(name, position, error), text));
    return;
  }
  let partPosition = position;
  for (let k = 0; k < cuts.length; k++) {
    const from = cuts[k] as number;
    const to = k + 1 < cuts.length ? (cuts[k + 1] as number) : text.length;
    const part = text.slice(from, to);
    const partName = k === 0 ? name : (/^<([^\s>/]+)/.exec(part)?.[1] ?? name);
    if (k + 1 === cuts.length) {
      recordLast(partName, part, partPosition, source, limits, out);
    } else {
      const partError = parseOne(partName, part, partPosition, source, limits, out);
      if (partError !== null) {
        out.push(failure(source, partPosition, `malformed <${partName}>: it is not closed before the next record starts: ${partError.message}`, part));
      }
      partPosition = shift(partPosition, part, part.length);
    }
  }
}

/** The last part of a cut record: parsed like a record of its own, without cutting again. */
function recordLast(name: string, text: string, position: SourcePosition, source: string, limits: Partial<XmlLimits> | undefined, out: PubmedItem[]): void {
  const error = parseOne(name, text, position, source, limits, out);
  if (error === null) return;
  const at: SourcePosition = { line: error.line, column: error.column, offset: position.offset + error.index };
  out.push(failure(source, at, describeError(name, position, error), text));
}

function splitItems(item: SplitItem, source: string, limits: Partial<XmlLimits> | undefined, out: PubmedItem[]): void {
  if (item.kind === 'record') {
    recordItems(item.name, item.text, item.position, source, limits, out);
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
        for (const item of splitter.push(piece)) splitItems(item, source, options.limits, out);
      }
      // Handing items over per chunk keeps at most one chunk's worth of records alive.
      for (const item of out) yield item;
      out.length = 0;
    }
    if (!splitter.stopped) {
      const rest = decoder.decode();
      if (rest.length > 0) for (const item of splitter.push(rest)) splitItems(item, source, options.limits, out);
    }
    for (const item of splitter.end()) splitItems(item, source, options.limits, out);
    for (const item of out) yield item;
    out.length = 0;
  } finally {
    // Stopping early (not PubMed, or the caller broke out) must release the underlying stream.
    if (!done) await iterator.return?.();
  }
}
