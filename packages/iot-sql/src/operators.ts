import type { BinaryOperator } from './ast';
import {
  decimalPlaces,
  deepEqual,
  isNumeric,
  isRecord,
  POW10,
  type SqlValue,
  sqlEquals,
  toBoolean,
  toDecimal,
  toSqlString,
  WholeDecimal,
} from './values';

/** A Decimal result: Undefined when not finite, a {@link WholeDecimal} when whole under SQL 2015-10-08. */
export function decimalResult(r: number, v1: boolean): SqlValue {
  if (!Number.isFinite(r)) return undefined;
  return v1 && Number.isInteger(r) ? new WholeDecimal(r) : r;
}

/** Rounds a double to `places` decimal places, undoing binary floating point noise (0.1 + 0.2 = 0.3). */
export function exact(r: number, places: number): number {
  if (places <= 0 || places > 20 || !Number.isFinite(r)) return r;
  const f = POW10[places] as number;
  const scaled = r * f;
  return Math.abs(scaled) < 9007199254740991 ? Math.round(scaled) / f : Number(r.toFixed(places));
}

/** Applies an arithmetic operator to two numbers; `bothInt` when both operands are Ints. */
export function numericOp(op: string, x: number, y: number, bothInt: boolean, v1: boolean): SqlValue {
  switch (op) {
    case '+':
      return bothInt ? x + y : decimalResult(exact(x + y, Math.max(decimalPlaces(x), decimalPlaces(y))), v1);
    case '-':
      return bothInt ? x - y : decimalResult(exact(x - y, Math.max(decimalPlaces(x), decimalPlaces(y))), v1);
    case '*':
      return bothInt ? x * y : decimalResult(exact(x * y, decimalPlaces(x) + decimalPlaces(y)), v1);
    case '/':
      if (y === 0) return undefined;
      return bothInt ? Math.trunc(x / y) : decimalResult(x / y, v1);
    default:
      if (y === 0) return undefined;
      return bothInt ? x % y : decimalResult(exact(x % y, Math.max(decimalPlaces(x), decimalPlaces(y))), v1);
  }
}

function isIntValue(v: SqlValue): boolean {
  return typeof v === 'number' && Number.isInteger(v);
}

/** `-`, `*`, `/`, `%` (and `+` on numbers): numbers and numeric strings; anything else gives Undefined. */
export function arithmetic(op: string, a: SqlValue, b: SqlValue, v1: boolean): SqlValue {
  const x = toDecimal(a);
  if (x === undefined) return undefined;
  const y = toDecimal(b);
  if (y === undefined) return undefined;
  return numericOp(op, x, y, isIntValue(a) && isIntValue(b), v1);
}

/** `+`: string concatenation when either side is a String, else addition of numbers. */
export function plus(a: SqlValue, b: SqlValue, v1: boolean): SqlValue {
  if (typeof a === 'string') {
    const s = toSqlString(b);
    return s === undefined ? undefined : a + s;
  }
  if (typeof b === 'string') {
    const s = toSqlString(a);
    return s === undefined ? undefined : s + b;
  }
  if (isNumeric(a) && isNumeric(b)) return numericOp('+', +a, +b, isIntValue(a) && isIntValue(b), v1);
  return undefined;
}

/** `<`, `<=`, `>`, `>=`: both sides converted to Decimal, else Undefined. */
export function compare(op: string, a: SqlValue, b: SqlValue): boolean | undefined {
  const x = toDecimal(a);
  if (x === undefined) return undefined;
  const y = toDecimal(b);
  if (y === undefined) return undefined;
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    default:
      return x >= y;
  }
}

/** `AND` / `OR` on Booleans or "true"/"false" strings; anything else gives Undefined. */
export function logical(op: 'AND' | 'OR', a: SqlValue, b: SqlValue): boolean | undefined {
  const x = typeof a === 'boolean' ? a : toBoolean(a);
  if (x === undefined) return undefined;
  const y = typeof b === 'boolean' ? b : toBoolean(b);
  if (y === undefined) return undefined;
  return op === 'AND' ? x && y : x || y;
}

/** `NOT`. */
export function not(a: SqlValue): boolean | undefined {
  const x = typeof a === 'boolean' ? a : toBoolean(a);
  return x === undefined ? undefined : !x;
}

/** Unary minus: keeps Int as Int and Decimal as Decimal; a numeric String becomes a Decimal. */
export function negate(a: SqlValue, v1: boolean): SqlValue {
  if (typeof a === 'number') return -a;
  if (a instanceof WholeDecimal) return new WholeDecimal(-a.valueOf());
  if (typeof a === 'string') {
    const x = toDecimal(a);
    return x === undefined ? undefined : decimalResult(-x, v1);
  }
  return undefined;
}

/** `x IN array`: whether the array holds a value equal to x. */
export function inArray(a: SqlValue, b: SqlValue): boolean | undefined {
  if (a === undefined || !Array.isArray(b)) return undefined;
  for (const item of b) if (deepEqual(a, item)) return true;
  return false;
}

/** `array CONTAINS x` (an equal element) or `string CONTAINS substring`. */
export function contains(a: SqlValue, b: SqlValue): boolean | undefined {
  if (b === undefined) return undefined;
  if (Array.isArray(a)) return inArray(b, a);
  if (typeof a === 'string' && typeof b === 'string') return a.includes(b);
  return undefined;
}

/** The binary operator as a function of two values, for the given SQL version. */
export function binaryFunction(op: BinaryOperator, v1: boolean): (a: SqlValue, b: SqlValue) => SqlValue {
  switch (op) {
    case 'AND':
    case 'OR':
      return (a, b) => logical(op, a, b);
    case '=':
      return sqlEquals;
    case '<>':
      return (a, b) => {
        const eq = sqlEquals(a, b);
        return eq === undefined ? undefined : !eq;
      };
    case '<':
    case '<=':
    case '>':
    case '>=':
      return (a, b) => (typeof a === 'number' && typeof b === 'number' ? numberCompare(op, a, b) : compare(op, a, b));
    case '+':
      return (a, b) =>
        typeof a === 'number' && typeof b === 'number'
          ? numericOp('+', a, b, Number.isInteger(a) && Number.isInteger(b), v1)
          : plus(a, b, v1);
    case 'IN':
      return inArray;
    case 'CONTAINS':
      return contains;
    default:
      return (a, b) =>
        typeof a === 'number' && typeof b === 'number'
          ? numericOp(op, a, b, Number.isInteger(a) && Number.isInteger(b), v1)
          : arithmetic(op, a, b, v1);
  }
}

function numberCompare(op: string, x: number, y: number): boolean {
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    default:
      return x >= y;
  }
}

/** Reads `key` of an Object value; anything that is not an Object gives Undefined. */
export function member(o: SqlValue, key: string): SqlValue {
  return isRecord(o) && Object.hasOwn(o, key) ? o[key] : undefined;
}
