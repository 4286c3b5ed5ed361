import type { APIGatewayProxyEvent } from 'aws-lambda';
import { HttpProblem } from './http';

/** The signed-in user a request comes from. */
export interface Caller {
  /** The user's `sub`: stable, unique in the user pool, never reused. Devices belong to it. */
  userId: string;
  username?: string;
  email?: string;
  /** The user pool groups the user belongs to (`cognito:groups`); empty when none. */
  groups: string[];
}

/**
 * The user pool group whose members operate the whole fleet: the fleet-wide routes that act on every user's devices
 * (`PUT /fleet/thresholds`, `GET /fleet/metrics`) are theirs. iot-device-config-api's user pool declares it.
 */
export const FLEET_OPERATORS_GROUP = 'fleet-operators';

/**
 * The groups of a `cognito:groups` claim as API Gateway hands it on: comma-separated (REST APIs), or a bracketed,
 * space-separated list (`[a b]`, HTTP APIs).
 */
function groupsOf(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.map(String).filter((group) => group !== '');
  if (typeof claim !== 'string') return [];
  return claim
    .replace(/^\[|\]$/g, '')
    .split(/[,\s]+/)
    .filter((group) => group !== '');
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
  return {
    userId: sub,
    ...(username ? { username } : {}),
    ...(email ? { email } : {}),
    groups: groupsOf(claims?.['cognito:groups']),
  };
}

/** Refuses, with a 403 naming the group, a caller who is not a member of it. */
export function requireGroup(caller: Caller, group: string, what: string): void {
  if (!caller.groups.includes(group)) {
    throw new HttpProblem(403, 'Forbidden', `${what} is for members of the ${group} group only`);
  }
}
