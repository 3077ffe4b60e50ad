import avro from 'avsc';
import type { AvroSchema } from './avroSchemas.ts';

/**
 * `timestamp-millis` as a JavaScript Date. avsc 5 has no built-in logical types: without this the
 * field would read and write a plain number, and a Date would fail validation.
 */
export class TimestampMillisType extends avro.types.LogicalType {
  protected override _fromValue(val: unknown): Date {
    return new Date(val as number);
  }

  protected override _toValue(date: unknown): number | undefined {
    // undefined tells avsc the value is invalid, so encode reports the field path.
    if (!(date instanceof Date)) return undefined;
    const ms = date.getTime();
    return Number.isFinite(ms) ? ms : undefined;
  }

  protected override _resolve(type: avro.Type): ((v: unknown) => Date) | undefined {
    // Data written as a plain long, or as this logical type, reads as a Date.
    if (avro.Type.isType(type, 'long', 'logical:timestamp-millis')) return (v) => this._fromValue(v);
    return undefined;
  }
}

/** avsc options for every type built from the contracts, here and inside the registry client. */
export const AVSC_OPTIONS: Readonly<Partial<avro.ForSchemaOptions>> = Object.freeze({
  logicalTypes: { 'timestamp-millis': TimestampMillisType },
});

/** The avsc type of one contract schema, with the contracts' logical types. */
export function avroTypeFor(schema: AvroSchema): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, { ...AVSC_OPTIONS });
}
