/**
 * 32-bit FNV-1a hash of the parts joined by NUL: cheap, stable across runs and platforms, and good
 * enough to spread answer keys and order distractors (never used for security).
 */
export function stableHash(...parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  const s = parts.join('\u0000');
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
