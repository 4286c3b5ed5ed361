import type { AuthorizerRecord, MethodProperties } from './rest-api-registry';

/** What an authorizer sees of a request to a method that has one (CUSTOM or COGNITO_USER_POOLS). */
export interface AuthorizationRequest {
  restApiId: string;
  stage: string;
  httpMethod: string;
  /** The request path after the stage, as sent. */
  path: string;
  /** The resource path template, `/devices/{deviceId}/config`. */
  resourcePath: string;
  /** Header names in lower case; a repeated header's values joined with `,`. */
  headers: Readonly<Record<string, string>>;
  queryStringParameters: Readonly<Record<string, string>>;
  pathParameters: Readonly<Record<string, string>>;
  stageVariables: Readonly<Record<string, string>>;
  sourceIp: string;
  method: Readonly<MethodProperties>;
}

export type AuthorizationDecision =
  | {
      allow: true;
      /**
       * Becomes `requestContext.authorizer` of the proxy event: `{ claims: {...} }` for a Cognito user pool
       * authorizer, `{ principalId, ...context }` for a Lambda authorizer. Omit it and the event has no authorizer.
       */
      authorizerContext?: Record<string, unknown>;
    }
  | {
      allow: false;
      /** 401 for a missing or invalid token, 403 for a valid one that may not call the method. */
      statusCode: 401 | 403;
      /** Defaults to AWS's wording for the status: `Unauthorized` or `User is not authorized to access this resource...`. */
      message?: string;
    };

/**
 * Decides whether a request may reach a method protected by an authorizer. This is where checking a Cognito JWT
 * (COGNITO_USER_POOLS) or calling a Lambda authorizer (TOKEN, REQUEST) plugs in. Methods with AWS_IAM are let
 * through without it: SigV4 is not checked locally.
 */
export type AuthorizeStrategy = (
  request: AuthorizationRequest,
  authorizer: AuthorizerRecord,
) => AuthorizationDecision | Promise<AuthorizationDecision>;

/** The default strategy: every request is let through, with no claims. */
export const allowEveryRequest: AuthorizeStrategy = () => ({ allow: true });
