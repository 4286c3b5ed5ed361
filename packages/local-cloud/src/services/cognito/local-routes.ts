import type { LocalRoute } from '../../edge/edge-server';
import type { LocalTokenIssuer, MintTokenOptions } from './token-issuer';
import type { UserPoolRegistry } from './user-pool-registry';

/** The prefix of the Cognito routes under the edge endpoint's `/_local/`. */
export const COGNITO_LOCAL_PREFIX = 'cognito/';

const POOL_DOCUMENT = /^\/_local\/cognito\/([\w-]+_[0-9A-Za-z]+)\/\.well-known\/(jwks\.json|openid-configuration)$/;

const problem = (status: number, message: string) => ({ status, body: { message } });

/**
 * The local routes of the token issuer, for the edge endpoint to serve under `/_local/cognito/`:
 *
 * - `GET /_local/cognito/pools`: the user pools and their app clients (what a sign-in page needs to know);
 * - `GET /_local/cognito/<poolId>/.well-known/jwks.json`: the pool's public keys;
 * - `GET /_local/cognito/<poolId>/.well-known/openid-configuration`: its issuer and where the keys are;
 * - `POST /_local/cognito/tokens` with `{"username", "clientId"?, "email"?, "expiresIn"?, "tokenUse"?, "scopes"?,
 *   "groups"?}`:
 *   a token for that user (the client may be left out when there is only one), as `{token, sub, userPoolId, expiresAt}`.
 */
export function cognitoLocalRoute(cognito: { issuer: LocalTokenIssuer; registry: UserPoolRegistry }): LocalRoute {
  const { issuer, registry } = cognito;
  return async (request) => {
    const pool = POOL_DOCUMENT.exec(request.path);
    if (pool && request.method === 'GET') {
      const [, poolId = '', document] = pool;
      if (!registry.userPool(poolId)) return problem(404, `No user pool ${poolId}`);
      if (document === 'jwks.json') return { status: 200, body: issuer.jwks() };
      const base = `http://${request.headers.host ?? '127.0.0.1:4566'}/_local/cognito/${poolId}`;
      return {
        status: 200,
        body: {
          issuer: issuer.issuerOf(poolId),
          jwks_uri: `${base}/.well-known/jwks.json`,
          id_token_signing_alg_values_supported: ['RS256'],
          subject_types_supported: ['public'],
          response_types_supported: ['code', 'token'],
        },
      };
    }
    if (request.path === '/_local/cognito/pools' && request.method === 'GET') {
      return {
        status: 200,
        body: {
          userPools: registry.userPools().map((p) => ({
            ...p,
            issuer: issuer.issuerOf(p.id),
            clients: registry.clientsOf(p.id),
          })),
        },
      };
    }
    if (request.path === '/_local/cognito/tokens' && request.method === 'POST') {
      let input: Partial<MintTokenOptions> & { clientId?: string };
      try {
        input = JSON.parse(request.body.toString('utf8') || '{}');
      } catch {
        return problem(400, 'The body must be JSON: {"username": "...", "clientId": "..."}');
      }
      if (typeof input.username !== 'string' || input.username === '') return problem(400, 'username is required');
      const clients = registry.userPools().flatMap((p) => registry.clientsOf(p.id));
      const audience = input.clientId ?? (clients.length === 1 ? clients[0]?.clientId : undefined);
      if (!audience) {
        return problem(
          400,
          `clientId is required: one of ${clients.map((c) => c.clientId).join(', ') || '(none deployed)'}`,
        );
      }
      if (!registry.client(audience)) return problem(404, `No app client ${audience}`);
      const minted = await issuer.mintToken({
        audience,
        username: input.username,
        ...(typeof input.sub === 'string' ? { sub: input.sub } : {}),
        ...(typeof input.email === 'string' ? { email: input.email } : {}),
        ...(typeof input.expiresIn === 'number' ? { expiresIn: input.expiresIn } : {}),
        ...(input.tokenUse === 'access' ? { tokenUse: 'access' as const } : {}),
        ...(Array.isArray(input.scopes) ? { scopes: input.scopes.map(String) } : {}),
        ...(Array.isArray(input.groups) ? { groups: input.groups.map(String) } : {}),
      });
      return { status: 200, body: minted };
    }
    return problem(404, `No local route ${request.path}`);
  };
}
