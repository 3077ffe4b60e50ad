/** HTTP statuses named one by one; anything else is reported by class (4xx, 5xx) to keep the label set small. */
const NAMED_STATUSES = new Set([200, 400, 401, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504]);

/** The status label of a response: the code when it is a common one, its class otherwise, "none" without a response. */
export function statusLabel(status: number | null): string {
  if (status === null || !Number.isInteger(status) || status < 100 || status > 599) return 'none';
  return NAMED_STATUSES.has(status) ? String(status) : `${Math.floor(status / 100)}xx`;
}
