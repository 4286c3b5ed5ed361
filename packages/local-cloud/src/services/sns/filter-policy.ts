import { isIP } from 'node:net';
import type { MessageAttributeValue } from '../../contracts';

/**
 * SNS subscription filter policies, as documented: a policy is an object whose keys all have to match (AND), each
 * naming a message attribute (scope `MessageAttributes`) or a field of the JSON message body (scope `MessageBody`,
 * where objects nest), with a list of conditions of which one has to match (OR); `$or` holds alternative policies.
 * Conditions: exact strings and numbers, `prefix`, `suffix`, `equals-ignore-case`, `anything-but` (values or a
 * `prefix`/`suffix`), `numeric` comparisons and ranges, `exists`, and `cidr` for IP addresses.
 */
export type FilterPolicyScope = 'MessageAttributes' | 'MessageBody';

export type FilterPolicy = { [key: string]: unknown };

export class FilterPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterPolicyError';
  }
}

type Scalar = string | number | boolean | null;

/** What a message holds under one key: whether it is there at all, and the values to compare. */
interface Field {
  present: boolean;
  values: Scalar[];
}

const OPERATORS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'numeric', 'exists', 'cidr']);
const LOWER = new Set(['>', '>=']);
const UPPER = new Set(['<', '<=']);

/** Parses and checks a policy; throws a {@link FilterPolicyError} saying what is wrong. */
export function parseFilterPolicy(text: string, scope: FilterPolicyScope): FilterPolicy {
  let policy: unknown;
  try {
    policy = JSON.parse(text);
  } catch {
    throw new FilterPolicyError('failed to parse JSON.');
  }
  validatePolicy(policy, scope, 0);
  return policy as FilterPolicy;
}

function validatePolicy(policy: unknown, scope: FilterPolicyScope, depth: number): void {
  if (!isObject(policy)) throw new FilterPolicyError('Filter policy must be a JSON object.');
  if (depth === 0 && Object.keys(policy).length === 0) throw new FilterPolicyError('Filter policy must not be empty.');
  for (const [key, value] of Object.entries(policy)) {
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2) {
        throw new FilterPolicyError('"$or" must be an array of at least two filter policies.');
      }
      for (const alternative of value) validatePolicy(alternative, scope, depth + 1);
    } else if (Array.isArray(value)) {
      if (value.length === 0) throw new FilterPolicyError(`Empty arrays are not allowed (key ${key}).`);
      for (const condition of value) validateCondition(key, condition);
    } else if (isObject(value)) {
      if (scope === 'MessageAttributes') {
        throw new FilterPolicyError(
          `Filter policy scope MessageAttributes does not support nested filter policy (key ${key}).`,
        );
      }
      validatePolicy(value, scope, depth + 1);
    } else {
      throw new FilterPolicyError(`Match value must be an array (key ${key}).`);
    }
  }
}

function validateCondition(key: string, condition: unknown): void {
  if (condition === null || ['string', 'number', 'boolean'].includes(typeof condition)) return;
  if (!isObject(condition)) throw new FilterPolicyError(`Unrecognized match type for key ${key}.`);
  const operators = Object.keys(condition);
  if (operators.length !== 1) throw new FilterPolicyError(`A condition has exactly one operator (key ${key}).`);
  const operator = operators[0] as string;
  const operand = condition[operator];
  if (!OPERATORS.has(operator)) throw new FilterPolicyError(`Unrecognized match type ${operator}.`);
  switch (operator) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
      if (typeof operand !== 'string') throw new FilterPolicyError(`${operator} match pattern must be a string.`);
      return;
    case 'exists':
      if (typeof operand !== 'boolean')
        throw new FilterPolicyError('exists match pattern must be either true or false.');
      return;
    case 'cidr':
      if (typeof operand !== 'string' || !parseCidr(operand)) {
        throw new FilterPolicyError(`Malformed CIDR, one '/' required (key ${key}).`);
      }
      return;
    case 'numeric':
      parseNumeric(operand);
      return;
    case 'anything-but': {
      if (typeof operand === 'string' || typeof operand === 'number') return;
      if (Array.isArray(operand)) {
        if (operand.length === 0 || operand.some((v) => typeof v !== 'string' && typeof v !== 'number')) {
          throw new FilterPolicyError('Inside anything but list, only strings and numbers are allowed.');
        }
        return;
      }
      if (isObject(operand)) {
        const [inner, ...rest] = Object.keys(operand);
        if (
          rest.length === 0 &&
          (inner === 'prefix' || inner === 'suffix' || inner === 'equals-ignore-case') &&
          typeof operand[inner] === 'string'
        ) {
          return;
        }
      }
      throw new FilterPolicyError('Value of anything-but must be an array, a string, a number, or a prefix or suffix.');
    }
  }
}

/** `[op, n]` or `[lower-op, n, upper-op, m]` with n < m. */
function parseNumeric(operand: unknown): Array<[string, number]> {
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) {
    throw new FilterPolicyError('Value of numeric must be an array of one or two comparisons.');
  }
  const comparisons: Array<[string, number]> = [];
  for (let i = 0; i < operand.length; i += 2) {
    const op = operand[i];
    const value = operand[i + 1];
    if (typeof op !== 'string' || !['=', '<', '<=', '>', '>='].includes(op)) {
      throw new FilterPolicyError(`Unrecognized numeric range operator: ${String(op)}`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new FilterPolicyError(`Value of ${op} must be numeric.`);
    }
    comparisons.push([op, value]);
  }
  if (comparisons.length === 2) {
    const [[low, lowValue], [high, highValue]] = comparisons as [[string, number], [string, number]];
    if (!LOWER.has(low) || !UPPER.has(high)) {
      throw new FilterPolicyError(
        'Too many elements in numeric expression: a range is a lower bound then an upper bound.',
      );
    }
    if (lowValue >= highValue) throw new FilterPolicyError('Bottom must be less than top.');
  }
  return comparisons;
}

/** Whether a message passes the policy. */
export function matchesFilterPolicy(
  policy: FilterPolicy,
  scope: FilterPolicyScope,
  message: { body: string; attributes: Record<string, MessageAttributeValue> },
): boolean {
  if (scope === 'MessageAttributes') {
    return matchPolicy(
      policy,
      (key) => attributeField(message.attributes[key]),
      () => undefined,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(message.body);
  } catch {
    return false;
  }
  if (!isObject(body)) return false;
  return matchBody(policy, body);
}

function matchBody(policy: FilterPolicy, object: Record<string, unknown> | undefined): boolean {
  return matchPolicy(
    policy,
    (key) => bodyField(object, key),
    (key, nested) => {
      const child = object?.[key];
      if (Array.isArray(child)) return child.some((element) => isObject(element) && matchBody(nested, element));
      return matchBody(nested, isObject(child) ? child : undefined);
    },
  );
}

function matchPolicy(
  policy: FilterPolicy,
  field: (key: string) => Field,
  nested: (key: string, policy: FilterPolicy) => boolean | undefined,
): boolean {
  return Object.entries(policy).every(([key, value]) => {
    if (key === '$or') {
      return (value as FilterPolicy[]).some((alternative) => matchPolicy(alternative, field, nested));
    }
    if (Array.isArray(value)) {
      const found = field(key);
      return value.some((condition) => matchCondition(condition, found));
    }
    return nested(key, value as FilterPolicy) ?? false;
  });
}

function matchCondition(condition: unknown, field: Field): boolean {
  if (!isObject(condition)) return field.values.some((value) => equals(condition as Scalar, value));
  const [operator, operand] = Object.entries(condition)[0] as [string, unknown];
  if (operator === 'exists') return operand === field.present;
  switch (operator) {
    case 'prefix':
      return field.values.some((v) => typeof v === 'string' && v.startsWith(operand as string));
    case 'suffix':
      return field.values.some((v) => typeof v === 'string' && v.endsWith(operand as string));
    case 'equals-ignore-case':
      return field.values.some((v) => typeof v === 'string' && v.toLowerCase() === (operand as string).toLowerCase());
    case 'numeric': {
      const comparisons = parseNumeric(operand);
      return field.values.some((v) => typeof v === 'number' && comparisons.every(([op, n]) => compare(v, op, n)));
    }
    case 'cidr': {
      const range = parseCidr(operand as string);
      return field.values.some((v) => typeof v === 'string' && range !== undefined && inCidr(v, range));
    }
    case 'anything-but':
      return field.values.some((v) => !excludedBy(operand, v));
    default:
      return false;
  }
}

function excludedBy(operand: unknown, value: Scalar): boolean {
  if (Array.isArray(operand)) return operand.some((excluded) => equals(excluded as Scalar, value));
  if (isObject(operand)) {
    if (typeof value !== 'string') return false;
    if (typeof operand.prefix === 'string') return value.startsWith(operand.prefix);
    if (typeof operand.suffix === 'string') return value.endsWith(operand.suffix);
    const ignoringCase = operand['equals-ignore-case'];
    return typeof ignoringCase === 'string' && value.toLowerCase() === ignoringCase.toLowerCase();
  }
  return equals(operand as Scalar, value);
}

function equals(condition: Scalar, value: Scalar): boolean {
  return typeof condition === typeof value && condition === value;
}

function compare(value: number, op: string, operand: number): boolean {
  switch (op) {
    case '=':
      return value === operand;
    case '<':
      return value < operand;
    case '<=':
      return value <= operand;
    case '>':
      return value > operand;
    default:
      return value >= operand;
  }
}

/** A message attribute as filter values: a String as text, a Number as number, a String.Array element by element. */
function attributeField(attribute: MessageAttributeValue | undefined): Field {
  if (!attribute) return { present: false, values: [] };
  const type = attribute.DataType;
  const text = attribute.StringValue ?? '';
  if (type === 'String.Array') {
    try {
      const parsed: unknown = JSON.parse(text);
      return { present: true, values: Array.isArray(parsed) ? parsed.filter(isScalar) : [] };
    } catch {
      return { present: true, values: [] };
    }
  }
  if (type.startsWith('Number')) return { present: true, values: [Number(text)] };
  if (type.startsWith('String')) return { present: true, values: [text] };
  return { present: true, values: [] };
}

function bodyField(object: Record<string, unknown> | undefined, key: string): Field {
  if (!object || !(key in object)) return { present: false, values: [] };
  const value = object[key];
  if (Array.isArray(value)) return { present: true, values: value.filter(isScalar) };
  return { present: true, values: isScalar(value) ? [value] : [] };
}

interface Cidr {
  bytes: Buffer;
  bits: number;
}

function parseCidr(text: string): Cidr | undefined {
  const [address, bits, ...rest] = text.split('/');
  if (rest.length > 0 || address === undefined || bits === undefined || !/^\d+$/.test(bits)) return undefined;
  const bytes = ipBytes(address);
  const length = Number(bits);
  if (!bytes || length > bytes.length * 8) return undefined;
  return { bytes, bits: length };
}

function inCidr(value: string, range: Cidr): boolean {
  const bytes = ipBytes(value);
  if (!bytes || bytes.length !== range.bytes.length) return false;
  for (let bit = 0; bit < range.bits; bit++) {
    const mask = 0x80 >> (bit % 8);
    const index = Math.floor(bit / 8);
    if (((bytes[index] as number) & mask) !== ((range.bytes[index] as number) & mask)) return false;
  }
  return true;
}

function ipBytes(address: string): Buffer | undefined {
  const version = isIP(address);
  if (version === 4) return Buffer.from(address.split('.').map(Number));
  if (version !== 6) return undefined;
  const [head = '', tail] = address.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const headGroups = groups(head);
  const tailGroups = tail === undefined ? [] : groups(tail);
  const missing = 8 - headGroups.length - tailGroups.length;
  const all = [...headGroups, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailGroups];
  if (all.length !== 8 || all.some((g) => g.includes('.'))) return undefined;
  return Buffer.from(all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}

function isScalar(value: unknown): value is Scalar {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
