/**
 * The value model of AWS IoT SQL in JavaScript.
 *
 * - Undefined is `undefined`, Null is `null`, Boolean/String are JS primitives.
 * - Int and Decimal are JS numbers: an integral number is an Int, any other number a Decimal.
 * - A Decimal whose value happens to be whole (such as `10.0` under SQL 2015-10-08) is a {@link WholeDecimal},
 *   so that it keeps its type and prints as `10.0`. SQL 2016-03-23 never creates one: there whole decimals
 *   are processed as Int, as AWS documents.
 * - Arrays and Objects are plain JS arrays and objects; a non-JSON payload selected with `*` is a Uint8Array.
 */

/** A value of the AWS IoT SQL language, as produced by evaluating a rule. `undefined` is Undefined. */
export type SqlValue =
  | undefined
  | null
  | boolean
  | number
  | string
  | WholeDecimal
  | Uint8Array
  | SqlValue[]
  | { [key: string]: SqlValue };

/**
 * A Decimal whose value is a whole number, such as `10.0`, under SQL version 2015-10-08.
 * `JSON.stringify` writes it as a plain number; {@link toJson} and {@link serializeOutput} write `10.0`.
 */
export class WholeDecimal {
  readonly #value: number;
  constructor(value: number) {
    this.#value = value;
  }
  /** The numeric value. */
  valueOf(): number {
    return this.#value;
  }
  toJSON(): number {
    return this.#value;
  }
  toString(): string {
    return wholeDecimalText(this.#value);
  }
}

function wholeDecimalText(n: number): string {
  const s = String(n).replace('e', 'E');
  return s.includes('E') || s.includes('.') ? s : `${s}.0`;
}

/** Is this value an Object (a JSON object, not an array, binary payload or whole decimal)? */
export function isRecord(v: unknown): v is { [key: string]: SqlValue } {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof WholeDecimal) &&
    !(v instanceof Uint8Array)
  );
}

/** Is this value an Int or a Decimal? */
export function isNumeric(v: unknown): v is number | WholeDecimal {
  return typeof v === 'number' || v instanceof WholeDecimal;
}

/** Is this value an Int (an integral JS number)? */
export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

const DECIMAL_STRING = /^-?\d+(\.\d+)?([eE]-?\d+)?$/;

/** Converts a value to a Decimal (as a JS number) by the documented conversions, or `undefined`. */
export function toDecimal(v: SqlValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return DECIMAL_STRING.test(v) ? Number(v) : undefined;
  if (v instanceof WholeDecimal) return v.valueOf();
  return undefined;
}

/** Like {@link toDecimal}, also telling whether the value was already an Int (so no decimal point). */
export function isDecimalTyped(v: SqlValue): boolean {
  return v instanceof WholeDecimal || typeof v === 'string' || (typeof v === 'number' && !Number.isInteger(v));
}

/** Converts to Int by truncating the decimal places (String, Decimal), or `undefined`. */
export function toIntTruncated(v: SqlValue): number | undefined {
  const d = toDecimal(v);
  return d === undefined || !Number.isFinite(d) ? undefined : Math.trunc(d);
}

/** The documented "to Boolean" conversion. */
export function toBoolean(v: SqlValue): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    if (v.length === 4 && v.toLowerCase() === 'true') return true;
    if (v.length === 5 && v.toLowerCase() === 'false') return false;
  }
  return undefined;
}

/** Text of a number: standard notation for an Int, shortest round-trip form (E notation when large) else. */
export function numberText(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) >= 1e21) return BigInt(n).toString();
  const s = String(n);
  return s.includes('e') ? s.replace('e', 'E') : s;
}

/** The documented "to String" conversion: Null and Undefined (and binary) give `undefined`. */
export function toSqlString(v: SqlValue): string | undefined {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return numberText(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      if (v === null || v instanceof Uint8Array) return undefined;
      if (v instanceof WholeDecimal) return v.toString();
      return toJson(v);
    default:
      return undefined;
  }
}

/**
 * Serializes a value to JSON text. Undefined members are left out, whole decimals print as `10.0`,
 * a binary value is written as a base64 string, and Undefined alone is the empty string.
 */
export function toJson(v: SqlValue): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? numberText(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
      return '';
    default:
      break;
  }
  if (v === null) return 'null';
  if (v instanceof WholeDecimal) return v.toString();
  if (v instanceof Uint8Array)
    return JSON.stringify(Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64'));
  if (Array.isArray(v)) {
    let out = '[';
    let first = true;
    for (const item of v) {
      if (item === undefined) continue;
      if (!first) out += ',';
      out += toJson(item);
      first = false;
    }
    return `${out}]`;
  }
  let out = '{';
  let first = true;
  for (const key of Object.keys(v)) {
    const item = v[key];
    if (item === undefined) continue;
    if (!first) out += ',';
    out += `${JSON.stringify(key)}:${toJson(item)}`;
    first = false;
  }
  return `${out}}`;
}

/**
 * Turns a rule's output into the bytes an action sends: a binary output as is, anything else as JSON text
 * (Undefined as the empty string).
 */
export function serializeOutput(output: SqlValue): string | Uint8Array {
  return output instanceof Uint8Array ? output : toJson(output);
}

/** Deep equality used by `=`, `<>`, CASE, IN and CONTAINS; Int and Decimal compare by value. */
export function deepEqual(a: SqlValue, b: SqlValue): boolean {
  if (a === b) return true;
  if (isNumeric(a)) return isNumeric(b) && +a === +b;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0;
  }
  if (!isRecord(a) || !isRecord(b)) return false;
  const keysA = Object.keys(a).filter((k) => a[k] !== undefined);
  const keysB = Object.keys(b).filter((k) => b[k] !== undefined);
  if (keysA.length !== keysB.length) return false;
  for (const k of keysA) {
    if (!Object.hasOwn(b, k) || !deepEqual(a[k], b[k])) return false;
  }
  return true;
}

/** `=`: true/false, or `undefined` when either side is Undefined. */
export function sqlEquals(a: SqlValue, b: SqlValue): boolean | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  return deepEqual(a, b);
}

/** Reads an own property of an Object value, never an inherited one. */
export function getOwn(o: { [key: string]: SqlValue }, key: string): SqlValue {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/** Exact powers of ten as doubles (10^0 … 10^22). */
export const POW10: readonly number[] = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** Number of decimal places of a double in its shortest decimal form (0 for an integral value). */
export function decimalPlaces(n: number): number {
  if (Number.isInteger(n) || !Number.isFinite(n)) return 0;
  // The smallest p for which some number with p decimal places reads back as n.
  for (let p = 1; p <= 20; p++) {
    const f = POW10[p] as number;
    if (Math.round(n * f) / f === n) return p;
  }
  const s = String(n);
  const e = s.indexOf('e');
  if (e < 0) return s.length - s.indexOf('.') - 1;
  const mantissa = s.slice(0, e);
  const dot = mantissa.indexOf('.');
  const places = (dot < 0 ? 0 : mantissa.length - dot - 1) - Number(s.slice(e + 1));
  return Math.max(places, 0);
}
