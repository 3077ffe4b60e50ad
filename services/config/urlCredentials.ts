/**
 * Credentials written into a URL (`https://user:password@host/`) never travel with the URL: a URL is
 * printed at start-up, quoted in error messages, dead letters and failure files, and fetch refuses to
 * send it anyway. Configuration moves them into the setting meant for them (registry basic auth) or
 * refuses the URL with a message that shows it redacted; text that leaves the process goes through
 * `redactUrlCredentials` as a last guard.
 */

/** A URL's credentials taken out of it. */
export interface UrlCredentials {
  /** The URL without user and password. */
  url: string;
  username: string | null;
  password: string | null;
}

/** Splits `user:password@` off an absolute URL; a URL that does not parse is returned unchanged, without credentials. */
export function splitUrlCredentials(url: string): UrlCredentials {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, username: null, password: null };
  }
  if (parsed.username === '' && parsed.password === '') return { url, username: null, password: null };
  const username = parsed.username === '' ? null : decodeURIComponent(parsed.username);
  const password = parsed.password === '' ? null : decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString(), username, password };
}

/** True when the URL carries a user name or password. */
export function hasUrlCredentials(url: string): boolean {
  return splitUrlCredentials(url).username !== null || splitUrlCredentials(url).password !== null;
}

// scheme://userinfo@ — userinfo is everything up to '@' that cannot be part of a host or path.
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]+@/gi;

/**
 * The text with the userinfo of every URL in it replaced by `***`, e.g. for an error message that quotes a
 * URL: `http://user:pw@host/v1` → `http://***@host/v1`.
 */
export function redactUrlCredentials(text: string): string {
  return text.indexOf('@') === -1 ? text : text.replace(USERINFO, '$1***@');
}
