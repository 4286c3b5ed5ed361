import type { APIGatewayProxyEvent } from 'aws-lambda';
import { HttpProblem } from './http';

/** The signed-in user a request comes from. */
export interface Caller {
  /** The user's `sub`: stable, unique in the user pool, never reused. Devices belong to it. */
  userId: string;
  username?: string;
  email?: string;
}

/**
 * The user of a request that passed a COGNITO_USER_POOLS authorizer, from the claims API Gateway puts in
 * `requestContext.authorizer.claims`. Without them (a route deployed without the authorizer, a test event) the
 * request is refused with a 401 rather than served as nobody.
 */
export function callerOf(event: Pick<APIGatewayProxyEvent, 'requestContext'>): Caller {
  const claims = (event.requestContext?.authorizer as { claims?: Record<string, unknown> } | null | undefined)?.claims;
  const sub = claims?.sub;
  if (typeof sub !== 'string' || sub === '') {
    throw new HttpProblem(
      401,
      'Unauthorized',
      'A Cognito ID token is required in the Authorization header.',
      undefined,
      {
        'www-authenticate': 'Bearer',
      },
    );
  }
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const username = text(claims?.['cognito:username']);
  const email = text(claims?.email);
  return { userId: sub, ...(username ? { username } : {}), ...(email ? { email } : {}) };
}
