/** Width of a numeric PMID in its key: PMIDs are at most 8 digits today, this leaves room. */
const WIDTH = 12;

/**
 * The sort key of a PMID: numeric PMIDs zero-padded so that keys sort in PMID order (new papers,
 * with higher PMIDs, land after every existing one); anything else sorts after them as it is.
 * @example pmidKey('39989999') // '000039989999'
 */
export function pmidKey(pmid: string): string {
  return /^\d{1,12}$/.test(pmid) ? pmid.padStart(WIDTH, '0') : `~${pmid}`;
}
