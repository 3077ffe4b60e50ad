import type { XmlElement, XmlNode } from './xmlElement.ts';

const XML_SPACE_RUN = /[ \t\r\n]+/g;
const ONLY_XML_SPACE = /^[ \t\r\n]*$/;
/**
 * Most texts are already clean; testing first avoids rebuilding them. Short texts (dates, codes, names) are
 * checked in one pass; long ones with native single-pattern scans.
 */
function needsNormalizing(text: string): boolean {
  const n = text.length;
  if (n === 0) return false;
  if (text.charCodeAt(0) === 0x20 || text.charCodeAt(n - 1) === 0x20) return true;
  if (n < 64) {
    let previousSpace = false;
    for (let k = 0; k < n; k++) {
      const c = text.charCodeAt(k);
      if (c === 0x20) {
        if (previousSpace) return true;
        previousSpace = true;
      } else if (c === 0x0a || c === 0x0d || c === 0x09) {
        return true;
      } else {
        previousSpace = false;
      }
    }
    return false;
  }
  return text.indexOf('\n') !== -1 || text.indexOf('  ') !== -1 || text.indexOf('\t') !== -1 || text.indexOf('\r') !== -1;
}

function isMathMl(name: string): boolean {
  return name.startsWith('mml:') || name === 'math';
}

/**
 * Appends the texts under `root` in document order. A walk with an explicit stack, not recursion: how deep
 * a record nests is bounded by the parser's limits, never by the JS engine's call stack.
 */
function collect(root: XmlElement, rootInMath: boolean, parts: string[]): void {
  const elements: XmlElement[] = [root];
  const nextChild: number[] = [0];
  const inMaths: boolean[] = [rootInMath];
  while (elements.length > 0) {
    const top = elements.length - 1;
    const element = elements[top] as XmlElement;
    const index = nextChild[top] as number;
    if (index >= element.children.length) {
      elements.pop();
      nextChild.pop();
      inMaths.pop();
      continue;
    }
    nextChild[top] = index + 1;
    const child = element.children[index] as XmlNode;
    const inMath = inMaths[top] as boolean;
    if (typeof child === 'string') {
      // MathML is pretty-printed in PubMed files; blanks between its elements are layout, not content.
      if (!inMath || !ONLY_XML_SPACE.test(child)) parts.push(inMath ? child.trim() : child);
    } else {
      elements.push(child);
      nextChild.push(0);
      inMaths.push(inMath || isMathMl(child.name));
    }
  }
}

/**
 * The text of an element with inline markup (<i>, <sup>, <sub>, MathML...) flattened away, keeping every
 * character, with XML blanks collapsed to single spaces and trimmed; non-ASCII spaces are kept as written.
 *
 * @example inlineText(parseXmlElement('<T>CO<sub>2</sub>\n level</T>')) // 'CO2 level'
 */
export function inlineText(element: XmlElement | null): string {
  if (element === null) return '';
  const children = element.children;
  let raw: string;
  if (children.length === 1 && typeof children[0] === 'string' && !isMathMl(element.name)) {
    raw = children[0];
  } else {
    const parts: string[] = [];
    collect(element, isMathMl(element.name), parts);
    raw = parts.join('');
  }
  return needsNormalizing(raw) ? raw.replace(XML_SPACE_RUN, ' ').trim() : raw;
}
