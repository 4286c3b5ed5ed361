import { isRecord, type SqlValue, WholeDecimal } from './values';

/** A payload read for a rule: its JSON object (when it is one) and the value of `*`. */
export interface ParsedPayload {
  /** The payload's JSON object, or `undefined` for any other payload (attributes are then Undefined). */
  readonly root: SqlValue;
  /** `*`: the JSON object, or the payload's bytes when it is not a JSON object. */
  readonly star: SqlValue;
}

/** A number written with a fraction or an exponent whose value may be whole, such as `10.0` or `1e3`. */
const MAYBE_WHOLE_DECIMAL = /\d(?:\.0+(?![0-9])|\.\d*[eE]|[eE])/;

function startsLikeObject(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 123) return true;
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 0xfeff) return false;
  }
  return false;
}

function bytesOf(payload: Uint8Array | string): Uint8Array {
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
}

/**
 * Reads a payload as AWS IoT does: a JSON object is addressable; anything else (other JSON values included)
 * is a binary payload whose `*` is its bytes. Under SQL 2015-10-08 whole decimals such as `10.0` keep their type.
 */
export function parsePayload(payload: Uint8Array | string, v1: boolean): ParsedPayload {
  let text: string;
  if (typeof payload === 'string') {
    text = payload;
  } else {
    // Only a payload that begins with '{' (after white space) can be a JSON object: avoid decoding the rest.
    let i = 0;
    while (i < payload.length && (payload[i] === 32 || payload[i] === 9 || payload[i] === 10 || payload[i] === 13)) i++;
    // 0xef starts a UTF-8 byte order mark.
    if (payload[i] !== 123 && payload[i] !== 0xef) return { root: undefined, star: payload };
    text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
  }
  if (!startsLikeObject(text)) return { root: undefined, star: bytesOf(payload) };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { root: undefined, star: bytesOf(payload) };
  }
  if (!isRecord(value)) return { root: undefined, star: bytesOf(payload) };
  if (v1 && MAYBE_WHOLE_DECIMAL.test(text)) value = parseJsonKeepingDecimals(text);
  return { root: value as SqlValue, star: value as SqlValue };
}

/**
 * Parses JSON text that is known to be valid, turning numbers written with a fraction or exponent whose
 * value is whole into {@link WholeDecimal}.
 */
export function parseJsonKeepingDecimals(text: string): SqlValue {
  let i = 0;
  const skip = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 0xfeff) i++;
      else return;
    }
  };
  const readString = (): string => {
    const start = i;
    i++;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 92) i += 2;
      else if (c === 34) break;
      else i++;
    }
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const readValue = (): SqlValue => {
    skip();
    const c = text[i];
    if (c === '{') {
      i++;
      const o: Record<string, SqlValue> = {};
      skip();
      if (text[i] === '}') {
        i++;
        return o;
      }
      for (;;) {
        skip();
        const key = readString();
        skip();
        i++; // ':'
        const v = readValue();
        if (key === '__proto__') {
          Object.defineProperty(o, key, { value: v, enumerable: true, writable: true, configurable: true });
        } else {
          o[key] = v;
        }
        skip();
        if (text[i++] === '}') return o;
      }
    }
    if (c === '[') {
      i++;
      const a: SqlValue[] = [];
      skip();
      if (text[i] === ']') {
        i++;
        return a;
      }
      for (;;) {
        a.push(readValue());
        skip();
        if (text[i++] === ']') return a;
      }
    }
    if (c === '"') return readString();
    if (c === 't') {
      i += 4;
      return true;
    }
    if (c === 'f') {
      i += 5;
      return false;
    }
    if (c === 'n') {
      i += 4;
      return null;
    }
    const start = i;
    let decimal = false;
    for (;;) {
      const ch = text[i];
      if (ch === '.' || ch === 'e' || ch === 'E') decimal = true;
      else if (!(ch === '-' || ch === '+' || (ch !== undefined && ch >= '0' && ch <= '9'))) break;
      i++;
    }
    const n = Number(text.slice(start, i));
    return decimal && Number.isInteger(n) ? new WholeDecimal(n) : n;
  };
  return readValue();
}
