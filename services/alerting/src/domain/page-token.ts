import type * as z from 'zod';

/** A `nextToken` that this API did not return for the same query. */
export class InvalidPageTokenError extends Error {
  constructor() {
    super('not a token this API returned for this query');
    this.name = 'InvalidPageTokenError';
  }
}

/** The position after the last item of a page, as an opaque URL-safe token. */
export function encodePageToken(position: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/**
 * The position a token holds, checked with `schema` (which also pins it to the query it was issued for), so a
 * tampered or foreign token is a 400 rather than a database error.
 */
export function decodePageToken<Schema extends z.ZodType>(token: string, schema: Schema): z.infer<Schema> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidPageTokenError();
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidPageTokenError();
  return result.data;
}
