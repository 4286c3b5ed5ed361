import type { DeploymentSnapshot, GatewayResponseProperties } from './rest-api-registry';

/** The gateway response types the emulation gives (a subset of AWS's). */
export type GatewayResponseType =
  | 'MISSING_AUTHENTICATION_TOKEN'
  | 'UNAUTHORIZED'
  | 'ACCESS_DENIED'
  | 'BAD_REQUEST_PARAMETERS'
  | 'INTEGRATION_TIMEOUT'
  | 'API_CONFIGURATION_ERROR'
  | 'AUTHORIZER_FAILURE'
  | 'DEFAULT_4XX'
  | 'DEFAULT_5XX';

/** An answer API Gateway gives itself instead of the integration's. */
export interface GatewayError {
  type: GatewayResponseType;
  statusCode: number;
  message: string;
  /** The `x-amzn-ErrorType` header AWS sends with it. */
  errorType?: string;
}

export const gatewayErrors = {
  missingAuthenticationToken: (): GatewayError => ({
    type: 'MISSING_AUTHENTICATION_TOKEN',
    statusCode: 403,
    message: 'Missing Authentication Token',
    errorType: 'MissingAuthenticationTokenException',
  }),
  unauthorized: (message = 'Unauthorized'): GatewayError => ({
    type: 'UNAUTHORIZED',
    statusCode: 401,
    message,
    errorType: 'UnauthorizedException',
  }),
  accessDenied: (message = 'User is not authorized to access this resource with an explicit deny'): GatewayError => ({
    type: 'ACCESS_DENIED',
    statusCode: 403,
    message,
    errorType: 'AccessDeniedException',
  }),
  missingRequestParameters: (names: readonly string[]): GatewayError => ({
    type: 'BAD_REQUEST_PARAMETERS',
    statusCode: 400,
    message: `Missing required request parameters: [${names.join(', ')}]`,
    errorType: 'BadRequestException',
  }),
  /** A function error or a malformed proxy response. */
  badGateway: (): GatewayError => ({
    type: 'DEFAULT_5XX',
    statusCode: 502,
    message: 'Internal server error',
    errorType: 'InternalServerErrorException',
  }),
  integrationTimeout: (): GatewayError => ({
    type: 'INTEGRATION_TIMEOUT',
    statusCode: 504,
    message: 'Endpoint request timed out',
  }),
  /** A configuration API Gateway cannot execute (no function to call, an integration type not emulated...). */
  configuration: (): GatewayError => ({
    type: 'API_CONFIGURATION_ERROR',
    statusCode: 500,
    message: 'Internal server error',
    errorType: 'InternalServerErrorException',
  }),
  authorizerFailure: (): GatewayError => ({
    type: 'AUTHORIZER_FAILURE',
    statusCode: 500,
    message: 'Internal server error',
    errorType: 'AuthorizerFailureException',
  }),
};

export interface RenderedResponse {
  statusCode: number;
  headers: Array<[string, string]>;
  body: string;
}

function stripQuotes(value: string): string {
  return /^'.*'$/s.test(value) ? value.slice(1, -1) : value;
}

/**
 * The response for a gateway error: `{"message":"..."}` as AWS gives it, unless the API customised the response type
 * (or DEFAULT_4XX / DEFAULT_5XX) with an AWS::ApiGateway::GatewayResponse, whose status, static headers
 * (`gatewayresponse.header.X: "'value'"`) and template (`$context.error.messageString`, `$context.requestId`) apply.
 */
export function renderGatewayError(
  error: GatewayError,
  requestId: string,
  deployment?: DeploymentSnapshot,
  requestHeaders: Readonly<Record<string, string>> = {},
): RenderedResponse {
  const fallback = error.statusCode >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX';
  const exact = deployment?.gatewayResponses.get(error.type);
  const custom: GatewayResponseProperties | undefined = exact ?? deployment?.gatewayResponses.get(fallback);
  const headers: Array<[string, string]> = [['content-type', 'application/json']];
  if (error.errorType) headers.push(['x-amzn-ErrorType', error.errorType]);
  for (const [key, value] of Object.entries(custom?.ResponseParameters ?? {})) {
    const name = /^gatewayresponse\.header\.(.+)$/.exec(key)?.[1];
    if (!name) continue;
    const fromRequest = /^method\.request\.header\.(.+)$/.exec(value)?.[1];
    const resolved = fromRequest ? requestHeaders[fromRequest.toLowerCase()] : stripQuotes(value);
    if (resolved !== undefined) headers.push([name, resolved]);
  }
  const template = custom?.ResponseTemplates?.['application/json'] ?? '{"message":$context.error.messageString}';
  const body = template
    .replaceAll('$context.error.messageString', JSON.stringify(error.message))
    .replaceAll('$context.error.message', error.message)
    .replaceAll('$context.error.responseType', error.type)
    .replaceAll('$context.requestId', requestId);
  // A DEFAULT_4XX / DEFAULT_5XX customisation keeps each error's own status; only its exact type may change it.
  const statusCode = Number(exact?.StatusCode ?? error.statusCode) || error.statusCode;
  return { statusCode, headers, body };
}
