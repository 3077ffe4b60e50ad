import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ParseFailure, PubmedItem } from '../model/pubmedRecord.ts';
import { InputReadError } from '../errors/medistillErrors.ts';
import { parsePubmedXml } from './parsePubmedXml.ts';
import { resolveInputFiles } from './resolveInputFiles.ts';

export { resolveInputFiles } from './resolveInputFiles.ts';

export interface ReadPubmedInputsOptions {
  /** Largest record, in characters; a longer one becomes a ParseFailure. Default 16 MiB. */
  maxRecordChars?: number;
  /** Bytes read from disk at a time. Default 256 KiB. */
  readChunkBytes?: number;
}

const DEFAULT_READ_CHUNK = 256 * 1024;

async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

function readFailure(error: InputReadError): ParseFailure {
  return { kind: 'error', source: error.source, position: error.position, pmid: null, message: error.message, raw: '', truncated: false };
}

async function* readFile(path: string, options: ReadPubmedInputsOptions): AsyncGenerator<PubmedItem> {
  let gzip: boolean;
  try {
    gzip = await isGzip(path);
  } catch (error) {
    yield readFailure(new InputReadError(path, { line: 1, column: 1, offset: 0 }, { cause: error }));
    return;
  }
  const file = createReadStream(path, { highWaterMark: options.readChunkBytes ?? DEFAULT_READ_CHUNK });
  let bytes: Readable = file;
  if (gzip) {
    // pipeline forwards a read error to the gunzip stream and destroys both when either fails or is closed.
    bytes = pipeline(file, createGunzip({ chunkSize: options.readChunkBytes ?? DEFAULT_READ_CHUNK }), () => {});
  }
  try {
    yield* parsePubmedXml(bytes, path, { maxRecordChars: options.maxRecordChars });
  } catch (error) {
    if (!(error instanceof InputReadError)) throw error;
    yield readFailure(error);
  } finally {
    bytes.destroy();
  }
}

/**
 * Reads PubMed XML from files, folders (their .xml and .xml.gz files, recursively, in name order) and glob
 * patterns, gunzipping files that start with the gzip magic bytes, one file after the other. A path or pattern
 * that matches nothing throws InputNotFoundError before any record; a file that cannot be read or decompressed
 * gives a ParseFailure and the next file still runs.
 *
 * @example for await (const item of readPubmedInputs(['baseline/', 'extra/*.xml'])) handle(item);
 */
export async function* readPubmedInputs(
  inputs: string | readonly string[],
  options: ReadPubmedInputsOptions = {},
): AsyncGenerator<PubmedItem> {
  const files = await resolveInputFiles(inputs);
  for (const path of files) yield* readFile(path, options);
}
