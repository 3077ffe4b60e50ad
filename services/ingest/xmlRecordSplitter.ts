import type { SourcePosition } from '../model/pubmedRecord.ts';

/** The raw text of one top-level record element and where it starts in the input. */
export interface RawRecord {
  kind: 'record';
  /** Element name: PubmedArticle, PubmedBookArticle, DeleteCitation, MedlineCitation... */
  name: string;
  text: string;
  position: SourcePosition;
}

/**
 * Something between or around records that is not a record: `not-pubmed` (the input is not PubMed XML at all;
 * the splitter then stops), `too-large` (a record beyond the size bound), `unterminated` (the input ends inside
 * a record or before the root closes), `unexpected` (stray text or closing tags between records).
 */
export interface SplitProblem {
  kind: 'problem';
  reason: 'not-pubmed' | 'too-large' | 'unterminated' | 'unexpected';
  message: string;
  position: SourcePosition;
  raw: string;
  /** The name of the record element the problem is about, when there is one. */
  name: string | null;
}

export type SplitItem = RawRecord | SplitProblem;

export interface XmlRecordSplitterOptions {
  /** Largest record, in characters; a longer one is reported as `too-large` and skipped. Default 16 MiB. */
  maxRecordChars?: number;
  /** Longest raw text kept in a problem, in characters. Default 64 KiB. */
  maxRawChars?: number;
}

/** Root elements that wrap a list of records. */
const WRAPPERS: ReadonlySet<string> = new Set(['PubmedArticleSet', 'PubmedBookArticleSet', 'MedlineCitationSet']);
/** Elements that are a record when they are the root of the input (a single-record file). */
const ROOT_RECORDS: ReadonlySet<string> = new Set(['PubmedArticle', 'PubmedBookArticle', 'MedlineCitation', 'BookDocument', 'DeleteCitation']);

const DEFAULT_MAX_RECORD = 16 * 1024 * 1024;
const DEFAULT_MAX_RAW = 64 * 1024;
/** Wrappers nested deeper than this are not wrappers any more but an unexpected element (a record to fail). */
const MAX_WRAPPER_DEPTH = 16;
/**
 * The start of a record element: what a record that lost its closing tag is cut at, so that the records
 * after it are not swallowed with it. Record elements never nest in PubMed XML.
 */
const RECORD_START = /<(?:PubmedArticle|PubmedBookArticle|DeleteCitation)[\s>/]/g;

/** Index of the first record start in `text` from `from`, or -1. */
export function nextRecordStart(text: string, from: number): number {
  RECORD_START.lastIndex = from;
  const match = RECORD_START.exec(text);
  return match === null ? -1 : match.index;
}

/** Enough characters after '<' to tell a comment, CDATA or DOCTYPE apart. */
const LOOKAHEAD = 10;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

function isNameChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
    c === 0x5f || c === 0x3a || c === 0x2d || c === 0x2e || c >= 0x80
  );
}

function firstNonSpace(text: string, from: number, to: number): number {
  for (let k = from; k < to; k++) if (!isSpace(text.charCodeAt(k))) return k;
  return -1;
}

interface OpenRecord {
  name: string;
  closeTag: string;
  /** Index in the buffer of the record's '<'. */
  start: number;
  position: SourcePosition;
  /** Where to resume looking for the closing tag. */
  searchFrom: number;
  rootLevel: boolean;
}

/**
 * Cuts decoded PubMed XML text, fed chunk by chunk, into top-level records (PubmedArticle, PubmedBookArticle,
 * DeleteCitation, or a root MedlineCitation) without holding more than one record plus one chunk in memory.
 * The XML declaration, DOCTYPE, comments and the PubmedArticleSet wrapper are skipped. Records are not
 * checked here, only delimited: a record is everything from its start tag to the first matching end tag.
 *
 * @example
 * const splitter = new XmlRecordSplitter();
 * for (const chunk of chunks) for (const item of splitter.push(chunk)) handle(item);
 * for (const item of splitter.end()) handle(item);
 */
export class XmlRecordSplitter {
  private readonly maxRecordChars: number;
  private readonly maxRawChars: number;
  private buf = '';
  /** Input offset of buf[0]. */
  private bufStart = 0;
  /** Next index of buf to scan at the top level. */
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  /** Input offset up to which lines have been counted. */
  private countedTo = 0;
  private phase: 'prolog' | 'wrapper' | 'after' = 'prolog';
  /**
   * Open wrapper elements, outermost first. A wrapper inside a wrapper (a doubled <PubmedArticleSet>, or a
   * set pasted into another) is not a record: its records count like the others.
   */
  private wrappers: string[] = [];
  private record: OpenRecord | null = null;
  /** Closing tag of an oversized record being skipped. */
  private skipping: string | null = null;
  private sawRoot = false;
  private received = 0;
  private isStopped = false;
  private ended = false;

  constructor(options: XmlRecordSplitterOptions = {}) {
    this.maxRecordChars = options.maxRecordChars ?? DEFAULT_MAX_RECORD;
    this.maxRawChars = options.maxRawChars ?? DEFAULT_MAX_RAW;
    if (!(this.maxRecordChars > 0)) throw new RangeError(`maxRecordChars must be a positive number of characters, got ${options.maxRecordChars}`);
    if (!(this.maxRawChars >= 0)) throw new RangeError(`maxRawChars must be zero or more characters, got ${options.maxRawChars}`);
  }

  /** True once the input was found not to be PubMed XML (or unusable); later text is ignored. */
  get stopped(): boolean {
    return this.isStopped;
  }

  /** Characters held right now (at most one record plus one chunk): the splitter's memory, for checks and gauges. */
  get bufferedChars(): number {
    return this.buf.length;
  }

  /** Feeds the next piece of decoded text; returns the records and problems it completes. */
  push(chunk: string): SplitItem[] {
    if (this.ended) throw new Error('XmlRecordSplitter.push called after end()');
    const out: SplitItem[] = [];
    if (this.isStopped || chunk.length === 0) return out;
    this.received += chunk.length;
    this.buf = this.buf.length === 0 ? chunk : this.buf + chunk;
    this.scan(out, false);
    this.compact();
    return out;
  }

  /** Signals the end of the input; returns what the remaining text gives (an unterminated record, a missing root...). */
  end(): SplitItem[] {
    if (this.ended) return [];
    this.ended = true;
    const out: SplitItem[] = [];
    if (this.isStopped) return out;
    this.scan(out, true);
    // A record the input ends in may have lost its closing tag: the records after it still count.
    while (!this.isStopped && this.record !== null && this.cutAtNextRecord(out)) this.scan(out, true);
    if (this.isStopped) return out;
    const record = this.record;
    let truncationReported = false;
    if (record !== null) {
      truncationReported = true;
      out.push(this.problem('unterminated', `input ends inside <${record.name}>: no </${record.name}> before the end`, record.position, this.buf.slice(record.start), record.name));
      this.record = null;
    } else if (this.skipping === null) {
      const rest = firstNonSpace(this.buf, this.pos, this.buf.length);
      if (rest !== -1) {
        const at = this.positionAt(this.bufStart + rest);
        if (!this.sawRoot) return [this.notPubmed(`it ends inside markup at line ${at.line}: ${JSON.stringify(this.buf.slice(rest, rest + 40))}`)];
        truncationReported = true;
        out.push(this.problem('unterminated', `input ends inside markup: ${JSON.stringify(this.buf.slice(rest, rest + 40))}`, at, this.buf.slice(rest), null));
      }
    }
    if (!this.sawRoot) {
      return [this.notPubmed(this.received === 0 ? 'the input is empty' : 'no root element found')];
    }
    // One truncation, one failure: a cut-off record already says the file ends early.
    if (this.phase === 'wrapper' && !truncationReported) {
      out.push(this.problem('unterminated', `input ends before </${this.wrappers.at(-1) ?? ''}>: the file looks truncated`, this.endPosition(), '', null));
    }
    this.buf = '';
    this.pos = 0;
    return out;
  }

  /** Position just after all the text received so far. */
  endPosition(): SourcePosition {
    return this.positionAt(this.bufStart + this.buf.length);
  }

  private positionAt(offset: number): SourcePosition {
    if (offset > this.countedTo) {
      let nl = this.buf.indexOf('\n', this.countedTo - this.bufStart);
      while (nl !== -1 && nl + this.bufStart < offset) {
        this.line++;
        this.lineStart = this.bufStart + nl + 1;
        nl = this.buf.indexOf('\n', nl + 1);
      }
      this.countedTo = offset;
    }
    // Positions are asked in increasing order; an earlier one (never expected) is reported on the counted line.
    return { line: this.line, column: Math.max(1, offset - this.lineStart + 1), offset };
  }

  private problem(reason: SplitProblem['reason'], message: string, position: SourcePosition, raw: string, name: string | null): SplitProblem {
    return { kind: 'problem', reason, message, position, raw: raw.length > this.maxRawChars ? raw.slice(0, this.maxRawChars) : raw, name };
  }

  private notPubmed(detail: string): SplitProblem {
    this.isStopped = true;
    const raw = this.buf.slice(0, Math.min(this.buf.length, 200));
    this.buf = '';
    this.pos = 0;
    this.record = null;
    return this.problem('not-pubmed', detail, { line: 1, column: 1, offset: 0 }, raw, null);
  }

  /** Drops scanned text from the buffer, counting its lines first. */
  private compact(): void {
    if (this.isStopped) return;
    let keep = this.record !== null ? this.record.start : this.pos;
    if (this.skipping !== null) keep = Math.max(0, this.buf.length - this.skipping.length);
    if (keep === 0) return;
    this.positionAt(this.bufStart + keep);
    this.buf = this.buf.slice(keep);
    this.bufStart += keep;
    this.pos = Math.max(0, this.pos - keep);
    if (this.record !== null) {
      this.record.start -= keep;
      this.record.searchFrom -= keep;
    }
  }

  /**
   * Ends the open record where the next record starts, when one starts inside it: the open one lost its
   * closing tag and becomes an `unterminated` problem, and scanning resumes at the next one. False when no
   * record starts inside it.
   */
  private cutAtNextRecord(out: SplitItem[]): boolean {
    const record = this.record;
    if (record === null) return false;
    const next = nextRecordStart(this.buf, record.start + 1);
    if (next === -1) return false;
    out.push(this.problem('unterminated', `<${record.name}> is not closed before the next record starts`, record.position, this.buf.slice(record.start, next), record.name));
    this.record = null;
    this.pos = next;
    if (record.rootLevel) this.phase = 'after';
    return true;
  }

  /** Index just past the record's closing tag, or -1 when more text is needed. */
  private findClose(record: OpenRecord): number {
    const buf = this.buf;
    let from = record.searchFrom;
    for (;;) {
      const idx = buf.indexOf(record.closeTag, from);
      if (idx === -1) {
        record.searchFrom = Math.max(from, buf.length - record.closeTag.length);
        return -1;
      }
      const after = idx + record.closeTag.length;
      if (after >= buf.length) {
        record.searchFrom = idx;
        return -1;
      }
      const c = buf.charCodeAt(after);
      if (c === 0x3e) return after + 1;
      if (isSpace(c)) {
        const gt = buf.indexOf('>', after);
        if (gt === -1) {
          record.searchFrom = idx;
          return -1;
        }
        if (firstNonSpace(buf, after, gt) === -1) return gt + 1;
      }
      from = idx + 1;
    }
  }

  private scan(out: SplitItem[], final: boolean): void {
    for (;;) {
      if (this.isStopped) return;
      const buf = this.buf;
      if (this.skipping !== null) {
        const idx = buf.indexOf(this.skipping, this.pos);
        if (idx === -1) return;
        const gt = buf.indexOf('>', idx);
        if (gt === -1) return;
        this.pos = gt + 1;
        this.skipping = null;
        continue;
      }
      const record = this.record;
      if (record !== null) {
        const end = this.findClose(record);
        if (end === -1) {
          if (buf.length - record.start > this.maxRecordChars) {
            if (this.cutAtNextRecord(out)) continue;
            out.push(this.problem('too-large', `<${record.name}> is longer than ${this.maxRecordChars} characters; skipped`, record.position, buf.slice(record.start, record.start + this.maxRawChars), record.name));
            this.skipping = record.closeTag;
            this.pos = record.searchFrom;
            this.record = null;
            continue;
          }
          return;
        }
        out.push({ kind: 'record', name: record.name, text: buf.slice(record.start, end), position: record.position });
        this.pos = end;
        this.record = null;
        if (record.rootLevel) this.phase = 'after';
        continue;
      }

      const lt = buf.indexOf('<', this.pos);
      const segmentEnd = lt === -1 ? buf.length : lt;
      const text = firstNonSpace(buf, this.pos, segmentEnd);
      if (text !== -1) {
        if (!this.sawRoot) {
          out.push(this.notPubmed(`it starts with text, not XML markup: ${JSON.stringify(buf.slice(text, text + 40))}`));
          return;
        }
        if (lt === -1 && !final) {
          if (buf.length - this.pos > this.maxRecordChars) this.pos = buf.length;
          return;
        }
        out.push(this.problem('unexpected', `text outside any record: ${JSON.stringify(buf.slice(text, Math.min(segmentEnd, text + 60)))}`, this.positionAt(this.bufStart + text), buf.slice(text, segmentEnd), null));
      }
      this.pos = segmentEnd;
      if (lt === -1) return;
      if (!final && buf.length - lt < LOOKAHEAD) return;

      const c = buf.charCodeAt(lt + 1);
      if (c === 0x3f /* ? */ || c === 0x21 /* ! */) {
        const end = this.skipMarkup(lt);
        if (end === -1) {
          this.failIfTooLong(out, lt);
          return;
        }
        this.pos = end;
        continue;
      }
      const closing = c === 0x2f;
      const nameStart = closing ? lt + 2 : lt + 1;
      let nameEnd = nameStart;
      while (nameEnd < buf.length && isNameChar(buf.charCodeAt(nameEnd))) nameEnd++;
      if (nameEnd === buf.length && !final) return;
      const gt = buf.indexOf('>', nameEnd);
      if (gt === -1) {
        this.failIfTooLong(out, lt);
        return;
      }
      const name = buf.slice(nameStart, nameEnd);
      if (name.length === 0) {
        if (!this.sawRoot) {
          out.push(this.notPubmed(`'<' not followed by a tag name: ${JSON.stringify(buf.slice(lt, lt + 40))}`));
          return;
        }
        out.push(this.problem('unexpected', `'<' not followed by a tag name: ${JSON.stringify(buf.slice(lt, lt + 40))}`, this.positionAt(this.bufStart + lt), buf.slice(lt, gt + 1), null));
        this.pos = gt + 1;
        continue;
      }
      if (closing) {
        if (this.phase === 'wrapper' && name === this.wrappers.at(-1)) {
          this.wrappers.pop();
          if (this.wrappers.length === 0) this.phase = 'after';
        } else {
          out.push(this.problem('unexpected', `closing tag </${name}> outside any record`, this.positionAt(this.bufStart + lt), buf.slice(lt, gt + 1), null));
        }
        this.pos = gt + 1;
        continue;
      }
      const selfClosing = buf.charCodeAt(gt - 1) === 0x2f;
      let rootLevel = false;
      if (WRAPPERS.has(name) && this.wrappers.length < MAX_WRAPPER_DEPTH) {
        this.sawRoot = true;
        if (!selfClosing) {
          this.phase = 'wrapper';
          this.wrappers.push(name);
        }
        this.pos = gt + 1;
        continue;
      }
      if (this.phase !== 'wrapper') {
        if (!this.sawRoot && !ROOT_RECORDS.has(name)) {
          out.push(this.notPubmed(`its root element is <${name}>, not <PubmedArticleSet>, <PubmedArticle> or <MedlineCitation>`));
          return;
        }
        this.sawRoot = true;
        rootLevel = true;
      }
      const position = this.positionAt(this.bufStart + lt);
      if (selfClosing) {
        out.push({ kind: 'record', name, text: buf.slice(lt, gt + 1), position });
        this.pos = gt + 1;
        if (rootLevel) this.phase = 'after';
        continue;
      }
      this.record = { name, closeTag: `</${name}`, start: lt, position, searchFrom: gt + 1, rootLevel };
    }
  }

  /** End index of the comment, processing instruction or DOCTYPE at `lt`, or -1 when it is not complete yet. */
  private skipMarkup(lt: number): number {
    const buf = this.buf;
    if (buf.startsWith('<!--', lt)) {
      const end = buf.indexOf('-->', lt + 4);
      return end === -1 ? -1 : end + 3;
    }
    if (buf.charCodeAt(lt + 1) === 0x3f) {
      const end = buf.indexOf('?>', lt + 2);
      return end === -1 ? -1 : end + 2;
    }
    // <!DOCTYPE ...> with an optional [internal subset].
    const gt = buf.indexOf('>', lt);
    const bracket = buf.indexOf('[', lt);
    if (bracket !== -1 && (gt === -1 || bracket < gt)) {
      const close = buf.indexOf(']', bracket);
      if (close === -1) return -1;
      const end = buf.indexOf('>', close);
      return end === -1 ? -1 : end + 1;
    }
    return gt === -1 ? -1 : gt + 1;
  }

  private failIfTooLong(out: SplitItem[], lt: number): void {
    if (this.buf.length - lt <= this.maxRecordChars) return;
    const at = this.positionAt(this.bufStart + lt);
    out.push(this.problem('too-large', `markup at line ${at.line} runs longer than ${this.maxRecordChars} characters; the rest of the input is ignored`, at, this.buf.slice(lt, lt + this.maxRawChars), null));
    this.isStopped = true;
    this.buf = '';
    this.pos = 0;
  }
}
