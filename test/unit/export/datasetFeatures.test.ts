import { describe, expect, it } from 'vitest';
import { encodeJsonRow, FAILURE_FEATURES, huggingFaceFeatures, type FeatureField } from '../../../services/export/datasetFeatures.ts';
import { sizeCategory } from '../../../services/export/cardFrontMatter.ts';
import { ProgrammingError } from '../../../services/errors/medistillErrors.ts';

const COLUMNS: FeatureField[] = [
  { name: 'id', type: { kind: 'string' } },
  { name: 'note', type: { kind: 'string', nullable: true } },
  { name: 'n', type: { kind: 'int64' } },
  { name: 'scores', type: { kind: 'struct', fields: [{ name: 'a', type: { kind: 'float64' } }] } },
  { name: 'tags', type: { kind: 'list', of: { kind: 'string' } } },
];

describe('encodeJsonRow', () => {
  it('writes whole floats with a decimal point, absent nullable fields as null, in declared order', () => {
    expect(encodeJsonRow(COLUMNS, { tags: ['x'], scores: { a: 1 }, n: 3, id: 'i', extra: 'dropped' })).toBe('{"id":"i","note":null,"n":3,"scores":{"a":1.0},"tags":["x"]}');
    expect(JSON.parse(encodeJsonRow(COLUMNS, { id: 'i', n: 3, scores: { a: 0.25 }, tags: [] })).scores.a).toBe(0.25);
  });

  it('throws ProgrammingError naming the field when a value does not fit its type', () => {
    expect(() => encodeJsonRow(COLUMNS, { id: 'i', n: 1.5, scores: { a: 1 }, tags: [] })).toThrow(ProgrammingError);
    expect(() => encodeJsonRow(COLUMNS, { id: 'i', n: 1, scores: {}, tags: [] })).toThrow(/scores\.a is missing/);
    expect(() => encodeJsonRow(COLUMNS, { id: 'i', n: 1, scores: { a: 1 }, tags: [2] })).toThrow(/tags\[0\] is not a string/);
  });

  it('encodes a failure entry without its optional parts', () => {
    expect(JSON.parse(encodeJsonRow(FAILURE_FEATURES, { reason: 'parse_error', message: 'm' }))).toEqual({ reason: 'parse_error', message: 'm', source: null, pmid: null, position: null, raw: null, truncated: null });
  });
});

describe('huggingFaceFeatures', () => {
  it('gives dtype for scalars, struct for records and list for lists', () => {
    expect(huggingFaceFeatures(COLUMNS)).toEqual([
      { name: 'id', dtype: 'string' },
      { name: 'note', dtype: 'string' },
      { name: 'n', dtype: 'int64' },
      { name: 'scores', struct: [{ name: 'a', dtype: 'float64' }] },
      { name: 'tags', list: 'string' },
    ]);
  });
});

describe('sizeCategory', () => {
  it('follows the Hub categories', () => {
    expect(sizeCategory(0)).toBe('n<1K');
    expect(sizeCategory(1000)).toBe('1K<n<10K');
    expect(sizeCategory(1_000_000)).toBe('1M<n<10M');
  });
});
