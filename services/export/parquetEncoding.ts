import { Bool, Field, Float64, Int64, List, makeData, RecordBatch, Schema, Struct, Table, tableToIPC, Utf8, vectorFromArray, type DataType } from 'apache-arrow';
import { Compression, Table as WasmTable, writeParquet, WriterPropertiesBuilder } from 'parquet-wasm';
import { readFile } from 'node:fs/promises';
import { ExportIoError } from '../errors/medistillErrors.ts';
import { writeFileAtomic } from './atomicFile.ts';
import type { Feature, FeatureField } from './datasetFeatures.ts';

/** Rows per Parquet row group: a shard (at most a few thousand rows) is one or two groups. */
const ROW_GROUP_ROWS = 4_096;

/**
 * Encodes rows as one Parquet file under the declared columns (zstd, dictionary pages), with
 * Arrow's types taken from the declaration, never inferred from the values.
 *
 * The writer is parquet-wasm: the Rust `parquet` crate of the Apache Arrow project compiled to
 * WebAssembly, so the files come from the reference implementation that pyarrow and DuckDB read
 * every day, with zstd for size; no native build, and faster than the pure-JavaScript writers
 * (bench/exportFormats.ts). Rows are laid out in columns with apache-arrow's builders and handed
 * over as an Arrow IPC stream.
 * @example await writeFile('accepted.parquet', encodeParquet(ACCEPTED_FEATURES, rows));
 */
export function encodeParquet(columns: readonly FeatureField[], rows: readonly object[]): Uint8Array {
  const schema = new Schema(columns.map(arrowField));
  // One column vector per field, each a single chunk (the builders are given every value at once).
  const children = columns.map((c, i) => vectorFromArray(rows.map((r) => normalize(c.type, (r as Record<string, unknown>)[c.name])), schema.fields[i]!.type).data[0]!);
  const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children }));
  const table = new Table(schema, [batch]);
  const wasmTable = WasmTable.fromIPCStream(tableToIPC(table, 'stream'));
  const properties = new WriterPropertiesBuilder().setCompression(Compression.ZSTD).setDictionaryEnabled(true).setMaxRowGroupSize(ROW_GROUP_ROWS).build();
  return writeParquet(wasmTable, properties);
}

function arrowField(c: FeatureField): Field {
  return new Field(c.name, arrowType(c.type), c.type.nullable === true);
}

function arrowType(type: Feature): DataType {
  switch (type.kind) {
    case 'string':
      return new Utf8();
    case 'int64':
      return new Int64();
    case 'float64':
      return new Float64();
    case 'bool':
      return new Bool();
    case 'list':
      return new List(new Field('item', arrowType(type.of), type.of.nullable === true));
    case 'struct':
      return new Struct(type.fields.map(arrowField));
  }
}

/** Absent values become null; int64 columns take bigints. */
function normalize(type: Feature, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  switch (type.kind) {
    case 'int64':
      return BigInt(value as number);
    case 'list':
      return (value as unknown[]).map((v) => normalize(type.of, v));
    case 'struct': {
      const v = value as Record<string, unknown>;
      return Object.fromEntries(type.fields.map((f) => [f.name, normalize(f.type, v[f.name])]));
    }
    default:
      return value;
  }
}

/**
 * Writes the Parquet twin of a JSONL file (a whole file read into memory: for files of bounded size,
 * such as a run's failures). `datasets` reads every configuration of a folder with one builder, so a
 * folder whose shards are Parquet lists its other tables as Parquet too.
 */
export async function writeParquetOfJsonl(jsonlPath: string, parquetPath: string, columns: readonly FeatureField[]): Promise<number> {
  let text: string;
  try {
    text = await readFile(jsonlPath, 'utf8');
  } catch (cause) {
    throw new ExportIoError(jsonlPath, { cause });
  }
  const rows = text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as object);
  await writeFileAtomic(parquetPath, encodeParquet(columns, rows));
  return rows.length;
}
