import { createHash } from 'node:crypto';

/** A message attribute as SQS keeps it, binary values in base64 (the JSON protocol's form). */
export interface SqsMessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

export function md5Hex(data: string | Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

function lengthPrefixed(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/**
 * The MD5 of message attributes as SQS documents it: for each attribute in name order, the name, the data type and
 * the value, each prefixed by its 4-byte big-endian length, the value preceded by a transport type byte (1 for
 * String and Number, 2 for Binary). Undefined when there are no attributes, as SQS omits it then.
 */
export function md5OfMessageAttributes(attributes: Record<string, SqsMessageAttribute>): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  for (const name of names) {
    const attribute = attributes[name] as SqsMessageAttribute;
    parts.push(lengthPrefixed(Buffer.from(name, 'utf8')), lengthPrefixed(Buffer.from(attribute.DataType, 'utf8')));
    if (attribute.DataType.startsWith('Binary')) {
      parts.push(Buffer.from([2]), lengthPrefixed(Buffer.from(attribute.BinaryValue ?? '', 'base64')));
    } else {
      parts.push(Buffer.from([1]), lengthPrefixed(Buffer.from(attribute.StringValue ?? '', 'utf8')));
    }
  }
  return md5Hex(Buffer.concat(parts));
}
