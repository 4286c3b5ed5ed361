import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A stable API Gateway style id (lower-case letters and digits, 10 long like a RestApi or Resource id) derived from
 * a seed, so that a restart which re-creates the same stacks hands out the same ids and URLs keep working.
 */
export function apiGatewayId(seed: string, length = 10): string {
  const digest = createHash('sha256').update(seed).digest();
  let id = '';
  for (let i = 0; i < length; i++) id += ALPHABET[(digest[i % digest.length] ?? 0) % ALPHABET.length];
  return id;
}

/** A random id of the same alphabet, for things nobody refers to by id across restarts (deployments). */
export function randomApiGatewayId(length = 6): string {
  return [...randomBytes(length)].map((byte) => ALPHABET[byte % ALPHABET.length]).join('');
}
