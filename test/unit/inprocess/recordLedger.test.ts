import { describe, expect, it } from 'vitest';
import { RecordLedger } from '../../../services/runtime/inprocess/recordLedger.ts';

describe('RecordLedger', () => {
  it('accounts for every entry: outcomes, deletions, duplicates and parse failures', () => {
    const l = new RecordLedger();
    expect(l.admit('1', 1)).toBe(true);
    expect(l.admit('2', 1)).toBe(true);
    expect(l.admit('2', 1)).toBe(false);
    l.fail('parse_error');
    l.delete('99');
    l.settle('1', 1, 'with_items');
    l.settle('2', 1, 'no_abstract');
    const t = l.totals();
    expect(t.records).toBe(5);
    expect(t.outcomes).toMatchObject({ with_items: 1, no_abstract: 1, duplicate: 1, failed: 1, deleted: 1 });
    expect(t.failures).toEqual({ parse_error: 1 });
  });

  it('a newer version supersedes the older one whatever order they finish in', () => {
    const l = new RecordLedger();
    l.admit('7', 1);
    l.admit('7', 2);
    l.settle('7', 2, 'with_items');
    l.settle('7', 1, 'with_items');
    expect(l.keeps('7', 1)).toBe(false);
    expect(l.keeps('7', 2)).toBe(true);
    expect(l.hasRemovals).toBe(true);
    expect(l.totals().outcomes).toMatchObject({ with_items: 1, superseded: 1 });
  });

  it('a deletion withdraws a processed record and its items', () => {
    const l = new RecordLedger();
    l.admit('5', 1);
    l.settle('5', 1, 'with_items');
    l.delete('5');
    expect(l.keeps('5', 1)).toBe(false);
    expect(l.totals().outcomes).toMatchObject({ withdrawn: 1, deleted: 1, with_items: 0 });
  });

  it('counts failed records by reason and refuses to total an unsettled record', () => {
    const l = new RecordLedger();
    l.admit('1', 1);
    expect(() => l.totals()).toThrow(/never settled/);
    l.settle('1', 1, 'failed', 'generate_error');
    expect(l.totals().failures).toEqual({ generate_error: 1 });
  });
});
