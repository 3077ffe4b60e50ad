import { describe, expect, it } from 'vitest';
import { XmlLimitError, XmlSyntaxError } from '../../../services/errors/medistillErrors.ts';
import { inlineText } from '../../../services/ingest/inlineText.ts';
import { attribute, childElement, childElements, DEFAULT_XML_LIMITS, descend, parseXmlElement } from '../../../services/ingest/xmlElement.ts';

function syntaxError(text: string, origin?: { line: number; column: number }): XmlSyntaxError {
  try {
    parseXmlElement(text, { origin });
  } catch (error) {
    if (error instanceof XmlSyntaxError) return error;
    throw error;
  }
  throw new Error(`expected a syntax error for ${text}`);
}

describe('parseXmlElement', () => {
  it('builds the tree with attributes, nested elements and text in document order', () => {
    const root = parseXmlElement('<A x="1" y=\'two\'><B>one</B>mid<C/><B>three</B></A>');
    expect(root.name).toBe('A');
    expect(root.attributes).toEqual(['x', '1', 'y', 'two']);
    expect([attribute(root, 'y'), attribute(root, 'z')]).toEqual(['two', undefined]);
    expect(root.children.map((c) => (typeof c === 'string' ? c : c.name))).toEqual(['B', 'mid', 'C', 'B']);
    expect(childElements(root, 'B').map((b) => inlineText(b))).toEqual(['one', 'three']);
    expect(childElement(root, 'C')?.children).toEqual([]);
    expect(childElement(root, 'D')).toBeNull();
  });

  it('decodes the predefined entities and decimal and hex character references in text and attributes', () => {
    const root = parseXmlElement('<T a="&quot;q&quot; &amp; &#x3bc;">&lt;5 &amp; &gt;2 &apos;x&apos; &#8211; &#x1F600;</T>');
    expect(attribute(root, 'a')).toBe('"q" & μ');
    expect(root.children.join('')).toBe("<5 & >2 'x' – 😀");
  });

  it('keeps CDATA content literally and skips comments and processing instructions', () => {
    const root = parseXmlElement('<?pi x?><!-- lead --><T>a<![CDATA[<b>&amp;</b>]]><!-- mid -->c<?pi y?></T><!-- tail -->');
    expect(root.children.join('')).toBe('a<b>&amp;</b>c');
  });

  it('reports a mismatched closing tag with its line, column and where the open tag was', () => {
    const error = syntaxError('<A>\n  <B>text</C>\n</A>');
    expect(error.line).toBe(2);
    expect(error.column).toBe(10);
    expect(error.detail).toContain('closing tag </C> does not match <B> opened at line 2, column 3');
  });

  it('counts lines and columns from the origin so messages name the file position', () => {
    const error = syntaxError('<A>\n<B></A>', { line: 40, column: 7 });
    expect(error.line).toBe(41);
    expect(error.column).toBe(4);
    const sameLine = syntaxError('<A><B></A>', { line: 40, column: 7 });
    expect([sameLine.line, sameLine.column]).toEqual([40, 13]);
  });

  it('leaves skipped elements out of the tree, content unread, and goes on after their closing tag', () => {
    const skip = new Set(['AuthorList']);
    const root = parseXmlElement('<A><AuthorList n="1"><Author>&bogus; <x></AuthorList ><B>kept</B><AuthorList/></A>', { skip });
    expect(root.children.map((c) => (typeof c === 'string' ? c : c.name))).toEqual(['B']);
    expect(inlineText(childElement(root, 'B'))).toBe('kept');
  });

  it('still requires the closing tag of a skipped element and a well-formed start tag', () => {
    const skip = new Set(['AuthorList']);
    expect(() => parseXmlElement('<A>\n<AuthorList><Author>x</Author></A>', { skip })).toThrow(/text ends before <\/AuthorList> \(opened at line 2, column 1\)/);
    expect(() => parseXmlElement('<A><AuthorList n=1></AuthorList></A>', { skip })).toThrow(/is not quoted/);
  });

  it.each([
    ['<A>text', 'text ends before </A>'],
    ['<A>&nbsp;</A>', 'unknown entity &nbsp;'],
    ['<A>fish & chips</A>', "'&' not followed by an entity reference"],
    ['<A>&#xD800;</A>', 'not a valid XML character'],
    ['<A b=1></A>', 'is not quoted'],
    ['<A b="1" b="2"></A>', 'duplicate attribute b'],
    ['<A b="<"></A>', "'<' in the value of attribute b"],
    ['<A>1 < 2</A>', "'<' not followed by a tag name"],
    ['<A></A><B></B>', 'more than one root element'],
    ['junk<A></A>', 'text before the root element'],
    ['<A><!-- open</A>', 'unterminated comment'],
    ['<A><![CDATA[x</A>', 'unterminated CDATA section'],
    ['</A>', 'without a matching opening tag'],
    ['<A><!DOCTYPE x></A>', 'unexpected markup declaration'],
    ['', 'no element found'],
  ])('rejects %j with a message saying %j', (text, expected) => {
    expect(syntaxError(text).detail).toContain(expected);
  });
});

describe('inlineText', () => {
  it('flattens inline markup keeping its characters and collapses XML blanks', () => {
    const root = parseXmlElement('<T>\n  CO<sub>2</sub> and <i>E. coli</i>\tat 10<sup>-3</sup>  M\n</T>');
    expect(inlineText(root)).toBe('CO2 and E. coli at 10-3 M');
  });

  it('drops the layout blanks of pretty-printed MathML but keeps the blanks around it', () => {
    const root = parseXmlElement(
      '<T>rate <mml:math xmlns:mml="http://www.w3.org/1998/Math/MathML">\n  <mml:msub>\n    <mml:mi>k</mml:mi>\n    <mml:mn> 2 </mml:mn>\n  </mml:msub>\n</mml:math> rose</T>',
    );
    expect(inlineText(root)).toBe('rate k2 rose');
  });

  it('keeps non-breaking and thin spaces as written', () => {
    expect(inlineText(parseXmlElement('<T>5&#xa0;mg and 3&#x2009;h</T>'))).toBe('5\u00a0mg and 3\u2009h');
  });

  it('follows a path of child names with descend', () => {
    const root = parseXmlElement('<A><B><C>deep</C></B></A>');
    expect(inlineText(descend(root, 'B', 'C'))).toBe('deep');
    expect(descend(root, 'B', 'X', 'C')).toBeNull();
  });
});

describe('parseXmlElement limits', () => {
  function limitError(run: () => unknown): XmlLimitError {
    try {
      run();
    } catch (error) {
      if (error instanceof XmlLimitError) return error;
      throw error;
    }
    throw new Error('no XmlLimitError thrown');
  }

  it('refuses nesting past maxDepth with the position of the element that goes too deep', () => {
    const text = `<T>\n${'<i>'.repeat(5)}x${'</i>'.repeat(5)}</T>`;
    expect(parseXmlElement(text, { limits: { maxDepth: 6 } }).name).toBe('T');
    const error = limitError(() => parseXmlElement(text, { limits: { maxDepth: 5 } }));
    expect(error.limit).toBe('depth');
    expect(error.message).toBe('elements nested deeper than 5 levels (at <i>) (line 2, column 13)');
    expect(error.index).toBe(text.indexOf('<i>') + 4 * 3);
  });

  it('refuses more elements than maxElements, leaving skipped elements uncounted', () => {
    const text = `<T><AuthorList>${'<Author/>'.repeat(50)}</AuthorList>${'<b/>'.repeat(9)}</T>`;
    expect(parseXmlElement(text, { skip: new Set(['AuthorList']), limits: { maxElements: 10 } }).children).toHaveLength(9);
    expect(limitError(() => parseXmlElement(text, { limits: { maxElements: 10 } })).limit).toBe('elements');
  });

  it('refuses more attributes than maxAttributes on one element, before comparing them pairwise', () => {
    const attributes = (n: number): string => Array.from({ length: n }, (_v, k) => ` a${k}="${k}"`).join('');
    expect(parseXmlElement(`<T${attributes(4)}/>`, { limits: { maxAttributes: 4 } }).attributes).toHaveLength(8);
    const error = limitError(() => parseXmlElement(`<T${attributes(5)}/>`, { limits: { maxAttributes: 4 } }));
    expect(error.limit).toBe('attributes');
    expect(error.detail).toBe('<T> has more than 4 attributes');
    // 100,000 attributes are refused at the 65th under the defaults: no quadratic duplicate check.
    const started = performance.now();
    expect(limitError(() => parseXmlElement(`<T${attributes(100_000)}/>`)).limit).toBe('attributes');
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('reads a skipped start tag with 100,000 attributes in one pass', () => {
    const text = `<T><AuthorList${Array.from({ length: 100_000 }, (_v, k) => ` a${k}="${k}"`).join('')}></AuthorList><b>ok</b></T>`;
    const started = performance.now();
    expect(inlineText(parseXmlElement(text, { skip: new Set(['AuthorList']) }))).toBe('ok');
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('has defaults far above real PubMed records', () => {
    expect(DEFAULT_XML_LIMITS).toEqual({ maxDepth: 256, maxElements: 200_000, maxAttributes: 64 });
  });
});

describe('inlineText without recursion', () => {
  it('flattens 100,000 nested inline elements (limits raised) without exhausting the call stack', () => {
    const depth = 100_000;
    const root = parseXmlElement(`<T>a ${'<i>'.repeat(depth)}b${'</i>'.repeat(depth)} <mml:math><mml:mi> c </mml:mi>\n</mml:math></T>`, { limits: { maxDepth: depth + 10, maxElements: depth + 10 } });
    expect(inlineText(root)).toBe('a b c');
  });
});
