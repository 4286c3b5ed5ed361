import { TemplateError, type TemplateLocation, UnsupportedIntrinsicError } from './errors';

/** What `{ "Ref": "AWS::NoValue" }` resolves to: the property or list element holding it is removed. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

/** The intrinsic functions the interpreter evaluates. */
export const SUPPORTED_INTRINSICS = [
  'Ref',
  'Fn::GetAtt',
  'Fn::Join',
  'Fn::Sub',
  'Fn::Select',
  'Fn::Split',
  'Fn::If',
  'Fn::ImportValue',
  'Fn::GetAZs',
  'Fn::FindInMap',
  'Fn::Base64',
] as const;

/** The condition functions, valid only inside `Conditions` (and so not in `SUPPORTED_INTRINSICS`). */
export const CONDITION_FUNCTIONS = ['Fn::Equals', 'Fn::Not', 'Fn::And', 'Fn::Or'] as const;

const SUPPORTED = new Set<string>(SUPPORTED_INTRINSICS);
const CONDITIONS = new Set<string>(CONDITION_FUNCTIONS);

/**
 * What resolution needs from the stack: the value of a `Ref` to a parameter, pseudo parameter or resource, a
 * resource attribute, a condition, an export. Each throws a `TemplateError` naming what is missing.
 */
export interface ResolutionContext {
  /** Where the value being resolved sits, for error messages. */
  location: TemplateLocation;
  region: string;
  ref(name: string): unknown;
  getAtt(logicalId: string, attribute: string): unknown;
  condition(name: string): boolean;
  importValue(exportName: string): unknown;
  findInMap(mapName: string, topLevelKey: string, secondLevelKey: string): unknown;
}

/** `{ "Fn::X": arg }` and `{ "Ref": arg }` as `[name, arg]`; anything else is not an intrinsic call. */
export function intrinsicCall(value: unknown): [string, unknown] | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const name = keys[0] as string;
  if (name !== 'Ref' && !name.startsWith('Fn::')) return undefined;
  return [name, (value as Record<string, unknown>)[name]];
}

export type SubPart = { literal: string } | { variable: string };

/** Splits an `Fn::Sub` string into literal text and `${...}` variables; `${!Text}` is the literal `${Text}`. */
export function parseSub(template: string, location: TemplateLocation): SubPart[] {
  const parts: SubPart[] = [];
  let literal = '';
  let at = 0;
  while (at < template.length) {
    const open = template.indexOf('${', at);
    if (open < 0) {
      literal += template.slice(at);
      break;
    }
    literal += template.slice(at, open);
    if (template[open + 2] === '!') {
      literal += '${';
      at = open + 3;
      continue;
    }
    const close = template.indexOf('}', open + 2);
    if (close < 0) throw new TemplateError(location, `Fn::Sub string has an unclosed \${ in "${template}"`);
    const variable = template.slice(open + 2, close).trim();
    if (variable === '') throw new TemplateError(location, `Fn::Sub string has an empty \${} in "${template}"`);
    if (literal) parts.push({ literal });
    literal = '';
    parts.push({ variable });
    at = close + 1;
  }
  if (literal) parts.push({ literal });
  return parts;
}

/** `Res.Attr` in an `Fn::Sub` variable or the string form of `Fn::GetAtt`: split at the first dot. */
function splitAttribute(text: string): [string, string] | undefined {
  const dot = text.indexOf('.');
  return dot > 0 && dot < text.length - 1 ? [text.slice(0, dot), text.slice(dot + 1)] : undefined;
}

function subArguments(arg: unknown, location: TemplateLocation): { text: string; variables: Record<string, unknown> } {
  if (typeof arg === 'string') return { text: arg, variables: {} };
  if (
    Array.isArray(arg) &&
    arg.length === 2 &&
    typeof arg[0] === 'string' &&
    typeof arg[1] === 'object' &&
    arg[1] !== null &&
    !Array.isArray(arg[1])
  ) {
    return { text: arg[0], variables: arg[1] as Record<string, unknown> };
  }
  throw new TemplateError(location, 'Fn::Sub takes a string or [string, { variable: value }]');
}

function listOf(arg: unknown, length: number, name: string, location: TemplateLocation): unknown[] {
  if (!Array.isArray(arg) || arg.length !== length) {
    throw new TemplateError(location, `${name} takes a list of ${length} arguments`);
  }
  return arg;
}

/** A scalar in the string form CloudFormation substitutes it in. */
function asText(value: unknown, what: string, location: TemplateLocation): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new TemplateError(location, `${what} must be a string, not ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === NO_VALUE) return 'AWS::NoValue';
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `the ${typeof value} ${String(value)}`;
}

function asList(value: unknown, what: string, location: TemplateLocation): unknown[] {
  if (!Array.isArray(value)) throw new TemplateError(location, `${what} must be a list, not ${describe(value)}`);
  return value;
}

/**
 * Resolves every intrinsic function in a value. Lists and objects are resolved element by element, dropping
 * `AWS::NoValue`; a value that is itself `AWS::NoValue` resolves to `NO_VALUE`. Only the branch `Fn::If` takes is
 * resolved, so the other may name resources that do not exist.
 */
export function resolveValue(value: unknown, context: ResolutionContext): unknown {
  if (Array.isArray(value)) {
    return value.map((item) => resolveValue(item, context)).filter((item) => item !== NO_VALUE);
  }
  if (typeof value !== 'object' || value === null) return value;
  const call = intrinsicCall(value);
  if (call) return resolveCall(call[0], call[1], context);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const resolved = resolveValue(item, context);
    if (resolved !== NO_VALUE) out[key] = resolved;
  }
  return out;
}

function resolveCall(name: string, arg: unknown, context: ResolutionContext): unknown {
  const { location } = context;
  const resolve = (value: unknown) => resolveValue(value, context);
  switch (name) {
    case 'Ref': {
      if (typeof arg !== 'string') throw new TemplateError(location, 'Ref takes a logical id or parameter name');
      return arg === 'AWS::NoValue' ? NO_VALUE : context.ref(arg);
    }
    case 'Fn::GetAtt': {
      if (typeof arg === 'string') {
        const split = splitAttribute(arg);
        if (!split) throw new TemplateError(location, `Fn::GetAtt "${arg}" is not in the form LogicalId.Attribute`);
        return context.getAtt(...split);
      }
      const [logicalId, attribute] = listOf(arg, 2, 'Fn::GetAtt', location);
      const attributeName = asText(resolve(attribute), 'The attribute name of Fn::GetAtt', location);
      if (typeof logicalId !== 'string') throw new TemplateError(location, 'Fn::GetAtt takes a logical id first');
      return context.getAtt(logicalId, attributeName);
    }
    case 'Fn::Join': {
      const [delimiter, items] = listOf(arg, 2, 'Fn::Join', location);
      if (typeof delimiter !== 'string')
        throw new TemplateError(location, 'The delimiter of Fn::Join must be a string');
      return asList(resolve(items), 'The values of Fn::Join', location)
        .filter((item) => item !== NO_VALUE)
        .map((item) => asText(item, 'Each value of Fn::Join', location))
        .join(delimiter);
    }
    case 'Fn::Sub': {
      const { text, variables } = subArguments(arg, location);
      return parseSub(text, location)
        .map((part) => {
          if ('literal' in part) return part.literal;
          const { variable } = part;
          if (Object.hasOwn(variables, variable)) {
            return asText(resolve(variables[variable]), `Fn::Sub variable \${${variable}}`, location);
          }
          const attribute = variable.startsWith('AWS::') ? undefined : splitAttribute(variable);
          const value = attribute ? context.getAtt(...attribute) : context.ref(variable);
          return asText(value, `Fn::Sub variable \${${variable}}`, location);
        })
        .join('');
    }
    case 'Fn::Select': {
      const [index, items] = listOf(arg, 2, 'Fn::Select', location);
      const resolvedIndex = resolve(index);
      const position = typeof resolvedIndex === 'string' ? Number(resolvedIndex) : resolvedIndex;
      if (typeof position !== 'number' || !Number.isInteger(position) || position < 0) {
        throw new TemplateError(
          location,
          `The index of Fn::Select must be a whole number, not ${describe(resolvedIndex)}`,
        );
      }
      const list = asList(resolve(items), 'The values of Fn::Select', location);
      if (position >= list.length) {
        throw new TemplateError(location, `Fn::Select index ${position} is out of range for a list of ${list.length}`);
      }
      return list[position];
    }
    case 'Fn::Split': {
      const [delimiter, source] = listOf(arg, 2, 'Fn::Split', location);
      if (typeof delimiter !== 'string' || delimiter === '') {
        throw new TemplateError(location, 'The delimiter of Fn::Split must be a non-empty string');
      }
      return asText(resolve(source), 'The source string of Fn::Split', location).split(delimiter);
    }
    case 'Fn::If': {
      const [condition, whenTrue, whenFalse] = listOf(arg, 3, 'Fn::If', location);
      if (typeof condition !== 'string') throw new TemplateError(location, 'Fn::If takes a condition name first');
      return resolve(context.condition(condition) ? whenTrue : whenFalse);
    }
    case 'Fn::ImportValue':
      return context.importValue(asText(resolve(arg), 'The export name of Fn::ImportValue', location));
    case 'Fn::GetAZs': {
      const region = resolve(arg);
      const name = region === '' || region === undefined ? context.region : asText(region, 'Fn::GetAZs', location);
      return ['a', 'b', 'c'].map((zone) => `${name}${zone}`);
    }
    case 'Fn::FindInMap': {
      const keys = listOf(arg, 3, 'Fn::FindInMap', location).map((key) =>
        asText(resolve(key), 'Each key of Fn::FindInMap', location),
      );
      return context.findInMap(keys[0] as string, keys[1] as string, keys[2] as string);
    }
    case 'Fn::Base64':
      return Buffer.from(asText(resolve(arg), 'The value of Fn::Base64', location), 'utf8').toString('base64');
    default:
      if (CONDITIONS.has(name)) {
        throw new TemplateError(location, `${name} can be used only in Conditions; use Fn::If with a condition name`);
      }
      throw new UnsupportedIntrinsicError(location, name);
  }
}

/** What a value refers to, without resolving it: names given to Ref, resources given to Fn::GetAtt. */
export interface References {
  /** Names in `Ref` and plain `${Name}` variables: parameters, pseudo parameters or resources. */
  refs: Set<string>;
  /** Logical ids in `Fn::GetAtt` and `${Res.Attr}` variables. */
  attributeOf: Set<string>;
  /** Intrinsic functions the interpreter does not evaluate. */
  unsupported: Set<string>;
}

/**
 * Collects what a value refers to, following only the branch each `Fn::If` takes (`condition` tells which), so
 * the dependency graph matches what resolution will read.
 */
export function collectReferences(
  value: unknown,
  condition: (name: string) => boolean,
  location: TemplateLocation,
  into: References = { refs: new Set(), attributeOf: new Set(), unsupported: new Set() },
): References {
  const walk = (item: unknown) => collectReferences(item, condition, location, into);
  if (Array.isArray(value)) {
    for (const item of value) walk(item);
    return into;
  }
  if (typeof value !== 'object' || value === null) return into;
  const call = intrinsicCall(value);
  if (!call) {
    for (const item of Object.values(value)) walk(item);
    return into;
  }
  const [name, arg] = call;
  if (name === 'Ref' && typeof arg === 'string') {
    if (arg !== 'AWS::NoValue') into.refs.add(arg);
  } else if (name === 'Fn::GetAtt') {
    const logicalId = typeof arg === 'string' ? splitAttribute(arg)?.[0] : Array.isArray(arg) ? arg[0] : undefined;
    if (typeof logicalId === 'string') into.attributeOf.add(logicalId);
    if (Array.isArray(arg)) walk(arg[1]);
  } else if (name === 'Fn::Sub') {
    const text = typeof arg === 'string' ? arg : Array.isArray(arg) ? arg[0] : undefined;
    const variables = Array.isArray(arg) && typeof arg[1] === 'object' && arg[1] !== null ? arg[1] : {};
    if (typeof text === 'string') {
      for (const part of parseSub(text, location)) {
        if (!('variable' in part) || Object.hasOwn(variables, part.variable)) continue;
        const attribute = part.variable.startsWith('AWS::') ? undefined : splitAttribute(part.variable);
        if (attribute) into.attributeOf.add(attribute[0]);
        else into.refs.add(part.variable);
      }
    }
    walk(Object.values(variables));
  } else if (name === 'Fn::If' && Array.isArray(arg) && typeof arg[0] === 'string') {
    walk(condition(arg[0]) ? arg[1] : arg[2]);
  } else if (!SUPPORTED.has(name) && !CONDITIONS.has(name)) {
    into.unsupported.add(name);
    walk(arg);
  } else {
    walk(arg);
  }
  return into;
}
