/**
 * XML text as S3 writes it: the five entities it escapes and numeric character references. Plain
 * JavaScript, so the listing thread (listing-answers.js) loads it without the TypeScript loader;
 * the local S3 bridge reads its answers with it too.
 */

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const ENTITY = /&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g;

/** An element's text with its entities and character references decoded, each once. */
export function decodeXmlText(text) {
  if (!text.includes('&')) return text;
  return text.replace(ENTITY, (_, name) => {
    if (name[0] !== '#') return ENTITIES[name];
    return String.fromCodePoint(name[1] === 'x' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1)));
  });
}
