import { createHash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import type { Env, ExternalFunctionName } from './env';
import { arithmetic, decimalResult } from './operators';
import { formatTime, parseTimeToEpoch } from './time';
import {
  getOwn,
  isNumeric,
  isRecord,
  type SqlValue,
  toBoolean,
  toDecimal,
  toIntTruncated,
  toJson,
  toSqlString,
  WholeDecimal,
} from './values';

/** A built-in function: its argument counts, the first SQL version that has it, and its work. */
export interface FunctionSpec {
  readonly min: number;
  readonly max: number;
  /** Only in SQL 2016-03-23 and later. */
  readonly v2Only?: boolean;
  /** Positional implementation (up to three arguments). */
  readonly fn?: (env: Env, a: SqlValue, b: SqlValue, c: SqlValue) => SqlValue;
  /** Implementation taking every argument (variadic functions). */
  readonly variadic?: (env: Env, args: SqlValue[]) => SqlValue;
  /** Set for the functions whose work the host does. */
  readonly external?: ExternalFunctionName;
  /** Set for documented functions this implementation cannot evaluate (rejected at compile time). */
  readonly unsupported?: string;
}

// ---- numbers -------------------------------------------------------------------------------------

/** A "Decimal (with double precision)" result. */
function double(env: Env, x: number | undefined): SqlValue {
  return x === undefined ? undefined : decimalResult(x, env.v1);
}

function math1(f: (x: number) => number): FunctionSpec {
  return { min: 1, max: 1, fn: (env, a) => double(env, mapDecimal(a, f)) };
}

function mapDecimal(a: SqlValue, f: (x: number) => number): number | undefined {
  const x = toDecimal(a);
  return x === undefined ? undefined : f(x);
}

/** Int in, Int out; Decimal (or numeric String) in, Int out. */
function toIntResult(a: SqlValue, f: (x: number) => number): SqlValue {
  const x = toDecimal(a);
  if (x === undefined || !Number.isFinite(x)) return undefined;
  return f(x) + 0;
}

function roundHalfUp(x: number): number {
  const r = Math.floor(Math.abs(x) + 0.5);
  return x < 0 ? -r : r;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function bitwise(a: SqlValue, b: SqlValue, op: 'and' | 'or' | 'xor'): SqlValue {
  const x = toIntTruncated(a);
  const y = toIntTruncated(b);
  if (x === undefined || y === undefined) return undefined;
  if (x >= INT32_MIN && x <= INT32_MAX && y >= INT32_MIN && y <= INT32_MAX) {
    return op === 'and' ? x & y : op === 'or' ? x | y : x ^ y;
  }
  const bx = BigInt.asIntN(64, BigInt(x));
  const by = BigInt.asIntN(64, BigInt(y));
  return Number(BigInt.asIntN(64, op === 'and' ? bx & by : op === 'or' ? bx | by : bx ^ by));
}

function truncPlaces(x: number, places: number): number {
  if (Number.isInteger(x)) return x;
  const s = String(x);
  if (!s.includes('e')) {
    const dot = s.indexOf('.');
    return Number(places === 0 ? s.slice(0, dot) : s.slice(0, dot + 1 + places));
  }
  const f = 10 ** places;
  return Math.trunc(x * f) / f;
}

// ---- strings -------------------------------------------------------------------------------------

function str1(f: (s: string) => SqlValue): FunctionSpec {
  return {
    min: 1,
    max: 1,
    fn: (_env, a) => {
      const s = typeof a === 'string' ? a : toSqlString(a);
      return s === undefined ? undefined : f(s);
    },
  };
}

/** Java's String.trim() white space: every code unit up to U+0020. */
function trimStart(s: string): string {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) <= 32) i++;
  return s.slice(i);
}
function trimEnd(s: string): string {
  let i = s.length;
  while (i > 0 && s.charCodeAt(i - 1) <= 32) i--;
  return s.slice(0, i);
}

function pad(a: SqlValue, b: SqlValue, left: boolean): SqlValue {
  const s = toSqlString(a);
  if (s === undefined) return undefined;
  if (typeof b !== 'string' && !isNumeric(b)) return undefined;
  const n = toIntTruncated(b);
  if (n === undefined) return undefined;
  const spaces = ' '.repeat(Math.min(1000, Math.max(0, n)));
  return left ? spaces + s : s + spaces;
}

function strPair(a: SqlValue, b: SqlValue, f: (x: string, y: string) => SqlValue): SqlValue {
  const x = toSqlString(a);
  if (x === undefined) return undefined;
  const y = toSqlString(b);
  return y === undefined ? undefined : f(x, y);
}

// ---- regular expressions (Java syntax, mostly shared with JavaScript) -------------------------------

const regexCache = new Map<string, RegExp | null>();

/** Compiles a Java-style pattern (leading inline flags such as `(?i)` become JavaScript flags). */
export function compileRegex(pattern: string, global: boolean): RegExp | undefined {
  const key = (global ? 'g' : '-') + pattern;
  const cached = regexCache.get(key);
  if (cached !== undefined) return cached ?? undefined;
  let source = pattern;
  let flags = global ? 'g' : '';
  const inline = /^\(\?([imsx]+)\)/.exec(source);
  if (inline) {
    source = source.slice(inline[0].length);
    for (const f of inline[1] as string) if (f !== 'x' && !flags.includes(f)) flags += f;
  }
  let re: RegExp | null;
  try {
    re = new RegExp(source, flags);
  } catch {
    re = null;
  }
  if (regexCache.size >= 512) regexCache.clear();
  regexCache.set(key, re);
  return re ?? undefined;
}

function javaReplacement(r: string): string {
  let out = '';
  for (let i = 0; i < r.length; i++) {
    const c = r[i];
    if (c === '\\' && i + 1 < r.length) {
      const next = r[++i] as string;
      out += next === '$' ? '$$' : next;
    } else {
      out += c;
    }
  }
  return out;
}

// ---- hashing and encoding ------------------------------------------------------------------------

function hash(algorithm: string): FunctionSpec {
  return str1((s) => createHash(algorithm).update(s, 'utf8').digest('hex'));
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodeBase64(value: string): SqlValue {
  const compact = value.replace(/\s+/g, '');
  if (!BASE64.test(compact)) return null;
  const text = Buffer.from(compact, 'base64').toString('utf8');
  try {
    return JSON.parse(text) as SqlValue;
  } catch {
    return text;
  }
}

function encode(a: SqlValue, scheme: SqlValue): SqlValue {
  if (typeof scheme !== 'string' || scheme.toLowerCase() !== 'base64') return undefined;
  if (a instanceof Uint8Array) return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
  const s = toSqlString(a);
  return s === undefined ? undefined : Buffer.from(s, 'utf8').toString('base64');
}

// ---- collections ---------------------------------------------------------------------------------

/** The "to Int" conversion of an index: Decimal rounded to the nearest Int, String truncated. */
function toIndex(v: SqlValue): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : Math.round(v);
  if (v instanceof WholeDecimal) return v.valueOf();
  if (typeof v === 'string') return toIntTruncated(v);
  return undefined;
}

/** `get(collection, key)`: element of an Array, character of a String, member of an Object. */
export function getFrom(a: SqlValue, b: SqlValue): SqlValue {
  if (Array.isArray(a)) {
    const i = toIndex(b);
    return i === undefined || i < 0 || i >= a.length ? undefined : a[i];
  }
  if (typeof a === 'string') {
    const i = toIndex(b);
    return i === undefined || i < 0 || i >= a.length ? undefined : a[i];
  }
  if (isRecord(a) && typeof b === 'string') return getOwn(a, b);
  return undefined;
}

function concat(args: SqlValue[]): SqlValue {
  if (args.length === 0) return undefined;
  if (args.length === 1) return args[0];
  if (args.some(Array.isArray)) {
    const out: SqlValue[] = [];
    for (const a of args) {
      if (a === undefined) return undefined;
      if (Array.isArray(a)) out.push(...a);
      else out.push(a);
    }
    return out;
  }
  if (!args.some((a) => typeof a === 'string')) return undefined;
  let out = '';
  for (const a of args) {
    const s = toSqlString(a);
    if (s === undefined) return undefined;
    out += s;
  }
  return out;
}

function transform(mode: SqlValue, obj: SqlValue, arr: SqlValue): SqlValue {
  if (mode !== 'enrichArray' || !isRecord(obj) || !Array.isArray(arr)) return undefined;
  const out: SqlValue[] = [];
  for (const item of arr) {
    if (isRecord(item)) out.push({ ...item, ...obj });
  }
  return out;
}

function substring(a: SqlValue, b: SqlValue, c: SqlValue): SqlValue {
  const s = toSqlString(a);
  if (s === undefined) return undefined;
  const start = toIntTruncated(b);
  if (start === undefined) return undefined;
  const clamp = (i: number) => Math.min(s.length, Math.max(0, i));
  if (c === undefined) return s.slice(clamp(start));
  const end = toIntTruncated(c);
  if (end === undefined) return undefined;
  const from = clamp(start);
  const to = clamp(end);
  return from >= to ? '' : s.slice(from, to);
}

// ---- type tests and null handling -------------------------------------------------------------------

function nanvl(a: SqlValue, b: SqlValue): SqlValue {
  if (a === undefined || a === null || (typeof a === 'number' && Number.isNaN(a))) return b;
  return a;
}

// ---- external (host) functions: evaluated through Env.external --------------------------------------

function external(name: ExternalFunctionName, min: number, max: number, v2Only: boolean): FunctionSpec {
  return { min, max, v2Only, external: name };
}

/** Every function name the language knows (lower case), with its specification. */
export const FUNCTIONS: Readonly<Record<string, FunctionSpec>> = {
  // numbers
  abs: {
    min: 1,
    max: 1,
    fn: (env, a) => {
      if (typeof a === 'number') return Math.abs(a);
      if (a instanceof WholeDecimal) return new WholeDecimal(Math.abs(a.valueOf()));
      return double(env, mapDecimal(a, Math.abs));
    },
  },
  acos: math1(Math.acos),
  asin: math1(Math.asin),
  atan: math1(Math.atan),
  atan2: {
    min: 2,
    max: 2,
    fn: (env, a, b) => {
      const y = toDecimal(a);
      const x = toDecimal(b);
      return y === undefined || x === undefined ? undefined : double(env, Math.atan2(y, x));
    },
  },
  bitand: { min: 2, max: 2, fn: (_e, a, b) => bitwise(a, b, 'and') },
  bitor: { min: 2, max: 2, fn: (_e, a, b) => bitwise(a, b, 'or') },
  bitxor: { min: 2, max: 2, fn: (_e, a, b) => bitwise(a, b, 'xor') },
  bitnot: {
    min: 1,
    max: 1,
    fn: (_e, a) => {
      const x = toIntTruncated(a);
      if (x === undefined) return undefined;
      return x >= INT32_MIN && x <= INT32_MAX ? ~x : Number(BigInt.asIntN(64, ~BigInt(x)));
    },
  },
  ceil: { min: 1, max: 1, fn: (_e, a) => toIntResult(a, Math.ceil) },
  cos: math1(Math.cos),
  cosh: math1(Math.cosh),
  exp: math1(Math.exp),
  floor: { min: 1, max: 1, fn: (_e, a) => toIntResult(a, Math.floor) },
  ln: math1(Math.log),
  log: math1(Math.log10),
  mod: { min: 2, max: 2, fn: (env, a, b) => arithmetic('%', a, b, env.v1) },
  remainder: { min: 2, max: 2, fn: (env, a, b) => arithmetic('%', a, b, env.v1) },
  nanvl: { min: 2, max: 2, fn: (_e, a, b) => nanvl(a, b) },
  power: {
    min: 2,
    max: 2,
    fn: (env, a, b) => {
      const x = toDecimal(a);
      const y = toDecimal(b);
      return x === undefined || y === undefined ? undefined : double(env, x ** y);
    },
  },
  rand: { min: 0, max: 0, fn: () => Math.random() },
  round: { min: 1, max: 1, fn: (_e, a) => toIntResult(a, roundHalfUp) },
  sign: { min: 1, max: 1, fn: (_e, a) => toIntResult(a, Math.sign) },
  sin: math1(Math.sin),
  sinh: math1(Math.sinh),
  sqrt: math1(Math.sqrt),
  tan: math1(Math.tan),
  tanh: math1(Math.tanh),
  trunc: {
    min: 2,
    max: 2,
    fn: (_e, a, b) => {
      if (typeof a !== 'string' && !isNumeric(a)) return undefined;
      if (!isNumeric(b)) return undefined;
      const x = toDecimal(a);
      const places = toIntTruncated(b);
      if (x === undefined || places === undefined) return undefined;
      if (typeof a === 'number' && Number.isInteger(a)) return a;
      return truncPlaces(x, Math.min(34, Math.max(0, places)));
    },
  },

  // strings
  chr: {
    min: 1,
    max: 1,
    fn: (_e, a) => {
      if (typeof a !== 'string' && !isNumeric(a)) return undefined;
      const code = toIntTruncated(a);
      return code === undefined || code < 0 || code > 127 ? undefined : String.fromCharCode(code);
    },
  },
  concat: { min: 0, max: Number.POSITIVE_INFINITY, variadic: (_e, args) => concat(args) },
  endswith: {
    min: 2,
    max: 2,
    fn: (_e, a, b) => strPair(a, b, (x, y) => x.endsWith(y)),
  },
  startswith: {
    min: 2,
    max: 2,
    fn: (_e, a, b) => strPair(a, b, (x, y) => x.startsWith(y)),
  },
  indexof: { min: 2, max: 2, v2Only: true, fn: (_e, a, b) => strPair(a, b, (x, y) => x.indexOf(y)) },
  length: { ...str1((s) => s.length), v2Only: true },
  numbytes: { ...str1((s) => Buffer.byteLength(s, 'utf8')), v2Only: true },
  lower: str1((s) => s.toLowerCase()),
  upper: str1((s) => s.toUpperCase()),
  lpad: { min: 2, max: 2, fn: (_e, a, b) => pad(a, b, true) },
  rpad: { min: 2, max: 2, fn: (_e, a, b) => pad(a, b, false) },
  ltrim: str1(trimStart),
  rtrim: str1(trimEnd),
  trim: str1((s) => trimEnd(trimStart(s))),
  replace: {
    min: 3,
    max: 3,
    fn: (_e, a, b, c) => {
      const s = toSqlString(a);
      const find = toSqlString(b);
      const by = toSqlString(c);
      return s === undefined || find === undefined || by === undefined ? undefined : s.split(find).join(by);
    },
  },
  regexp_matches: {
    min: 2,
    max: 2,
    fn: (_e, a, b) =>
      strPair(a, b, (s, p) => {
        const re = compileRegex(p, false);
        return re === undefined ? undefined : re.test(s);
      }),
  },
  regexp_replace: {
    min: 3,
    max: 3,
    fn: (_e, a, b, c) =>
      strPair(a, b, (s, p) => {
        const re = compileRegex(p, true);
        const by = toSqlString(c);
        if (re === undefined || by === undefined) return undefined;
        re.lastIndex = 0;
        return s.replace(re, javaReplacement(by));
      }),
  },
  regexp_substr: {
    min: 2,
    max: 2,
    fn: (_e, a, b) =>
      strPair(a, b, (s, p) => {
        const re = compileRegex(p, false);
        if (re === undefined) return undefined;
        const m = re.exec(s);
        return m === null ? undefined : m[0];
      }),
  },
  substring: { min: 2, max: 3, fn: (_e, a, b, c) => substring(a, b, c) },

  // collections, types, JSON
  get: { min: 2, max: 2, fn: (_e, a, b) => getFrom(a, b) },
  isnull: { min: 1, max: 1, fn: (_e, a) => a === null },
  isundefined: { min: 1, max: 1, v2Only: true, fn: (_e, a) => a === undefined },
  transform: { min: 3, max: 3, v2Only: true, fn: (_e, a, b, c) => transform(a, b, c) },
  encode: { min: 2, max: 2, v2Only: true, fn: (_e, a, b) => encode(a, b) },
  decode: {
    min: 2,
    max: 2,
    v2Only: true,
    fn: (_e, a, b) => {
      if (typeof b !== 'string' || b.toLowerCase() !== 'base64') return undefined;
      const s = toSqlString(a);
      return s === undefined ? undefined : decodeBase64(s);
    },
  },

  // hashing
  md5: hash('md5'),
  sha1: hash('sha1'),
  sha224: hash('sha224'),
  sha256: hash('sha256'),
  sha384: hash('sha384'),
  sha512: hash('sha512'),
  crc32: str1((s) => zlibCrc32(s)),
  md2: { min: 1, max: 1, unsupported: 'md2 (the MD2 digest is not available in Node.js)' },

  // message context
  accountid: { min: 0, max: 0, fn: (env) => env.accountId },
  clientid: { min: 0, max: 0, fn: (env) => env.clientId ?? 'n/a' },
  newuuid: { min: 0, max: 0, fn: (env) => env.newUuid() },
  principal: { min: 0, max: 0, fn: (env) => env.principal },
  sourceip: { min: 0, max: 0, fn: (env) => env.sourceIp },
  sql_version: { min: 0, max: 0, fn: (env) => env.sqlVersion },
  timestamp: { min: 0, max: 0, fn: (env) => env.timestamp },
  traceid: { min: 0, max: 0, fn: (env) => env.traceId },
  topic: {
    min: 0,
    max: 1,
    fn: (env, a) => (a === undefined ? env.topic : topicLevel(env, a)),
  },

  // time
  parse_time: {
    min: 2,
    max: 3,
    v2Only: true,
    fn: (_e, a, b, c) => {
      const pattern = toSqlString(a);
      const ms = toDecimal(b);
      const zone = c === undefined ? 'UTC' : toSqlString(c);
      if (pattern === undefined || ms === undefined || zone === undefined) return undefined;
      return formatTime(pattern, Math.trunc(ms), zone);
    },
  },
  time_to_epoch: {
    min: 2,
    max: 2,
    v2Only: true,
    fn: (_e, a, b) => strPair(a, b, (text, pattern) => parseTimeToEpoch(text, pattern)),
  },

  // the host's functions
  aws_lambda: external('aws_lambda', 2, 2, false),
  get_thing_shadow: external('get_thing_shadow', 2, 3, true),
  get_dynamodb: external('get_dynamodb', 4, 6, true),
  get_secret: external('get_secret', 3, 4, false),
  machinelearning_predict: { min: 3, max: 3, unsupported: 'machinelearning_predict (Amazon ML is retired)' },
  get_registry_data: { min: 3, max: 3, unsupported: 'get_registry_data' },
  get_mqtt_property: { min: 1, max: 1, unsupported: 'get_mqtt_property' },
  get_user_properties: { min: 1, max: 1, unsupported: 'get_user_properties' },
};

/** `topic(n)`: the n-th level (1-based) of the topic, or Undefined. */
export function topicLevel(env: Env, n: SqlValue): SqlValue {
  const i = toIntTruncated(n);
  if (i === undefined || i < 1) return undefined;
  env.topicLevels ??= env.topic.split('/');
  return env.topicLevels[i - 1];
}

/** The `cast(value AS type)` conversions; `undefined` type name means not known for that version. */
export function castFunction(typeName: string, v1: boolean): ((v: SqlValue) => SqlValue) | undefined {
  switch (typeName.toLowerCase()) {
    case 'string':
    case 'nvarchar':
    case 'text':
    case 'ntext':
    case 'varchar':
      return (v) => (v instanceof Uint8Array ? undefined : toSqlString(v));
    case 'int':
    case 'integer':
      return (v) => {
        if (typeof v === 'boolean') return v ? 1 : 0;
        if (typeof v !== 'string' && !isNumeric(v)) return undefined;
        return toIntTruncated(v);
      };
    case 'double':
      return (v) => castDecimal(v, v1);
    case 'decimal':
      return v1 ? undefined : (v) => castDecimal(v, v1);
    case 'bool':
    case 'boolean':
      if (v1) return undefined;
      return (v) => {
        if (isNumeric(v)) return +v !== 0;
        return toBoolean(v);
      };
    default:
      return undefined;
  }
}

function castDecimal(v: SqlValue, v1: boolean): SqlValue {
  if (typeof v === 'boolean') return decimalResult(v ? 1 : 0, v1);
  if (typeof v !== 'string' && !isNumeric(v)) return undefined;
  const x = toDecimal(v);
  return x === undefined ? undefined : decimalResult(x, v1);
}

/** Stable text of external call arguments, to remember results within one evaluation. */
export function argumentsKey(args: SqlValue[]): string {
  return args.map((a) => (a === undefined ? 'U' : toJson(a))).join('\u0000');
}
