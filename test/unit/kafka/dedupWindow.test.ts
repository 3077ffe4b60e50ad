import { describe, expect, it } from 'vitest';
import { createDedupWindow } from '../../../services/runtime/kafka/dedupWindow.ts';
import { RuntimeConfigError } from '../../../services/errors/medistillErrors.ts';

describe('createDedupWindow', () => {
  it('reports a key as seen on its second arrival only', () => {
    const window = createDedupWindow(10);
    expect(window.seen('31452345@1')).toBe(false);
    expect(window.seen('31452345@2')).toBe(false);
    expect(window.seen('31452345@1')).toBe(true);
    expect(window.size).toBe(2);
  });

  it('evicts the least recently seen key when full, so its redelivery passes again', () => {
    const window = createDedupWindow(3);
    window.seen('a');
    window.seen('b');
    window.seen('c');
    window.seen('a'); // refreshes a: b is now the oldest
    window.seen('d'); // evicts b
    expect(window.size).toBe(3);
    expect(window.has('b')).toBe(false);
    expect(window.has('a')).toBe(true);
    expect(window.seen('b')).toBe(false); // evicts c
    expect(window.has('c')).toBe(false);
    expect(window.seen('d')).toBe(true);
  });

  it('never holds more than maxSize keys over a long stream', () => {
    const window = createDedupWindow(100);
    let duplicates = 0;
    for (let i = 0; i < 10_000; i++) if (window.seen(`k${i % 150}`)) duplicates += 1;
    expect(window.size).toBe(100);
    // A cycle of 150 keys through a window of 100: every key was evicted before it came back.
    expect(duplicates).toBe(0);
  });

  it('lets a forgotten key through again and refuses a size below 1', () => {
    const window = createDedupWindow(2);
    window.seen('x');
    expect(window.forget('x')).toBe(true);
    expect(window.seen('x')).toBe(false);
    expect(() => createDedupWindow(0)).toThrow(RuntimeConfigError);
  });
});
