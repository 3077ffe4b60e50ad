/** What a secret is replaced with in anything printed. */
export const REDACTED = '<redacted>';

/**
 * The text with every occurrence of `secret` replaced by "<redacted>", and any `api_key=` query value too
 * (NCBI echoes the key in some error bodies, and URLs carry it), so that errors and logs never show it.
 *
 * @example redactSecret('https://x/esearch.fcgi?db=pubmed&api_key=abc123', 'abc123') // '...&api_key=<redacted>'
 */
export function redactSecret(text: string, secret: string | undefined): string {
  let out = text;
  if (secret !== undefined && secret.length > 0) out = out.split(secret).join(REDACTED);
  const encoded = secret === undefined ? '' : encodeURIComponent(secret);
  if (encoded.length > 0 && encoded !== secret) out = out.split(encoded).join(REDACTED);
  return out.replace(/([?&]api_key=)[^&#\s"']*/gi, `$1${REDACTED}`);
}
