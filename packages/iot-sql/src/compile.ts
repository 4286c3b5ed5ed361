import type { Expression, Query, SelectItem } from './ast';
import type { Env, Evaluator } from './env';
import { SqlParseError } from './errors';
import { argumentsKey, castFunction, FUNCTIONS, getFrom, topicLevel } from './functions';
import { binaryFunction, compare, decimalResult, exact, member, negate, not } from './operators';
import { decimalPlaces, isNumeric, isRecord, type SqlValue, sqlEquals, toDecimal } from './values';

/** What a compilation learns about the statement while it compiles it. */
export interface CompileState {
  readonly source: string;
  readonly v1: boolean;
  readonly sqlVersion: string;
  /** Reads the payload (attributes or `*`). */
  usesPayload: boolean;
  /** Calls a function whose work the host does. */
  usesExternal: boolean;
  /** Counter of external call sites. */
  externalSites: number;
}

interface Scope {
  /** Inside a nested query: `*` is the current element rather than the payload. */
  readonly nested: boolean;
}

const TOP: Scope = { nested: false };
const NESTED: Scope = { nested: true };

function fail(state: CompileState, offset: number, message: string): never {
  throw new SqlParseError(state.source, offset, { message });
}

/** Attribute names that arrays, binary values or every object would answer from their prototype. */
function needsSafeLookup(key: string): boolean {
  return key in Object.prototype || key in Array.prototype || key in Uint8Array.prototype;
}

/** Reads an attribute of the value `objectOf` gives. */
function lookup(objectOf: Evaluator | undefined, key: string): Evaluator {
  if (needsSafeLookup(key)) {
    return objectOf === undefined ? (root) => member(root, key) : (root, env) => member(objectOf(root, env), key);
  }
  // Plain objects, arrays and whole decimals only answer such a key with an own property or a method.
  if (objectOf === undefined) {
    return (root) => {
      if (typeof root !== 'object' || root === null) return undefined;
      const v = (root as Record<string, SqlValue>)[key];
      return typeof v === 'function' ? undefined : v;
    };
  }
  return (root, env) => {
    const o = objectOf(root, env);
    if (typeof o !== 'object' || o === null) return undefined;
    const v = (o as Record<string, SqlValue>)[key];
    return typeof v === 'function' ? undefined : v;
  };
}

/** Sets a key on an output object, never touching its prototype. */
export function setKey(o: Record<string, SqlValue>, key: string, value: SqlValue): void {
  if (key === '__proto__')
    Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}

function numberLiteral(text: string, v1: boolean): SqlValue {
  const n = Number(text);
  const decimal = /[.eE]/.test(text);
  if (!decimal) return n;
  return decimalResult(n, v1) ?? n;
}

function constant(e: Expression, state: CompileState): SqlValue | typeof NOT_CONSTANT {
  switch (e.kind) {
    case 'number':
      return numberLiteral(e.text, state.v1);
    case 'string':
    case 'boolean':
      return e.value;
    case 'null':
      return null;
    case 'unary':
      if (e.operator === '-' && e.operand.kind === 'number')
        return negate(numberLiteral(e.operand.text, state.v1), state.v1);
      return NOT_CONSTANT;
    default:
      return NOT_CONSTANT;
  }
}
const NOT_CONSTANT = Symbol('not constant');

/** Compiles an expression into a closure. */
export function compileExpression(e: Expression, state: CompileState, scope: Scope = TOP): Evaluator {
  const c = constant(e, state);
  if (c !== NOT_CONSTANT) return () => c;
  switch (e.kind) {
    case 'wildcard':
      state.usesPayload = true;
      return scope.nested ? (root) => root : (_root, env) => env.star;
    case 'identifier':
      state.usesPayload = true;
      return lookup(undefined, e.name);
    case 'member':
      return lookup(compileExpression(e.object, state, scope), e.property);
    case 'index': {
      const o = compileExpression(e.object, state, scope);
      const i = compileExpression(e.index, state, scope);
      return (root, env) => getFrom(o(root, env), i(root, env));
    }
    case 'call':
      return compileCall(e, state, scope);
    case 'cast': {
      const convert = castFunction(e.type, state.v1);
      if (!convert) {
        fail(state, e.offset, `Unknown type '${e.type}' in cast for SQL version ${state.sqlVersion}`);
      }
      const v = compileExpression(e.value, state, scope);
      return (root, env) => convert(v(root, env));
    }
    case 'unary': {
      const v = compileExpression(e.operand, state, scope);
      const v1 = state.v1;
      if (e.operator === 'NOT') return (root, env) => not(v(root, env));
      if (e.operator === '-') return (root, env) => negate(v(root, env), v1);
      return (root, env) => {
        const x = v(root, env);
        if (isNumeric(x)) return x;
        const d = typeof x === 'string' ? toDecimal(x) : undefined;
        return d === undefined ? undefined : decimalResult(d, v1);
      };
    }
    case 'binary':
      return compileBinary(e, state, scope);
    case 'case': {
      const subject = compileExpression(e.subject, state, scope);
      const whens = e.branches.map((b) => compileExpression(b.when, state, scope));
      const thens = e.branches.map((b) => compileExpression(b.result, state, scope));
      const otherwise = e.otherwise ? compileExpression(e.otherwise, state, scope) : undefined;
      const n = whens.length;
      return (root, env) => {
        const s = subject(root, env);
        if (s === undefined) return undefined;
        for (let i = 0; i < n; i++) {
          if (sqlEquals(s, (whens[i] as Evaluator)(root, env)) === true) return (thens[i] as Evaluator)(root, env);
        }
        return otherwise ? otherwise(root, env) : undefined;
      };
    }
    case 'array': {
      requireV2(state, e.offset, 'Array literals');
      const items = e.items.map((item) => compileExpression(item, state, scope));
      return (root, env) => {
        const out: SqlValue[] = [];
        for (const item of items) {
          const v = item(root, env);
          if (v !== undefined) out.push(v);
        }
        return out;
      };
    }
    case 'object': {
      requireV2(state, e.offset, 'Object literals');
      const keys = e.entries.map((entry) => entry.key);
      const values = e.entries.map((entry) => compileExpression(entry.value, state, scope));
      return (root, env) => {
        const out: Record<string, SqlValue> = {};
        for (let i = 0; i < keys.length; i++) {
          const v = (values[i] as Evaluator)(root, env);
          if (v !== undefined) setKey(out, keys[i] as string, v);
        }
        return out;
      };
    }
    case 'subquery':
      requireV2(state, e.offset, 'Nested object queries');
      return compileNestedQuery(e.query, state, scope);
    default:
      return fail(state, 0, 'Unsupported expression');
  }
}

function requireV2(state: CompileState, offset: number, what: string): void {
  if (state.v1) fail(state, offset, `${what} need SQL version 2016-03-23 (this rule uses 2015-10-08)`);
}

function compileBinary(e: Extract<Expression, { kind: 'binary' }>, state: CompileState, scope: Scope): Evaluator {
  const l = compileExpression(e.left, state, scope);
  const r = compileExpression(e.right, state, scope);
  const op = e.operator;
  const rightConst = constant(e.right, state);
  // Comparing an attribute with a number literal is the most common WHERE clause: keep it short.
  if (typeof rightConst === 'number') {
    const k = rightConst;
    switch (op) {
      case '>':
        return (root, env) => {
          const a = l(root, env);
          return typeof a === 'number' ? a > k : compare(op, a, k);
        };
      case '>=':
        return (root, env) => {
          const a = l(root, env);
          return typeof a === 'number' ? a >= k : compare(op, a, k);
        };
      case '<':
        return (root, env) => {
          const a = l(root, env);
          return typeof a === 'number' ? a < k : compare(op, a, k);
        };
      case '<=':
        return (root, env) => {
          const a = l(root, env);
          return typeof a === 'number' ? a <= k : compare(op, a, k);
        };
      default:
        break;
    }
  }
  if (typeof rightConst === 'number' && !Number.isInteger(rightConst) && (op === '*' || op === '+' || op === '-')) {
    // Decimal arithmetic with a decimal literal (`t * 1.8`): the literal's decimal places are known now.
    const k = rightConst;
    const kPlaces = decimalPlaces(k);
    const v1 = state.v1;
    const f = binaryFunction(op, v1);
    if (op === '*') {
      return (root, env) => {
        const a = l(root, env);
        return typeof a === 'number' ? decimalResult(exact(a * k, decimalPlaces(a) + kPlaces), v1) : f(a, k);
      };
    }
    const sign = op === '+' ? 1 : -1;
    return (root, env) => {
      const a = l(root, env);
      return typeof a === 'number'
        ? decimalResult(exact(a + sign * k, Math.max(decimalPlaces(a), kPlaces)), v1)
        : f(a, k);
    };
  }
  if (op === '=' || op === '<>') {
    const negated = op === '<>';
    return (root, env) => {
      const eq = sqlEquals(l(root, env), r(root, env));
      return eq === undefined ? undefined : eq !== negated;
    };
  }
  const f = binaryFunction(op, state.v1);
  return (root, env) => f(l(root, env), r(root, env));
}

function compileCall(e: Extract<Expression, { kind: 'call' }>, state: CompileState, scope: Scope): Evaluator {
  const spec = FUNCTIONS[e.name];
  if (spec === undefined || !Object.hasOwn(FUNCTIONS, e.name)) fail(state, e.offset, `Unknown function '${e.name}'`);
  if (spec.unsupported) fail(state, e.offset, `Function ${spec.unsupported} is not supported by this implementation`);
  if (spec.v2Only && state.v1) {
    fail(state, e.offset, `Function '${e.name}' needs SQL version 2016-03-23 (this rule uses 2015-10-08)`);
  }
  const n = e.args.length;
  if (n < spec.min || n > spec.max) {
    const expected = spec.min === spec.max ? `${spec.min}` : `${spec.min} to ${spec.max}`;
    fail(state, e.offset, `Function '${e.name}' takes ${expected} argument(s) but was given ${n}`);
  }
  const args = e.args.map((a) => compileExpression(a, state, scope));
  if (e.name === 'encode' && e.args[0]?.kind === 'wildcard' && !scope.nested) {
    // encode(*, ...) encodes the payload's bytes, whether or not they are JSON.
    args[0] = (_root, env) => (typeof env.raw === 'string' ? Buffer.from(env.raw, 'utf8') : env.raw);
  }
  if (spec.external) {
    state.usesExternal = true;
    const site = state.externalSites++;
    const name = spec.external;
    return (root, env) => {
      const st = env.external;
      if (st === undefined) return undefined;
      const values = args.map((a) => a(root, env));
      const key = `${site}\u0001${argumentsKey(values)}`;
      if (st.results.has(key)) return st.results.get(key);
      st.pending ??= { key, name, args: values };
      return undefined;
    };
  }
  if (spec.variadic) {
    const variadic = spec.variadic;
    return (root, env) =>
      variadic(
        env,
        args.map((a) => a(root, env)),
      );
  }
  const fn = spec.fn;
  if (!fn) return fail(state, e.offset, `Function '${e.name}' cannot be evaluated`);
  if (e.name === 'topic' && n === 1) {
    const level = constant(e.args[0] as Expression, state);
    if (level !== NOT_CONSTANT) return (_root, env) => topicLevel(env, level);
  }
  const [a0, a1, a2] = args;
  switch (n) {
    case 0:
      return (_root, env) => fn(env, undefined, undefined, undefined);
    case 1: {
      const x = a0 as Evaluator;
      return (root, env) => fn(env, x(root, env), undefined, undefined);
    }
    case 2: {
      const x = a0 as Evaluator;
      const y = a1 as Evaluator;
      return (root, env) => fn(env, x(root, env), y(root, env), undefined);
    }
    default: {
      const x = a0 as Evaluator;
      const y = a1 as Evaluator;
      const z = a2 as Evaluator;
      return (root, env) => fn(env, x(root, env), y(root, env), z(root, env));
    }
  }
}

/** The output key of a column without AS: the attribute name, the function name, else `_<position>`. */
function defaultColumnName(e: Expression, position: number): string {
  switch (e.kind) {
    case 'identifier':
      return e.name;
    case 'member':
      return e.property;
    case 'index':
      return defaultColumnName(e.object, position);
    case 'call':
      return e.name;
    default:
      return `_${position}`;
  }
}

/** Compiles the SELECT list of a query into the function building its output. */
export function compileProjection(query: Query, state: CompileState, scope: Scope): Evaluator {
  const items = query.items;
  if (query.selectValue) {
    if (items.length !== 1) fail(state, query.offset, 'SELECT VALUE takes exactly one expression');
    const item = items[0] as SelectItem;
    const value =
      item.kind === 'wildcard'
        ? compileExpression({ kind: 'wildcard', offset: item.offset }, state, scope)
        : compileExpression(item.expression, state, scope);
    if (state.v1 && !scope.nested) {
      // Returning an array as the whole output came with SQL 2016-03-23.
      return (root, env) => {
        const v = value(root, env);
        return Array.isArray(v) ? undefined : v;
      };
    }
    return value;
  }
  const wildcards = items.filter((i) => i.kind === 'wildcard');
  if (wildcards.length > 1) fail(state, (wildcards[1] as SelectItem).offset, "'*' may appear only once in SELECT");
  const hasWildcard = wildcards.length === 1;
  if (hasWildcard) state.usesPayload = true;
  const columns: { path: string[]; value: Evaluator }[] = [];
  items.forEach((item, i) => {
    if (item.kind === 'column') {
      columns.push({
        path: item.alias ?? [defaultColumnName(item.expression, i + 1)],
        value: compileExpression(item.expression, state, scope),
      });
    }
  });
  if (hasWildcard && columns.length === 0) {
    return scope.nested ? (root) => root : (_root, env) => env.star;
  }
  const n = columns.length;
  const simple = columns.every((c) => c.path.length === 1 && c.path[0] !== '__proto__');
  const keys = columns.map((c) => c.path[0] as string);
  const values = columns.map((c) => c.value);
  const build = (out: Record<string, SqlValue>, root: SqlValue, env: Env): Record<string, SqlValue> => {
    if (simple) {
      for (let i = 0; i < n; i++) {
        const v = (values[i] as Evaluator)(root, env);
        if (v !== undefined) out[keys[i] as string] = v;
      }
      return out;
    }
    for (const c of columns) {
      const v = c.value(root, env);
      if (v !== undefined) setPath(out, c.path, v);
    }
    return out;
  };
  if (!hasWildcard) return (root, env) => build({}, root, env);
  return (root, env) => {
    const base = scope.nested ? root : env.star;
    if (isRecord(base)) return build({ ...base }, root, env);
    // A non-JSON payload passes through untouched; only an empty one can take columns.
    if (base instanceof Uint8Array && base.length > 0) return base;
    return build({}, root, env);
  };
}

function setPath(out: Record<string, SqlValue>, path: string[], value: SqlValue): void {
  let o = out;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i] as string;
    let next = Object.hasOwn(o, k) ? o[k] : undefined;
    if (!isRecord(next)) {
      next = {};
      setKey(o, k, next);
    }
    o = next;
  }
  setKey(o, path[path.length - 1] as string, value);
}

function compileNestedQuery(query: Query, state: CompileState, outer: Scope): Evaluator {
  if (!query.source) return fail(state, query.offset, 'A nested SELECT needs FROM');
  const source = compileExpression(query.source, state, outer);
  const where = query.where ? compileExpression(query.where, state, NESTED) : undefined;
  const projection = compileProjection(query, state, NESTED);
  return (root, env) => {
    const from = source(root, env);
    if (Array.isArray(from)) {
      const out: SqlValue[] = [];
      for (const element of from) {
        if (where && where(element, env) !== true) continue;
        const v = projection(element, env);
        if (v !== undefined) out.push(v);
      }
      return out;
    }
    if (isRecord(from)) {
      if (where && where(from, env) !== true) return undefined;
      return projection(from, env);
    }
    return undefined;
  };
}
