import { CRITERIA, type Criterion } from '../model/qaItem.ts';
import { thresholdsSchema, type Thresholds } from '../judge/verdict.ts';
import { UsageError } from '../errors/medistillErrors.ts';

/** Parses `--threshold grounded=0.7,clear=0.4` flags over the default thresholds. */
export function parseThresholds(flags: readonly string[]): Thresholds {
  const raw: Partial<Record<Criterion, number>> = {};
  for (const part of flags.flatMap((f) => f.split(',')).filter((p) => p.trim() !== '')) {
    const [name, value] = part.split('=').map((s) => s.trim());
    if (!name || !CRITERIA.includes(name as Criterion)) {
      throw new UsageError(`--threshold: unknown criterion "${name ?? ''}" (use ${CRITERIA.join(', ')})`);
    }
    const n = Number(value);
    if (value === undefined || value === '' || !Number.isFinite(n) || n < 0 || n > 1) {
      throw new UsageError(`--threshold: ${name} needs a value between 0 and 1, got "${value ?? ''}"`);
    }
    raw[name as Criterion] = n;
  }
  return thresholdsSchema.parse(raw);
}
