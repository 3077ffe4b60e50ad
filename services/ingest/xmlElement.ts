import { XmlLimitError, XmlSyntaxError } from '../errors/medistillErrors.ts';

/** An element of a parsed record: name, attributes and children (elements and text, in document order). */
export interface XmlElement {
  name: string;
  /** Attributes as [name, value, name, value...] in document order; read them with `attribute()`. */
  attributes: readonly string[];
  children: XmlNode[];
  /** Offset of the element's `<` in the parsed text, for messages. */
  start: number;
}

/** A child of an element: a nested element or a run of decoded text (a run of XML blanks alone is kept as one space). */
export type XmlNode = XmlElement | string;

const NO_ATTRIBUTES: readonly string[] = Object.freeze([]);

const GT = 0x3e; // >
const SLASH = 0x2f;
const BANG = 0x21;
const QUESTION = 0x3f;
const EQUALS = 0x3d;
const QUOT = 0x22;
const APOS = 0x27;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

/** ASCII name characters: 2 may start a name, 1 may only follow; non-ASCII characters are all accepted. */
const NAME_CHARS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a;
  const other = (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e;
  NAME_CHARS[c] = letter ? 2 : other ? 1 : 0;
}

function isNameStart(c: number): boolean {
  return c >= 0x80 || NAME_CHARS[c] === 2;
}

function isNameChar(c: number): boolean {
  return c >= 0x80 || NAME_CHARS[c] !== 0;
}

/** Where the parsed text starts in its input, so that errors name the input's line and column. */
export interface TextOrigin {
  line: number;
  column: number;
}

const START: TextOrigin = { line: 1, column: 1 };

/** Line and column (1-based, in UTF-16 code units) of `index` in `text`, shifted by the text's origin; computed only for messages. */
export function lineColumnAt(text: string, index: number, origin: TextOrigin = START): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  let nl = text.indexOf('\n');
  while (nl !== -1 && nl < index) {
    line++;
    lineStart = nl + 1;
    nl = text.indexOf('\n', lineStart);
  }
  const column = index - lineStart + 1;
  return line === 1 ? { line: origin.line, column: origin.column + column - 1 } : { line: origin.line + line - 1, column };
}

/**
 * Explicit bounds on one parsed text, so that no input shape exhausts the stack, memory or time: the tree is
 * built and walked without recursion, and these stop what a record could still make expensive (a 16 MiB
 * record of `<i>` tags is four million elements). Real PubMed records stay far below them: nesting about 10
 * (30 with MathML), a few thousand elements once author and reference lists are skipped, five attributes.
 */
export interface XmlLimits {
  /** Deepest element nesting; the root is at depth 1. */
  maxDepth: number;
  /** Most elements in the tree (elements left out by `skip` are not counted). */
  maxElements: number;
  /** Most attributes on one element; also bounds the duplicate check, which compares every pair. */
  maxAttributes: number;
}

/** The bounds parseXmlElement applies when the caller gives none. */
export const DEFAULT_XML_LIMITS: Readonly<XmlLimits> = Object.freeze({ maxDepth: 256, maxElements: 200_000, maxAttributes: 64 });

/** The text being parsed and where it sits in its input. */
interface Source {
  text: string;
  origin: TextOrigin;
  limits: XmlLimits;
  // Results of readStartTag, kept here so the hot path allocates nothing for them.
  tagAttributes: string[] | null;
  tagSelfClosing: boolean;
}

function fail(src: Source, index: number, detail: string): never {
  const { line, column } = lineColumnAt(src.text, index, src.origin);
  throw new XmlSyntaxError(detail, { index, line, column });
}

function failLimit(src: Source, index: number, limit: XmlLimitError['limit'], detail: string): never {
  const { line, column } = lineColumnAt(src.text, index, src.origin);
  throw new XmlLimitError(limit, detail, { index, line, column });
}

function openedAt(src: Source, element: XmlElement): string {
  const at = lineColumnAt(src.text, element.start, src.origin);
  return `line ${at.line}, column ${at.column}`;
}

function describe(text: string, index: number): string {
  if (index >= text.length) return 'end of input';
  return JSON.stringify(text.slice(index, index + 12));
}

function readName(text: string, at: number): number {
  let j = at;
  const n = text.length;
  while (j < n && isNameChar(text.charCodeAt(j))) j++;
  return j;
}

/** Decodes the entities and character references of `raw`, a slice found at `base` in the parsed text. */
function decodeEntities(src: Source, raw: string, base: number): string {
  let out = '';
  let copied = 0;
  let amp = raw.indexOf('&');
  while (amp !== -1) {
    out += raw.slice(copied, amp);
    const semi = raw.indexOf(';', amp + 1);
    if (semi === -1 || semi - amp > 12) fail(src, base + amp, "'&' not followed by an entity reference ending in ';' (write &amp;)");
    const name = raw.slice(amp + 1, semi);
    switch (name) {
      case 'amp': out += '&'; break;
      case 'lt': out += '<'; break;
      case 'gt': out += '>'; break;
      case 'quot': out += '"'; break;
      case 'apos': out += "'"; break;
      default: {
        let code = NaN;
        if (/^#[0-9]+$/.test(name)) code = Number.parseInt(name.slice(1), 10);
        else if (/^#x[0-9a-fA-F]+$/.test(name)) code = Number.parseInt(name.slice(2), 16);
        else fail(src, base + amp, `unknown entity &${name};`);
        const valid = code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) && code !== 0xfffe && code !== 0xffff);
        if (!valid) fail(src, base + amp, `character reference &${name}; is not a valid XML character`);
        out += String.fromCodePoint(code);
      }
    }
    copied = semi + 1;
    amp = raw.indexOf('&', copied);
  }
  return out + raw.slice(copied);
}

/** Options of parseXmlElement. */
export interface ParseXmlOptions {
  /** Where the text starts in its input, so that errors name the input's line and column. Default 1:1. */
  origin?: TextOrigin;
  /**
   * Elements to leave out of the tree, with everything inside them. Their start tag is checked, then the
   * parser jumps to their closing tag without reading the content: the parts a caller never reads cost
   * one search instead of a parse (malformed markup inside them goes unnoticed, by design).
   */
  skip?: ReadonlySet<string>;
  /** Bounds on depth, element count and attributes; a text past one throws XmlLimitError. Default DEFAULT_XML_LIMITS. */
  limits?: Partial<XmlLimits>;
}

/**
 * Reads the attributes of the start tag at `lt` whose name ends at `nameEnd`; returns the index after its '>'.
 * Attributes are collected only with `build`.
 */
function readStartTag(src: Source, lt: number, nameEnd: number, build: boolean): number {
  const text = src.text;
  const n = text.length;
  let j = nameEnd;
  let attributes: string[] | null = null;
  let ltInValue = lt;
  for (;;) {
    const before = j;
    while (j < n && isSpace(text.charCodeAt(j))) j++;
    if (j >= n) fail(src, lt, `unterminated start tag <${text.slice(lt + 1, nameEnd)}>`);
    const d = text.charCodeAt(j);
    if (d === GT) {
      src.tagSelfClosing = false;
      j++;
      break;
    }
    if (d === SLASH) {
      if (text.charCodeAt(j + 1) !== GT) fail(src, j, `expected '/>' in tag <${text.slice(lt + 1, nameEnd)}>`);
      src.tagSelfClosing = true;
      j += 2;
      break;
    }
    if (j === before || !isNameStart(d)) fail(src, j, `unexpected ${describe(text, j)} in tag <${text.slice(lt + 1, nameEnd)}>`);
    const attrStart = j;
    const attrEnd = readName(text, j);
    j = attrEnd;
    while (j < n && isSpace(text.charCodeAt(j))) j++;
    if (text.charCodeAt(j) !== EQUALS) fail(src, j, `attribute ${text.slice(attrStart, attrEnd)} of <${text.slice(lt + 1, nameEnd)}> has no '=value'`);
    j++;
    while (j < n && isSpace(text.charCodeAt(j))) j++;
    const q = text.charCodeAt(j);
    if (q !== QUOT && q !== APOS) fail(src, j, `value of attribute ${text.slice(attrStart, attrEnd)} of <${text.slice(lt + 1, nameEnd)}> is not quoted`);
    const close = text.indexOf(q === QUOT ? '"' : "'", j + 1);
    if (close === -1) fail(src, j, `unterminated value of attribute ${text.slice(attrStart, attrEnd)} of <${text.slice(lt + 1, nameEnd)}>`);
    // The next '<' is normally the next tag, just after this one: indexOf stays short. It is searched again
    // only once passed, so a tag with very many attributes is still read in one pass.
    if (ltInValue !== -1 && ltInValue <= j) ltInValue = text.indexOf('<', j + 1);
    if (ltInValue !== -1 && ltInValue < close) fail(src, ltInValue, `'<' in the value of attribute ${text.slice(attrStart, attrEnd)} of <${text.slice(lt + 1, nameEnd)}>`);
    const value = text.slice(j + 1, close);
    const hasEntity = value.indexOf('&') !== -1;
    if (build) {
      const attrName = text.slice(attrStart, attrEnd);
      if (attributes !== null && attributes.length >= src.limits.maxAttributes * 2) {
        failLimit(src, attrStart, 'attributes', `<${text.slice(lt + 1, nameEnd)}> has more than ${src.limits.maxAttributes} attributes`);
      }
      if (attributes === null) {
        attributes = [];
      } else {
        for (let k = 0; k < attributes.length; k += 2) {
          if (attributes[k] === attrName) fail(src, attrStart, `duplicate attribute ${attrName} in <${text.slice(lt + 1, nameEnd)}>`);
        }
      }
      attributes.push(attrName, hasEntity ? decodeEntities(src, value, j + 1) : value);
    } else if (hasEntity) {
      decodeEntities(src, value, j + 1);
    }
    j = close + 1;
  }
  src.tagAttributes = attributes;
  return j;
}

/**
 * Parses one XML record (a single root element, optionally surrounded by blanks, comments and
 * processing instructions) into an element tree; throws XmlSyntaxError on malformed input, with the line and
 * column counted from `options.origin` (where the text starts in its file).
 *
 * @example parseXmlElement('<PMID Version="2">123</PMID>') // { name: 'PMID', attributes: ['Version', '2'], children: ['123'], start: 0 }
 */
export function parseXmlElement(text: string, options: ParseXmlOptions = {}): XmlElement {
  const limits: XmlLimits = { ...DEFAULT_XML_LIMITS, ...options.limits };
  const src: Source = { text, origin: options.origin ?? START, limits, tagAttributes: null, tagSelfClosing: false };
  let elements = 0;
  const skip = options.skip ?? null;
  const skipKeys = skip === null ? null : skipKeysOf(skip);
  const n = text.length;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  let current: XmlElement | null = null;
  let i = 0;
  while (i < n) {
    const lt = text.indexOf('<', i);
    const textEnd = lt === -1 ? n : lt;
    if (textEnd > i) {
      if (current === null) {
        for (let k = i; k < textEnd; k++) {
          if (!isSpace(text.charCodeAt(k))) fail(src, k, root === null ? 'text before the root element' : 'text after the root element');
        }
      } else {
        let k = i;
        while (k < textEnd && isSpace(text.charCodeAt(k))) k++;
        if (k === textEnd) {
          // Layout between tags (pretty-printing): one shared space instead of a new string each time.
          current.children.push(' ');
        } else {
          const raw = text.slice(i, textEnd);
          current.children.push(raw.indexOf('&') === -1 ? raw : decodeEntities(src, raw, i));
        }
      }
    }
    if (lt === -1) break;
    const c = text.charCodeAt(lt + 1);
    if (c === SLASH) {
      // Fast path: the expected closing tag, written plainly.
      if (current !== null) {
        const closeEnd = lt + 2 + current.name.length;
        if (text.charCodeAt(closeEnd) === GT && text.startsWith(current.name, lt + 2)) {
          stack.pop();
          current = stack.length > 0 ? (stack[stack.length - 1] as XmlElement) : null;
          i = closeEnd + 1;
          continue;
        }
      }
      // Slow path: closing tags with blanks before '>', and errors.
      const nameEnd = readName(text, lt + 2);
      let j = nameEnd;
      while (j < n && isSpace(text.charCodeAt(j))) j++;
      if (nameEnd === lt + 2 || text.charCodeAt(j) !== GT) fail(src, lt, `malformed closing tag ${describe(text, lt)}`);
      if (current === null || nameEnd - lt - 2 !== current.name.length || !sameName(text, lt + 2, current.name)) {
        const name = text.slice(lt + 2, nameEnd);
        if (current === null) fail(src, lt, `closing tag </${name}> without a matching opening tag`);
        fail(src, lt, `closing tag </${name}> does not match <${current.name}> opened at ${openedAt(src, current)}`);
      }
      stack.pop();
      current = stack.length > 0 ? (stack[stack.length - 1] as XmlElement) : null;
      i = j + 1;
    } else if (c === BANG) {
      if (text.startsWith('!--', lt + 1)) {
        const end = text.indexOf('-->', lt + 4);
        if (end === -1) fail(src, lt, 'unterminated comment');
        i = end + 3;
      } else if (text.startsWith('![CDATA[', lt + 1)) {
        const end = text.indexOf(']]>', lt + 9);
        if (end === -1) fail(src, lt, 'unterminated CDATA section');
        if (current === null) fail(src, lt, 'CDATA section outside the root element');
        current.children.push(text.slice(lt + 9, end));
        i = end + 3;
      } else {
        fail(src, lt, `unexpected markup declaration ${describe(text, lt)} inside a record`);
      }
    } else if (c === QUESTION) {
      const end = text.indexOf('?>', lt + 2);
      if (end === -1) fail(src, lt, 'unterminated processing instruction');
      i = end + 2;
    } else {
      if (!isNameStart(c)) fail(src, lt, `'<' not followed by a tag name: ${describe(text, lt)} (write &lt; for a literal '<')`);
      if (current === null && root !== null) fail(src, lt, 'more than one root element');
      const nameEnd = readName(text, lt + 1);
      const name = text.slice(lt + 1, nameEnd);
      if (skipKeys !== null && current !== null && skipKeys[skipKey(text, lt + 1, nameEnd)] === 1 && (skip as ReadonlySet<string>).has(name)) {
        i = readStartTag(src, lt, nameEnd, false);
        if (!src.tagSelfClosing) i = skipToClose(src, lt, name, i);
        continue;
      }
      // Most tags have no attributes: no call needed.
      let attributes: readonly string[] = NO_ATTRIBUTES;
      let selfClosing = false;
      if (text.charCodeAt(nameEnd) === GT) {
        i = nameEnd + 1;
      } else {
        i = readStartTag(src, lt, nameEnd, true);
        attributes = src.tagAttributes ?? NO_ATTRIBUTES;
        selfClosing = src.tagSelfClosing;
      }
      if (++elements > limits.maxElements) failLimit(src, lt, 'elements', `more than ${limits.maxElements} elements in one record`);
      const element: XmlElement = { name, attributes, children: [], start: lt };
      if (current === null) root = element;
      else current.children.push(element);
      if (!selfClosing) {
        if (stack.length >= limits.maxDepth) failLimit(src, lt, 'depth', `elements nested deeper than ${limits.maxDepth} levels (at <${name}>)`);
        stack.push(element);
        current = element;
      }
    }
  }
  if (current !== null) {
    fail(src, n, `text ends before </${current.name}> (opened at ${openedAt(src, current)})`);
  }
  if (root === null) fail(src, n, 'no element found');
  return root;
}

/** Index just after the closing tag of the skipped element `name` opened at `lt`, its content unread. */
function skipToClose(src: Source, lt: number, name: string, from: number): number {
  const text = src.text;
  let at = from;
  for (;;) {
    const close = text.indexOf('</', at);
    if (close === -1) {
      const opened = lineColumnAt(text, lt, src.origin);
      fail(src, text.length, `text ends before </${name}> (opened at line ${opened.line}, column ${opened.column})`);
    }
    let j = close + 2 + name.length;
    if (sameName(text, close + 2, name) && !isNameChar(text.charCodeAt(j))) {
      while (j < text.length && isSpace(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) === GT) return j + 1;
    }
    at = close + 2;
  }
}

/** True when text at `at` spells `name`. */
function sameName(text: string, at: number, name: string): boolean {
  for (let k = 0; k < name.length; k++) if (text.charCodeAt(at + k) !== name.charCodeAt(k)) return false;
  return true;
}

/** A cheap pre-filter for skip-set lookups: first character and length of a name, as an index. */
function skipKey(text: string, start: number, end: number): number {
  return ((text.charCodeAt(start) & 0x7f) << 6) | Math.min(end - start, 63);
}

const skipKeyCache = new WeakMap<ReadonlySet<string>, Uint8Array>();

function skipKeysOf(skip: ReadonlySet<string>): Uint8Array {
  let keys = skipKeyCache.get(skip);
  if (keys === undefined) {
    keys = new Uint8Array(128 << 6);
    for (const name of skip) if (name.length > 0) keys[skipKey(name, 0, name.length)] = 1;
    skipKeyCache.set(skip, keys);
  }
  return keys;
}

/** The value of the attribute `name` of `element`, or undefined. */
export function attribute(element: XmlElement | null, name: string): string | undefined {
  if (element === null) return undefined;
  const attributes = element.attributes;
  for (let k = 0; k < attributes.length; k += 2) if (attributes[k] === name) return attributes[k + 1];
  return undefined;
}

/** The first child element named `name`, or null. */
export function childElement(parent: XmlElement | null, name: string): XmlElement | null {
  if (parent === null) return null;
  for (const child of parent.children) {
    if (typeof child !== 'string' && child.name === name) return child;
  }
  return null;
}

/** Every child element named `name`, in document order. */
export function childElements(parent: XmlElement | null, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  if (parent === null) return found;
  for (const child of parent.children) {
    if (typeof child !== 'string' && child.name === name) found.push(child);
  }
  return found;
}

/** The element reached by following child names from `parent` (first match at each step), or null. */
export function descend(parent: XmlElement | null, ...names: string[]): XmlElement | null {
  let node = parent;
  for (const name of names) node = childElement(node, name);
  return node;
}
