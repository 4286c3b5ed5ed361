/**
 * AWS IoT Core policies, parsed and evaluated as the developer guide describes them ("AWS IoT Core policies", "Policy
 * variables", "Thing policy variables"): Allow and Deny statements over actions and resources, `*` and `?` wildcards,
 * policy variables (only in documents of Version 2012-10-17), a few condition operators; an explicit Deny wins over
 * any Allow, and what no statement allows is denied. Pure: no I/O, no clock.
 */

/** The policy language versions AWS accepts; variables are substituted only in 2012-10-17. */
const VERSIONS = new Set(['2012-10-17', '2008-10-17']);
const VARIABLES_VERSION = '2012-10-17';
/** AWS IoT's quota: 2048 characters, whitespace not counted. */
export const MAX_POLICY_DOCUMENT_CHARACTERS = 2048;

const CONDITION_OPERATORS = new Set([
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'Bool',
  'Null',
]);

/** A policy document AWS would refuse (CreatePolicy answers MalformedPolicyException). */
export class MalformedPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedPolicyError';
  }
}

export interface PolicyCondition {
  /** The operator without its `IfExists` suffix. */
  operator: string;
  ifExists: boolean;
  key: string;
  values: string[];
}

export interface PolicyStatement {
  effect: 'Allow' | 'Deny';
  /** Exactly one of actions and notActions is set. */
  actions?: string[];
  notActions?: string[];
  /** Exactly one of resources and notResources is set. */
  resources?: string[];
  notResources?: string[];
  conditions: PolicyCondition[];
}

export interface ParsedPolicy {
  version: string;
  statements: PolicyStatement[];
}

/**
 * The request context: the values of policy variables and condition keys (`iot:ClientId`,
 * `iot:Connection.Thing.ThingName`, `iot:Connection.Thing.Attributes[site]` ...). Undefined when the key has no value
 * (for instance the thing variables of a certificate attached to no thing named as the client id).
 */
export type PolicyContext = (key: string) => string | undefined;

/** What the evaluation of a request against a principal's policies decided. */
export type PolicyDecision = 'ALLOW' | 'EXPLICIT_DENY' | 'IMPLICIT_DENY';

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string');

function stringList(statement: Record<string, unknown>, field: string, index: number): string[] | undefined {
  const value = statement[field];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return [value];
  if (isStringList(value)) return value;
  throw new MalformedPolicyError(`Statement ${index}: ${field} must be a string or a non-empty list of strings`);
}

function parseConditions(value: unknown, index: number): PolicyCondition[] {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MalformedPolicyError(`Statement ${index}: Condition must be an object of operators`);
  }
  const conditions: PolicyCondition[] = [];
  for (const [name, keys] of Object.entries(value)) {
    const ifExists = name.endsWith('IfExists');
    const operator = ifExists ? name.slice(0, -'IfExists'.length) : name;
    if (!CONDITION_OPERATORS.has(operator)) {
      throw new MalformedPolicyError(`Statement ${index}: unsupported condition operator ${name}`);
    }
    if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) {
      throw new MalformedPolicyError(`Statement ${index}: ${name} must be an object of condition keys`);
    }
    for (const [key, values] of Object.entries(keys)) {
      const list = typeof values === 'string' || typeof values === 'boolean' ? [String(values)] : values;
      if (
        !Array.isArray(list) ||
        list.length === 0 ||
        !list.every((v) => typeof v === 'string' || typeof v === 'boolean')
      ) {
        throw new MalformedPolicyError(`Statement ${index}: the values of ${name} ${key} must be strings`);
      }
      conditions.push({ operator, ifExists, key, values: list.map(String) });
    }
  }
  return conditions;
}

function parseStatement(raw: unknown, index: number): PolicyStatement {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new MalformedPolicyError(`Statement ${index} is not an object`);
  }
  const statement = raw as Record<string, unknown>;
  const effect = statement.Effect;
  if (effect !== 'Allow' && effect !== 'Deny') {
    throw new MalformedPolicyError(`Statement ${index}: Effect must be Allow or Deny`);
  }
  const actions = stringList(statement, 'Action', index);
  const notActions = stringList(statement, 'NotAction', index);
  if ((actions === undefined) === (notActions === undefined)) {
    throw new MalformedPolicyError(`Statement ${index}: exactly one of Action and NotAction is required`);
  }
  for (const action of actions ?? notActions ?? []) {
    if (action !== '*' && !/^iot:[A-Za-z*?]+$/i.test(action)) {
      throw new MalformedPolicyError(`Statement ${index}: ${action} is not an AWS IoT action`);
    }
  }
  const resources = stringList(statement, 'Resource', index);
  const notResources = stringList(statement, 'NotResource', index);
  if ((resources === undefined) === (notResources === undefined)) {
    throw new MalformedPolicyError(`Statement ${index}: exactly one of Resource and NotResource is required`);
  }
  return {
    effect,
    ...(actions ? { actions } : { notActions }),
    ...(resources ? { resources } : { notResources }),
    conditions: parseConditions(statement.Condition, index),
  };
}

/** Parses and checks a policy document as CreatePolicy does; throws {@link MalformedPolicyError} naming what is wrong. */
export function parsePolicyDocument(text: string): ParsedPolicy {
  if (text.replace(/\s/g, '').length > MAX_POLICY_DOCUMENT_CHARACTERS) {
    throw new MalformedPolicyError(
      `The policy document exceeds ${MAX_POLICY_DOCUMENT_CHARACTERS} characters (whitespace not counted)`,
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new MalformedPolicyError(`The policy document is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new MalformedPolicyError('The policy document must be a JSON object');
  }
  const { Version: version = '2008-10-17', Statement: statement } = document as Record<string, unknown>;
  if (typeof version !== 'string' || !VERSIONS.has(version)) {
    throw new MalformedPolicyError(`Version must be 2012-10-17 or 2008-10-17, not ${JSON.stringify(version)}`);
  }
  const statements = Array.isArray(statement) ? statement : statement === undefined ? [] : [statement];
  if (statements.length === 0) throw new MalformedPolicyError('The policy document has no Statement');
  return { version, statements: statements.map((s, i) => parseStatement(s, i)) };
}

/** A pattern as pieces: literal text, or a `*` / `?` wildcard. */
type Piece = { literal: string } | { wildcard: '*' | '?' };

const VARIABLE = /\$\{([^}]*)\}/g;
const ESCAPES: Record<string, string> = { '*': '*', '?': '?', $: '$' };

/**
 * Splits a resource or condition pattern into pieces, substituting policy variables when `substitute` is set. A
 * variable's value is literal text (a client id holding `*` is no wildcard); `${*}`, `${?}` and `${$}` are the literal
 * characters. Undefined when a variable has no value: the pattern then matches nothing.
 */
function pieces(pattern: string, context: PolicyContext, substitute: boolean): Piece[] | undefined {
  const out: Piece[] = [];
  const addText = (text: string) => {
    for (const part of text.split(/([*?])/)) {
      if (part === '*' || part === '?') out.push({ wildcard: part });
      else if (part) out.push({ literal: part });
    }
  };
  if (!substitute) {
    addText(pattern);
    return out;
  }
  let last = 0;
  for (const match of pattern.matchAll(VARIABLE)) {
    addText(pattern.slice(last, match.index));
    const name = (match[1] as string).trim();
    const value = ESCAPES[name] ?? context(name);
    if (value === undefined) return undefined;
    out.push({ literal: value });
    last = match.index + match[0].length;
  }
  addText(pattern.slice(last));
  return out;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

function toRegExp(parts: Piece[], ignoreCase: boolean): RegExp {
  const source = parts
    .map((p) => ('literal' in p ? escapeRegExp(p.literal) : p.wildcard === '*' ? '[\\s\\S]*' : '[\\s\\S]'))
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '');
}

function matches(pattern: string, value: string, context: PolicyContext, substitute: boolean, ignoreCase = false) {
  if (pattern === '*') return true;
  const parts = pieces(pattern, context, substitute);
  return parts !== undefined && toRegExp(parts, ignoreCase).test(value);
}

/** The value of a condition pattern with variables substituted, for exact comparisons. */
function resolved(pattern: string, context: PolicyContext, substitute: boolean): string | undefined {
  const parts = pieces(pattern, context, substitute);
  return parts?.map((p) => ('literal' in p ? p.literal : p.wildcard)).join('');
}

function conditionHolds(condition: PolicyCondition, context: PolicyContext, substitute: boolean): boolean {
  const actual = context(condition.key);
  if (condition.operator === 'Null') {
    const wantsMissing = condition.values.some((v) => v.toLowerCase() === 'true');
    return wantsMissing === (actual === undefined);
  }
  const negated = condition.operator.includes('Not');
  if (actual === undefined) return condition.ifExists || negated;
  const any = (test: (expected: string) => boolean) => condition.values.some(test);
  switch (condition.operator) {
    case 'StringEquals':
    case 'StringNotEquals': {
      const equal = any((v) => resolved(v, context, substitute) === actual);
      return negated ? !equal : equal;
    }
    case 'StringEqualsIgnoreCase':
    case 'StringNotEqualsIgnoreCase': {
      const equal = any((v) => resolved(v, context, substitute)?.toLowerCase() === actual.toLowerCase());
      return negated ? !equal : equal;
    }
    case 'StringLike':
    case 'StringNotLike': {
      const like = any((v) => matches(v, actual, context, substitute));
      return negated ? !like : like;
    }
    case 'Bool':
      return any((v) => v.toLowerCase() === actual.toLowerCase());
    default:
      return false;
  }
}

function statementApplies(
  statement: PolicyStatement,
  action: string,
  resource: string,
  context: PolicyContext,
  substitute: boolean,
): boolean {
  const actionMatches = (patterns: string[]) => patterns.some((p) => matches(p, action, context, false, true));
  if (statement.actions ? !actionMatches(statement.actions) : actionMatches(statement.notActions ?? [])) return false;
  const resourceMatches = (patterns: string[]) => patterns.some((p) => matches(p, resource, context, substitute));
  if (statement.resources) {
    if (!resourceMatches(statement.resources)) return false;
  } else if (resourceMatches(statement.notResources ?? [])) {
    return false;
  }
  return statement.conditions.every((c) => conditionHolds(c, context, substitute));
}

/**
 * Decides a request (`iot:Publish` on `arn:aws:iot:<region>:<account>:topic/<topic>` ...) against every policy of
 * the principal: an explicit Deny in any of them wins, else an Allow in any of them allows, else it is denied.
 */
export function evaluatePolicies(
  policies: readonly ParsedPolicy[],
  action: string,
  resource: string,
  context: PolicyContext,
): PolicyDecision {
  let allowed = false;
  for (const policy of policies) {
    const substitute = policy.version === VARIABLES_VERSION;
    for (const statement of policy.statements) {
      if (!statementApplies(statement, action, resource, context, substitute)) continue;
      if (statement.effect === 'Deny') return 'EXPLICIT_DENY';
      allowed = true;
    }
  }
  return allowed ? 'ALLOW' : 'IMPLICIT_DENY';
}

/** The resource ARNs the MQTT actions are authorized on. */
export const iotResourceArns = (region: string, accountId: string) => {
  const prefix = `arn:aws:iot:${region}:${accountId}`;
  return {
    /** iot:Connect */
    client: (clientId: string) => `${prefix}:client/${clientId}`,
    /** iot:Publish and iot:Receive */
    topic: (topic: string) => `${prefix}:topic/${topic}`,
    /** iot:Subscribe */
    topicFilter: (filter: string) => `${prefix}:topicfilter/${filter}`,
  };
};
