import { describe, expect, it } from 'vitest';
import { createProgressReporter, renderBar } from '../../../services/cli/progressReporter.ts';

function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const s = { isTTY, text: '', write(chunk: string) { s.text += chunk; return true; } };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

describe('progress reporting', () => {
  it('draws a bar with the share done, or a moving marker when the total is unknown', () => {
    expect(renderBar(0.5, 0)).toBe(`[${'#'.repeat(14)}${'-'.repeat(14)}]  50%`);
    expect(renderBar(2, 0)).toContain('100%');
    expect(renderBar(null, 3)).toBe(`[---#${'-'.repeat(24)}]`);
  });

  it('writes plain progress lines at most once per interval when the stream is not a terminal', () => {
    let t = 0;
    const stream = fakeStream(false);
    const p = createProgressReporter({ stream, plainIntervalMs: 1000, now: () => t });
    t = 1000;
    p.update({ records: 10, accepted: 4, failed: 1, fraction: null });
    t = 1500;
    p.update({ records: 20, accepted: 8, failed: 1, fraction: null });
    t = 2000;
    p.update({ records: 30, accepted: 9, failed: 2, fraction: null });
    p.finish({ records: 30, accepted: 9, failed: 2, fraction: 1 });
    const lines = stream.text.trim().split('\n');
    expect(lines).toEqual([
      'progress: 10 records, 4 items accepted, 1 failed, 10.0 records/s',
      'progress: 30 records, 9 items accepted, 2 failed, 15.0 records/s',
      'progress: 30 records, 9 items accepted, 2 failed, 15.0 records/s (done)',
    ]);
    expect(stream.text).not.toContain('\r');
  });

  it('redraws one line with a bar on a terminal and clears it at the end', () => {
    let t = 0;
    const stream = fakeStream(true);
    const p = createProgressReporter({ stream, ttyIntervalMs: 100, now: () => t });
    t = 200;
    p.update({ records: 5, accepted: 2, failed: 0, fraction: 0.25 });
    p.finish({ records: 5, accepted: 2, failed: 0, fraction: 1 });
    expect(stream.text.startsWith(`\r\x1b[2K[${'#'.repeat(7)}${'-'.repeat(21)}]  25% 5 records`)).toBe(true);
    expect(stream.text.endsWith('\r\x1b[2K')).toBe(true);
    expect(stream.text).not.toContain('\n');
  });
});
