/**
 * The little XML the Job Dispatcher protocol needs, written by hand: elements holding
 * text or other elements, no attributes (so quotes need no escaping). Text is escaped, and characters XML 1.0 cannot
 * hold at all (most control characters, lone surrogates, U+FFFE/U+FFFF) are dropped, so
 * any job's file names, labels or messages give a well-formed document.
 */

/** Markup already built by `el`: inserted as it is, never escaped again. */
export interface Xml {
  readonly xml: string;
}

// Everything outside XML 1.0's Char production (with `u`, a lone surrogate is one code point).
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** `text` safe as the content of an XML element. */
export function xmlText(text: string): string {
  return text.replace(NOT_XML, '').replace(/[&<>]/g, (ch) => ENTITIES[ch]!);
}

/** The element `<name>…</name>`; string children are text (escaped), the others markup. */
export function el(name: string, ...children: (string | Xml)[]): Xml {
  return {
    xml: `<${name}>${children.map((c) => (typeof c === 'string' ? xmlText(c) : c.xml)).join('')}</${name}>`,
  };
}

/** A whole document: the declaration, then `root`. */
export function xmlDocument(root: Xml): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${root.xml}\n`;
}

/** The media type of every XML answer. */
export const XML_TYPE = 'application/xml; charset=utf-8';

/** The protocol's error document: `<error><description>message</description></error>`. */
export function xmlError(message: string): string {
  return xmlDocument(el('error', el('description', message)));
}
