import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { createMeshVocabulary } from './createMeshVocabulary.ts';
import { MeshLoadError } from '../errors/medistillErrors.ts';
import type { MeshDescriptor, MeshTermEntry, MeshVocabulary } from './meshVocabulary.ts';

const READ_CHUNK_BYTES = 1 << 20;
/** The root element must show up this early, or the file is not a descriptor file. */
const HEAD_LIMIT_BYTES = 64 * 1024;
/** A single DescriptorRecord is a few KiB (the largest real ones ~200 KiB); anything bigger means a broken file. */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const SET_OPEN = b('<DescriptorRecordSet');
const RECORD_OPEN = b('<DescriptorRecord');
const RECORD_CLOSE = b('</DescriptorRecord>');
const UI_OPEN = b('<DescriptorUI>');
const UI_CLOSE = b('</DescriptorUI>');
const NAME_OPEN = b('<DescriptorName');
const STRING_OPEN = b('<String>');
const STRING_CLOSE = b('</String>');
const TREE_LIST_OPEN = b('<TreeNumberList>');
const TREE_LIST_CLOSE = b('</TreeNumberList>');
const TREE_OPEN = b('<TreeNumber>');
const TREE_CLOSE = b('</TreeNumber>');
const CONCEPT_LIST_OPEN = b('<ConceptList>');
const CONCEPT_OPEN = b('<Concept');
const CONCEPT_CLOSE = b('</Concept>');
const TERM_OPEN = b('<Term');
const TERM_CLOSE = b('</Term>');
const PREFERRED_CONCEPT = b('PreferredConceptYN');
const CONCEPT_PREFERRED_TERM = b('ConceptPreferredTermYN');
const RECORD_PREFERRED_TERM = b('RecordPreferredTermYN');

/**
 * Loads NLM's descriptor XML (desc20XX.xml, plain or gzipped) into a vocabulary.
 *
 * The file is streamed and cut into DescriptorRecord elements with byte searches; inside a record
 * only the UI, name, tree numbers and concept/term strings are read, everything else is skipped
 * unparsed. That is several times faster than a general XML parser on a 300 MB file, and strings
 * are decoded from bytes so none of them pins a whole read chunk in memory.
 */
export async function loadMeshVocabulary(path: string): Promise<MeshVocabulary> {
  const gzipped = await sniffGzip(path);
  const descriptors: MeshDescriptor[] = [];
  const file = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  const gunzip = gzipped ? createGunzip({ chunkSize: READ_CHUNK_BYTES }) : null;
  const source = gunzip ? pipeline(file, gunzip, () => undefined) : file;

  let pending: Buffer | null = null;
  let sawRoot = false;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      const buf: Buffer = pending ? Buffer.concat([pending, chunk]) : chunk;
      if (!sawRoot) {
        if (buf.indexOf(SET_OPEN) >= 0) sawRoot = true;
        else if (buf.length >= HEAD_LIMIT_BYTES) throw notMesh(path);
        else {
          pending = buf;
          continue;
        }
      }
      let pos = 0;
      while (true) {
        const start = findRecordOpen(buf, pos);
        if (start < 0) {
          // Keep a tail long enough to hold an opening tag cut in half by the chunk boundary.
          pos = Math.max(pos, buf.length - RECORD_OPEN.length);
          break;
        }
        const close = buf.indexOf(RECORD_CLOSE, start);
        if (close < 0) {
          pos = start;
          break;
        }
        const end = close + RECORD_CLOSE.length;
        descriptors.push(parseRecord(buf.subarray(start, end), path, descriptors.length + 1));
        pos = end;
      }
      pending = pos < buf.length ? buf.subarray(pos) : null;
      if (pending && pending.length > MAX_RECORD_BYTES) {
        throw new MeshLoadError('malformed', path, `MeSH file ${path}: a DescriptorRecord is larger than ${MAX_RECORD_BYTES} bytes or never closed`);
      }
    }
  } catch (err) {
    file.destroy();
    gunzip?.destroy();
    throw classifyStreamError(err, path, gzipped);
  }

  if (!sawRoot) throw notMesh(path);
  if (pending && findRecordOpen(pending, 0) >= 0) {
    throw new MeshLoadError('malformed', path, `MeSH file ${path} is truncated: the last DescriptorRecord is not closed`);
  }
  if (descriptors.length === 0) {
    throw new MeshLoadError('empty', path, `MeSH file ${path} holds no DescriptorRecord elements`);
  }
  return createMeshVocabulary(descriptors, `${basename(path)} (${descriptors.length} descriptors)`);
}

async function sniffGzip(path: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'r');
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new MeshLoadError('not_found', path, `MeSH file not found: ${path}`, err);
    throw new MeshLoadError('unreadable', path, `MeSH file ${path} cannot be read (${code ?? (err as Error).message})`, err);
  } finally {
    await handle?.close();
  }
}

function notMesh(path: string): MeshLoadError {
  return new MeshLoadError('not_mesh', path, `MeSH file ${path} is not an NLM DescriptorRecordSet (desc20XX.xml) file`);
}

function classifyStreamError(err: unknown, path: string, gzipped: boolean): unknown {
  if (err instanceof MeshLoadError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (gzipped && typeof code === 'string' && code.startsWith('Z_')) {
    return new MeshLoadError('corrupt_gzip', path, `MeSH file ${path} is not a readable gzip file (${(err as Error).message})`, err);
  }
  if (err instanceof Error && 'errno' in err) {
    return new MeshLoadError('unreadable', path, `MeSH file ${path} cannot be read (${code ?? err.message})`, err);
  }
  return err;
}

/** Next `<DescriptorRecord` opening tag at or after `from`, skipping `<DescriptorRecordSet`. */
function findRecordOpen(buf: Buffer, from: number): number {
  let at = buf.indexOf(RECORD_OPEN, from);
  while (at >= 0) {
    const next = buf[at + RECORD_OPEN.length];
    if (next === undefined) return -1; // cannot tell yet: wait for more bytes
    if (next === 0x3e || isSpace(next)) return at;
    at = buf.indexOf(RECORD_OPEN, at + 1);
  }
  return -1;
}

/** Next opening tag `<Name` followed by a space or `>` (so `<Concept` does not hit `<ConceptList>`). */
function findTag(buf: Buffer, tag: Buffer, from: number, to: number): number {
  let at = buf.indexOf(tag, from);
  while (at >= 0 && at < to) {
    const next = buf[at + tag.length];
    if (next === 0x3e || (next !== undefined && isSpace(next))) return at;
    at = buf.indexOf(tag, at + 1);
  }
  return -1;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

/** Text between the first `open` and the next `close` inside [from, to), or null. */
function textBetween(buf: Buffer, open: Buffer, close: Buffer, from: number, to: number): { text: string; end: number } | null {
  const a = buf.indexOf(open, from);
  if (a < 0 || a >= to) return null;
  const start = a + open.length;
  const e = buf.indexOf(close, start);
  if (e < 0 || e >= to) return null;
  return { text: decodeText(buf.toString('utf8', start, e)), end: e + close.length };
}

/** Y/N attribute inside the opening tag [tagStart, tagEnd); tolerates spaces around `=` as NLM's files have. */
function yesAttr(buf: Buffer, name: Buffer, tagStart: number, tagEnd: number): boolean {
  let at = buf.indexOf(name, tagStart);
  while (at >= 0 && at < tagEnd) {
    // Make sure the hit is the whole attribute name, not the tail of a longer one.
    if (isSpace(buf[at - 1] ?? 0)) {
      let i = at + name.length;
      while (i < tagEnd && (isSpace(buf[i] ?? 0) || buf[i] === 0x3d || buf[i] === 0x22 || buf[i] === 0x27)) i++;
      return buf[i] === 0x59; // 'Y'
    }
    at = buf.indexOf(name, at + 1);
  }
  return false;
}

function parseRecord(rec: Buffer, path: string, ordinal: number): MeshDescriptor {
  const end = rec.length;
  const ui = textBetween(rec, UI_OPEN, UI_CLOSE, 0, end);
  if (!ui || ui.text.length === 0) {
    throw new MeshLoadError('malformed', path, `MeSH file ${path}: DescriptorRecord #${ordinal} has no DescriptorUI`);
  }
  const nameTag = findTag(rec, NAME_OPEN, ui.end, end);
  const name = nameTag < 0 ? null : textBetween(rec, STRING_OPEN, STRING_CLOSE, nameTag, end);
  if (!name || name.text.length === 0) {
    throw new MeshLoadError('malformed', path, `MeSH file ${path}: descriptor ${ui.text} has no DescriptorName`);
  }

  const treeNumbers: string[] = [];
  const listAt = rec.indexOf(TREE_LIST_OPEN, name.end);
  if (listAt >= 0) {
    const listEnd = rec.indexOf(TREE_LIST_CLOSE, listAt);
    const limit = listEnd < 0 ? end : listEnd;
    let from = listAt + TREE_LIST_OPEN.length;
    while (true) {
      const tn = textBetween(rec, TREE_OPEN, TREE_CLOSE, from, limit);
      if (!tn) break;
      if (tn.text.length > 0) treeNumbers.push(tn.text);
      from = tn.end;
    }
  }

  const terms: MeshTermEntry[] = [];
  const conceptsAt = rec.indexOf(CONCEPT_LIST_OPEN, name.end);
  if (conceptsAt >= 0) {
    let from = conceptsAt + CONCEPT_LIST_OPEN.length;
    while (true) {
      const cAt = findTag(rec, CONCEPT_OPEN, from, end);
      if (cAt < 0) break;
      const cTagEnd = rec.indexOf(0x3e, cAt);
      let cEnd = rec.indexOf(CONCEPT_CLOSE, cAt);
      if (cEnd < 0) cEnd = end;
      const preferredConcept = yesAttr(rec, PREFERRED_CONCEPT, cAt, cTagEnd);
      let tFrom = cTagEnd;
      while (true) {
        const tAt = findTag(rec, TERM_OPEN, tFrom, cEnd);
        if (tAt < 0) break;
        const tTagEnd = rec.indexOf(0x3e, tAt);
        let tEnd = rec.indexOf(TERM_CLOSE, tAt);
        if (tEnd < 0 || tEnd > cEnd) tEnd = cEnd;
        const text = textBetween(rec, STRING_OPEN, STRING_CLOSE, tTagEnd, tEnd);
        if (text && text.text.length > 0) {
          terms.push({
            text: text.text,
            recordPreferred: yesAttr(rec, RECORD_PREFERRED_TERM, tAt, tTagEnd),
            conceptPreferred: yesAttr(rec, CONCEPT_PREFERRED_TERM, tAt, tTagEnd),
            preferredConcept,
          });
        }
        tFrom = tEnd + TERM_CLOSE.length;
      }
      from = cEnd + CONCEPT_CLOSE.length;
    }
  }
  // A record without a ConceptList still has a name worth matching.
  if (!terms.some((t) => t.recordPreferred)) {
    terms.unshift({ text: name.text, recordPreferred: true, conceptPreferred: true, preferredConcept: true });
  }
  return { ui: ui.text, name: name.text, treeNumbers, terms };
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Trims and decodes XML entities (named and numeric); most strings have none and skip the regex. */
function decodeText(raw: string): string {
  const s = raw.trim();
  if (s.indexOf('&') < 0) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, body: string) => {
    if (body.charCodeAt(0) === 35 /* # */) {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[body] ?? whole;
  });
}
