import { randomBytes } from 'node:crypto';
import { isBinaryMediaType } from './media-types';

/** `requestContext.identity` of a REST API proxy event. */
export interface ApiGatewayProxyIdentity {
  cognitoIdentityPoolId: string | null;
  accountId: string | null;
  cognitoIdentityId: string | null;
  caller: string | null;
  sourceIp: string;
  principalOrgId: string | null;
  accessKey: string | null;
  cognitoAuthenticationType: string | null;
  cognitoAuthenticationProvider: string | null;
  userArn: string | null;
  userAgent: string | null;
  user: string | null;
}

/** `requestContext` of a REST API proxy event. */
export interface ApiGatewayProxyRequestContext {
  resourceId: string;
  resourcePath: string;
  httpMethod: string;
  extendedRequestId: string;
  /** `09/Apr/2015:12:34:56 +0000` */
  requestTime: string;
  /** The path with the stage: `/local/devices/d1/config`. */
  path: string;
  accountId: string;
  protocol: string;
  stage: string;
  domainPrefix: string;
  requestTimeEpoch: number;
  requestId: string;
  identity: ApiGatewayProxyIdentity;
  domainName: string;
  deploymentId: string;
  apiId: string;
  /** Present when an authorizer ran: `{ claims }` for Cognito user pools, the Lambda authorizer's context otherwise. */
  authorizer?: Record<string, unknown>;
}

/** The event an AWS_PROXY integration gives a Lambda function (REST API, payload format 1.0). */
export interface ApiGatewayProxyEvent {
  resource: string;
  path: string;
  httpMethod: string;
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
  queryStringParameters: Record<string, string> | null;
  multiValueQueryStringParameters: Record<string, string[]> | null;
  pathParameters: Record<string, string> | null;
  stageVariables: Record<string, string> | null;
  requestContext: ApiGatewayProxyRequestContext;
  body: string | null;
  isBase64Encoded: boolean;
}

/** An HTTP request as it reached the gateway, before any routing. */
export interface InboundRequest {
  httpMethod: string;
  /** The path after the stage, still percent-encoded as sent: `/devices/d%201`. */
  path: string;
  /** The query string without `?`, as sent. */
  rawQuery: string;
  /** Header names and values in the order and case they were sent (Node's `rawHeaders`). */
  rawHeaders: readonly string[];
  body: Buffer;
  sourceIp: string;
  localPort: number;
  httpVersion: string;
  requestId: string;
  receivedAt: Date;
}

export interface ProxyEventTarget {
  accountId: string;
  restApiId: string;
  stage: string;
  deploymentId: string;
  stageVariables: Readonly<Record<string, string>>;
  resourceId: string;
  resourcePath: string;
  pathParameters: Readonly<Record<string, string>>;
  binaryMediaTypes: readonly string[];
  authorizer?: Record<string, unknown>;
}

/** Headers a proxy in front of the function consumes; they never reach the event. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'upgrade',
  'proxy-connection',
  'content-length',
  'expect',
]);
/** The edge (CloudFront) in front of API Gateway capitalises these, so handlers see them so in AWS. */
const CAPITALISED = new Map([
  ['authorization', 'Authorization'],
  ['user-agent', 'User-Agent'],
  ['host', 'Host'],
]);

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (value: number) => String(value).padStart(2, '0');

/** API Gateway's `$context.requestTime`: `09/Apr/2015:12:34:56 +0000`. */
export function formatRequestTime(date: Date): string {
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/** An X-Ray trace header like the one API Gateway adds: `Root=1-<epoch hex>-<24 hex>`. */
export function traceId(date: Date): string {
  return `Root=1-${Math.floor(date.getTime() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

/**
 * The request's headers as a REST API hands them to a function: names in the case sent (a few capitalised as the
 * edge does), hop-by-hop headers dropped, X-Forwarded-* and X-Amzn-Trace-Id added. `headers` keeps the last value
 * of a repeated header, `multiValueHeaders` all of them.
 */
export function eventHeaders(request: InboundRequest): {
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
} {
  const byName = new Map<string, { name: string; values: string[] }>();
  const add = (rawName: string, value: string) => {
    const lower = rawName.toLowerCase();
    if (HOP_BY_HOP.has(lower)) return;
    const entry = byName.get(lower) ?? { name: CAPITALISED.get(lower) ?? rawName, values: [] };
    entry.values.push(value);
    byName.set(lower, entry);
  };
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    add(request.rawHeaders[i] as string, request.rawHeaders[i + 1] as string);
  }
  const forwardedFor = byName.get('x-forwarded-for');
  if (forwardedFor) forwardedFor.values = [`${forwardedFor.values.join(', ')}, ${request.sourceIp}`];
  else add('X-Forwarded-For', request.sourceIp);
  byName.delete('x-forwarded-port');
  byName.delete('x-forwarded-proto');
  add('X-Forwarded-Port', String(request.localPort));
  add('X-Forwarded-Proto', 'http');
  if (!byName.has('x-amzn-trace-id')) add('X-Amzn-Trace-Id', traceId(request.receivedAt));

  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const { name, values } of byName.values()) {
    headers[name] = values[values.length - 1] ?? '';
    multiValueHeaders[name] = values;
  }
  return { headers, multiValueHeaders };
}

/**
 * The query string as a REST API decodes it (`+` and percent escapes decoded): `queryStringParameters` keeps the
 * last value of a repeated parameter, `multiValueQueryStringParameters` all; both null when there is none.
 */
export function eventQuery(rawQuery: string): {
  queryStringParameters: Record<string, string> | null;
  multiValueQueryStringParameters: Record<string, string[]> | null;
} {
  const params = new URLSearchParams(rawQuery);
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of params) {
    single[name] = value;
    multi[name] = [...(multi[name] ?? []), value];
  }
  return Object.keys(single).length === 0
    ? { queryStringParameters: null, multiValueQueryStringParameters: null }
    : { queryStringParameters: single, multiValueQueryStringParameters: multi };
}

const nonEmpty = (record: Readonly<Record<string, string>>) => (Object.keys(record).length > 0 ? { ...record } : null);

/** Builds the documented REST API Lambda proxy event (payload format 1.0). */
export function buildProxyEvent(request: InboundRequest, target: ProxyEventTarget): ApiGatewayProxyEvent {
  const { headers, multiValueHeaders } = eventHeaders(request);
  const hostHeader = Object.entries(headers).find(([name]) => name.toLowerCase() === 'host')?.[1] ?? '';
  const userAgent = Object.entries(headers).find(([name]) => name.toLowerCase() === 'user-agent')?.[1] ?? null;
  const contentType = Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1];
  const binary = request.body.length > 0 && isBinaryMediaType(contentType, target.binaryMediaTypes);

  const requestContext: ApiGatewayProxyRequestContext = {
    resourceId: target.resourceId,
    resourcePath: target.resourcePath,
    httpMethod: request.httpMethod,
    extendedRequestId: `${randomBytes(11).toString('base64url').slice(0, 15)}=`,
    requestTime: formatRequestTime(request.receivedAt),
    path: `/${target.stage}${request.path}`,
    accountId: target.accountId,
    protocol: `HTTP/${request.httpVersion}`,
    stage: target.stage,
    domainPrefix: hostHeader.split(/[.:]/, 1)[0] ?? '',
    requestTimeEpoch: request.receivedAt.getTime(),
    requestId: request.requestId,
    identity: {
      cognitoIdentityPoolId: null,
      accountId: null,
      cognitoIdentityId: null,
      caller: null,
      sourceIp: request.sourceIp,
      principalOrgId: null,
      accessKey: null,
      cognitoAuthenticationType: null,
      cognitoAuthenticationProvider: null,
      userArn: null,
      userAgent,
      user: null,
    },
    domainName: hostHeader,
    deploymentId: target.deploymentId,
    apiId: target.restApiId,
  };
  if (target.authorizer) requestContext.authorizer = target.authorizer;

  return {
    resource: target.resourcePath,
    path: request.path,
    httpMethod: request.httpMethod,
    headers,
    multiValueHeaders,
    ...eventQuery(request.rawQuery),
    pathParameters: nonEmpty(target.pathParameters),
    stageVariables: nonEmpty(target.stageVariables),
    requestContext,
    body: request.body.length === 0 ? null : request.body.toString(binary ? 'base64' : 'utf8'),
    isBase64Encoded: binary,
  };
}
