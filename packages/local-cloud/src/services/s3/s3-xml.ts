import { XMLParser } from 'fast-xml-parser';
import { S3Error } from './s3-errors';

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** A node of an XML document to write: an element with text, or with child elements. */
export type XmlNode = { [name: string]: XmlValue };
export type XmlValue = string | number | boolean | XmlNode | XmlNode[] | undefined;

/**
 * Escapes text for XML. Carriage returns, line feeds and tabs are written as character references so that keys
 * holding them survive XML parsers that normalise whitespace; other control characters, which XML 1.0 cannot carry,
 * are written as references too, as S3 does.
 */
export function escapeXml(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must be escaped
  return text.replace(/[&<>"'\u0000-\u001f\u007f\u0085\u2028]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      default:
        return `&#x${(c.codePointAt(0) as number).toString(16).toUpperCase()};`;
    }
  });
}

function writeValue(name: string, value: XmlValue): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.map((item) => writeValue(name, item)).join('');
  if (typeof value === 'object') return `<${name}>${writeChildren(value)}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

function writeChildren(node: XmlNode): string {
  return Object.entries(node)
    .map(([name, value]) => writeValue(name, value))
    .join('');
}

/** An XML document with one root element in the S3 namespace; `undefined` members are left out. */
export function xmlDocument(root: string, content: XmlNode, namespace: string | undefined = S3_XMLNS): string {
  const attribute = namespace ? ` xmlns="${namespace}"` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${attribute}>${writeChildren(content)}</${root}>`;
}

// Keys keep their exact text: no trimming, no number parsing, entities and character references decoded.
const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
  removeNSPrefix: true,
  isArray: (name) => name === 'Object',
});

/** Parses a request body; a body that is not XML is S3's MalformedXML. */
export function parseXml(body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8');
  if (!text.trim()) return {};
  try {
    return parser.parse(text, true) as Record<string, unknown>;
  } catch {
    throw new S3Error(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema',
    );
  }
}
