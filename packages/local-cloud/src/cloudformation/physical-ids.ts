import { createHash } from 'node:crypto';

/**
 * The names and ids CloudFormation makes up for resources a template does not name. CloudFormation draws them at
 * random; here they come from a hash of the stack name and logical id, so a restart (or offline resolution before
 * anything is deployed) gives the same names.
 */

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `length` characters of `alphabet`, drawn from the SHA-256 of `seed`. */
export function stableToken(seed: string, length: number, alphabet = UPPER): string {
  let out = '';
  for (let round = 0; out.length < length; round++) {
    const digest = createHash('sha256').update(`${round}:${seed}`).digest();
    for (const byte of digest) {
      if (out.length === length) break;
      out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

export interface GeneratedNameRules {
  /** The longest name the service accepts. */
  maxLength: number;
  /** S3 buckets: lower case only. */
  lowerCase?: boolean;
  /** Appended after the suffix, e.g. `.fifo` for FIFO queues and topics. */
  ending?: string;
  /** Characters the service does not accept are replaced with `separator` (IoT rule names: letters, digits, _). */
  allowed?: RegExp;
  /** Between stack name, logical id and suffix; `-` unless the service forbids it. */
  separator?: string;
}

/**
 * CloudFormation's generated physical name: `<stack>-<logicalId>-<SUFFIX>` with a 12-character suffix, the stack
 * name and logical id shortened (the longer first) to fit the service's limit.
 */
export function generatedPhysicalName(stackName: string, logicalId: string, rules: GeneratedNameRules): string {
  const separator = rules.separator ?? '-';
  const ending = rules.ending ?? '';
  const suffix = stableToken(`${stackName}/${logicalId}`, 12, rules.lowerCase ? LOWER : UPPER);
  let stack = stackName;
  let id = logicalId;
  const room = rules.maxLength - suffix.length - ending.length - 2 * separator.length;
  while (stack.length + id.length > room) {
    if (stack.length >= id.length) stack = stack.slice(0, -1);
    else id = id.slice(0, -1);
  }
  let name = [stack, id, suffix].filter(Boolean).join(separator);
  if (rules.allowed) {
    const allowed = rules.allowed;
    name = [...name].map((c) => (allowed.test(c) ? c : separator)).join('');
  }
  if (rules.lowerCase) name = name.toLowerCase();
  return `${name}${ending}`;
}

/** An id like API Gateway's (`a1b2c3d4e5`): lower-case letters and digits, from the stack, logical id and a kind. */
export const generatedId = (stackName: string, logicalId: string, length = 10, kind = 'id') =>
  stableToken(`${kind}:${stackName}/${logicalId}`, length, LOWER);

/** A version-4-shaped UUID from a seed, for event source mappings, subscriptions and stack ids. */
export function stableUuid(seed: string): string {
  const hex = createHash('sha256').update(`uuid:${seed}`).digest('hex');
  const variant = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
