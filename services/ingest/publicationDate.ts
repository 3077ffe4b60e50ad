import type { PublicationDate } from '../model/pubmedRecord.ts';
import { inlineText } from './inlineText.ts';
import { childElement, type XmlElement } from './xmlElement.ts';

const MONTHS: Readonly<Record<string, number>> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};

/** An empty date, for records that give none. */
export const NO_DATE: PublicationDate = Object.freeze({ year: null, month: null, day: null, raw: '' }) as PublicationDate;

/** Month number from a name ("Dec", "December", "Sept") or a number ("1", "01"); null when it is neither. */
export function monthNumber(text: string): number | null {
  const t = text.trim();
  if (/^\d{1,2}$/.test(t)) {
    const m = Number(t);
    return m >= 1 && m <= 12 ? m : null;
  }
  if (!/^[A-Za-z]{3,}\.?$/.test(t)) return null;
  const key = t.slice(0, 3).toLowerCase();
  const m = MONTHS[key];
  // Full names must really be the month ("Mayo" or "Marks" are not).
  if (m === undefined) return null;
  const word = t.replace(/\.$/, '').toLowerCase();
  const full = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'][m - 1] as string;
  return full.startsWith(word) ? m : null;
}

function yearNumber(text: string): number | null {
  return /^\d{4}$/.test(text) ? Number(text) : null;
}

function dayNumber(text: string): number | null {
  if (!/^\d{1,2}$/.test(text)) return null;
  const d = Number(text);
  return d >= 1 && d <= 31 ? d : null;
}

/**
 * Reads a MedlineDate, the free-form date NLM uses when a single date does not fit:
 * "1998 Dec-1999 Jan" gives 1998-12, "2000 Spring" gives 2000 with no month, "2001 Nov 15-28" gives 2001-11-15.
 */
export function parseMedlineDate(raw: string): PublicationDate {
  const text = raw.replace(/[ \t\r\n]+/g, ' ').trim();
  const year = /(?:^|[^\d])(\d{4})(?![\d])/.exec(text);
  if (year === null) return { year: null, month: null, day: null, raw: text };
  // Month and day are only trusted when they directly follow the first year.
  const after = text.slice((year.index ?? 0) + year[0].length);
  const parts = /^ ([A-Za-z]+\.?)(?: (\d{1,2})(?![\d]))?/.exec(after);
  const month = parts?.[1] !== undefined ? monthNumber(parts[1]) : null;
  const day = month !== null && parts?.[2] !== undefined ? dayNumber(parts[2]) : null;
  return { year: Number(year[1]), month, day, raw: text };
}

/** Reads a PubDate, ArticleDate or similar element (Year, Month, Day, Season or MedlineDate children). */
export function parseDateElement(element: XmlElement | null): PublicationDate {
  if (element === null) return NO_DATE;
  const medline = childElement(element, 'MedlineDate');
  if (medline !== null) return parseMedlineDate(inlineText(medline));
  const yearText = inlineText(childElement(element, 'Year'));
  const monthText = inlineText(childElement(element, 'Month'));
  const dayText = inlineText(childElement(element, 'Day'));
  const seasonText = inlineText(childElement(element, 'Season'));
  const raw = [yearText, monthText || seasonText, dayText].filter((p) => p.length > 0).join(' ');
  const year = yearNumber(yearText);
  // Month and Season sometimes hold a range ("Jan-Feb"); its first month is the publication month.
  const monthToken = /^(?:[A-Za-z]+\.?|\d{1,2})(?![A-Za-z\d])/.exec(monthText || seasonText)?.[0];
  const month = year !== null && monthToken !== undefined ? monthNumber(monthToken) : null;
  const day = month !== null && dayText ? dayNumber(dayText) : null;
  return { year, month, day, raw };
}
