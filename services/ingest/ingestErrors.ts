import type { SourcePosition } from '../model/pubmedRecord.ts';

/** Base class of every error the ingest module throws; `retriable` says whether trying again later may help. */
export class IngestError extends Error {
  readonly retriable: boolean;
  constructor(message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'IngestError';
    this.retriable = options.retriable;
  }
}

/** Malformed XML inside one record; line and column (1-based) are counted from the origin given to the parser, index from the record text. */
export class XmlSyntaxError extends IngestError {
  /** Offset in characters from the start of the parsed text. */
  readonly index: number;
  readonly line: number;
  readonly column: number;
  /** The problem alone, without the position prefix. */
  readonly detail: string;
  constructor(detail: string, options: { index: number; line: number; column: number }) {
    super(`${detail} (line ${options.line}, column ${options.column})`, { retriable: false });
    this.name = 'XmlSyntaxError';
    this.detail = detail;
    this.index = options.index;
    this.line = options.line;
    this.column = options.column;
  }
}

/** Well-formed XML that is not a usable PubMed record (no PMID, unexpected element...). */
export class RecordContentError extends IngestError {
  constructor(message: string) {
    super(message, { retriable: false });
    this.name = 'RecordContentError';
  }
}

/** An input path or glob pattern matched no file; raised before any record is read. */
export class InputNotFoundError extends IngestError {
  readonly input: string;
  constructor(input: string, options: { detail?: string; cause?: unknown } = {}) {
    super(`input not found: ${input}${options.detail ? ` (${options.detail})` : ''}`, { retriable: false, cause: options.cause });
    this.name = 'InputNotFoundError';
    this.input = input;
  }
}

/** Reading or decompressing an input failed part-way (corrupt gzip, I/O error); `position` is where decoding stopped. */
export class InputReadError extends IngestError {
  readonly source: string;
  readonly position: SourcePosition;
  constructor(source: string, position: SourcePosition, options: { cause: unknown; retriable?: boolean }) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`cannot read ${source}: ${reason}`, { retriable: options.retriable ?? false, cause: options.cause });
    this.name = 'InputReadError';
    this.source = source;
    this.position = position;
  }
}
