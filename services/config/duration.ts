import { ConfigError } from '../errors/medistillErrors.ts';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The pattern durations are written in: a whole number and a unit (ms, s, m, h, d), e.g. "30d". */
export const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d)$/;

/**
 * Reads a duration such as "90s", "12h" or "30d" as milliseconds; `what` names the setting in the
 * error. Zero and values past ten years are refused.
 * @example parseDuration('--cache-ttl', '30d') // 2592000000
 */
export function parseDuration(what: string, text: string): number {
  const m = DURATION_PATTERN.exec(text.trim());
  const ms = m ? Number(m[1]) * (UNIT_MS[m[2]!] ?? Number.NaN) : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms <= 0 || ms > 10 * 365 * 86_400_000) {
    throw new ConfigError(`${what} must be a duration such as 90s, 12h or 30d (a whole number and one of ms, s, m, h, d; at most 10 years), got "${text}"`);
  }
  return ms;
}
