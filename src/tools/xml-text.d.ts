/** An element's text with its entities and character references decoded, each once (see xml-text.js). */
export function decodeXmlText(text: string): string;
