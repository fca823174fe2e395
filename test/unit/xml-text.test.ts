import { describe, expect, it } from 'vitest';
import { decodeXmlText } from '../../src/tools/xml-text.js';

describe('decodeXmlText', () => {
  it('decodes the five entities and numeric references, each once', () => {
    expect(decodeXmlText('a&lt;b&gt;c&amp;d&quot;e&apos;f')).toBe('a<b>c&d"e\'f');
    expect(decodeXmlText('&#9;&#xA;&#x1F600;')).toBe('\t\n\u{1F600}');
    // Text that reads as an entity once decoded stays as it is: `&amp;lt;` is the text `&lt;`.
    expect(decodeXmlText('x&amp;lt;y&amp;amp;z')).toBe('x&lt;y&amp;z');
  });

  it('leaves text without references, and unknown names, as they are', () => {
    expect(decodeXmlText('plain text')).toBe('plain text');
    expect(decodeXmlText('&nbsp; & alone')).toBe('&nbsp; & alone');
  });
});
