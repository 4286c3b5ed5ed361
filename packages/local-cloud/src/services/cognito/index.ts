/**
 * The local stand-in for Amazon Cognito user pools: the pools and app clients of the templates (a CloudFormation
 * provider), a token issuer signing Cognito-shaped JWTs with a key kept under the data folder, its JWKS, and the
 * `AuthorizeStrategy` with which the REST API emulation honours COGNITO_USER_POOLS authorizers.
 */
export * from './authorize-strategy';
export * from './cloudformation-provider';
export * from './local-routes';
export * from './token-issuer';
export * from './user-pool-registry';

import type { AuthorizeStrategy } from '../apigateway/authorization';
import { cognitoAuthorizeStrategy } from './authorize-strategy';
import { cognitoResourceProviders } from './cloudformation-provider';
import { cognitoLocalRoute } from './local-routes';
import { LocalTokenIssuer, type TokenIssuerOptions } from './token-issuer';
import { UserPoolRegistry } from './user-pool-registry';

/** Everything the local cloud wires in for Cognito, from one call. */
export async function startLocalCognito(
  options: Omit<TokenIssuerOptions, 'registry'> & { otherAuthorizers?: AuthorizeStrategy },
) {
  const registry = new UserPoolRegistry();
  const issuer = await LocalTokenIssuer.open({ ...options, registry });
  return {
    registry,
    issuer,
    /** For the CloudFormation interpreter, beside the other providers. */
    providers: cognitoResourceProviders(registry),
    /** For the REST API server's `authorize`. */
    authorize: cognitoAuthorizeStrategy({
      issuer,
      registry,
      ...(options.otherAuthorizers ? { otherAuthorizers: options.otherAuthorizers } : {}),
      ...(options.now ? { now: options.now } : {}),
    }),
    /** For the edge endpoint's `/_local/cognito/...` paths. */
    localRoute: cognitoLocalRoute({ issuer, registry }),
  };
}
