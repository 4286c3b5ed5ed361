import { createLocalJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import { type AuthorizationDecision, type AuthorizeStrategy, allowEveryRequest } from '../apigateway/authorization';
import type { LocalTokenIssuer } from './token-issuer';
import { type UserPoolRegistry, userPoolIdOfArn } from './user-pool-registry';

export interface CognitoAuthorizeOptions {
  issuer: LocalTokenIssuer;
  registry: UserPoolRegistry;
  /** Decides requests to methods with a Lambda (CUSTOM) authorizer; lets them through unless given. */
  otherAuthorizers?: AuthorizeStrategy;
  /** Milliseconds; `Date.now` unless given (tests). */
  now?: () => number;
}

const UNAUTHORIZED: AuthorizationDecision = { allow: false, statusCode: 401, message: 'Unauthorized' };

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** A time as API Gateway writes `exp` and `iat` in the claims: `Fri Jul 29 18:52:53 UTC 2016`. */
export function claimDate(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${two(d.getUTCDate())} ${time} UTC ${d.getUTCFullYear()}`;
}

/**
 * The claims as a COGNITO_USER_POOLS authorizer hands them to the integration (`requestContext.authorizer.claims`):
 * every value a string; `exp` and `iat` as dates, arrays joined with commas.
 */
export function apiGatewayClaims(payload: JWTPayload): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined || value === null) continue;
    if ((name === 'exp' || name === 'iat') && typeof value === 'number') claims[name] = claimDate(value);
    else if (Array.isArray(value)) claims[name] = value.map(String).join(',');
    else if (typeof value === 'object') claims[name] = JSON.stringify(value);
    else claims[name] = String(value);
  }
  return claims;
}

/** The header a token is read from: the authorizer's `IdentitySource` (`method.request.header.<Name>`). */
function tokenHeaderOf(identitySource: string | undefined): string {
  const name = /^method\.request\.header\.(.+)$/.exec(identitySource?.split(',')[0]?.trim() ?? '')?.[1];
  return (name ?? 'Authorization').toLowerCase();
}

/**
 * The `AuthorizeStrategy` of the REST API emulation for COGNITO_USER_POOLS authorizers, as API Gateway applies them:
 * the token (in the authorizer's identity source header, as it is or after `Bearer `) must be a JWT signed (RS256) by
 * the local issuer's key, with `exp`, `iat` and `sub`, not expired (nor before its `nbf`), issued (`iss`) by one of
 * the authorizer's `ProviderARNs` pools, and for one of that pool's
 * app clients. A method without authorization scopes takes ID tokens (`aud` = the client); a method with scopes takes
 * access tokens (`client_id` = the client) holding one of its scopes, and refuses a valid token lacking them with 403.
 * Anything else is `401 {"message":"Unauthorized"}`. A passed request carries the claims, as strings.
 */
export function cognitoAuthorizeStrategy(options: CognitoAuthorizeOptions): AuthorizeStrategy {
  const others = options.otherAuthorizers ?? allowEveryRequest;
  const keys = createLocalJWKSet(options.issuer.jwks());

  return async (request, authorizer) => {
    if (authorizer.properties.Type !== 'COGNITO_USER_POOLS') return others(request, authorizer);

    const header = request.headers[tokenHeaderOf(authorizer.properties.IdentitySource)];
    const token = header?.trim().replace(/^Bearer\s+/i, '');
    if (!token) return UNAUTHORIZED;
    try {
      decodeProtectedHeader(token);
    } catch {
      return UNAUTHORIZED;
    }

    const poolIds = (authorizer.properties.ProviderARNs ?? [])
      .map((arn) => options.registry.userPoolByArn(arn)?.id ?? userPoolIdOfArn(arn))
      .filter((id): id is string => id !== undefined);
    const issuers = poolIds.map((id) => options.issuer.issuerOf(id));
    if (issuers.length === 0) return UNAUTHORIZED;

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms: ['RS256'],
        issuer: issuers,
        // Cognito's tokens always carry them; a token without an expiry would never expire.
        requiredClaims: ['exp', 'iat', 'sub'],
        ...(options.now ? { currentDate: new Date(options.now()) } : {}),
      }));
    } catch {
      return UNAUTHORIZED;
    }

    const poolId = poolIds[issuers.indexOf(payload.iss as string)] as string;
    const clientIds = new Set(options.registry.clientsOf(poolId).map((client) => client.clientId));
    const scopes = request.method.AuthorizationScopes ?? [];
    if (scopes.length === 0) {
      const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (payload.token_use !== 'id' || !audiences.some((aud) => aud !== undefined && clientIds.has(aud))) {
        return UNAUTHORIZED;
      }
    } else {
      if (payload.token_use !== 'access' || !clientIds.has(String(payload.client_id))) return UNAUTHORIZED;
      const granted = new Set(String(payload.scope ?? '').split(' '));
      if (!scopes.some((scope) => granted.has(scope))) {
        return { allow: false, statusCode: 403, message: 'Unauthorized' };
      }
    }
    return { allow: true, authorizerContext: { claims: apiGatewayClaims(payload) } };
  };
}
