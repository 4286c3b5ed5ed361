import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, Context, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

/** A Lambda context as the runtime passes it. */
export function lambdaContext(functionName = 'test-function'): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2026/01/01/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface ApiRequest {
  method: string;
  /** The resource as declared, e.g. `/devices/{deviceId}/config`. */
  resource: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: unknown;
  stage?: string;
  /**
   * The claims a COGNITO_USER_POOLS authorizer hands the function (`requestContext.authorizer.claims`), e.g.
   * `{ sub: 'user-1' }`; none when absent, as a route without an authorizer gets.
   */
  claims?: Record<string, string>;
}

/** The API Gateway REST proxy event (payload 1.0) that a request to `resource` produces. */
export function apiGatewayProxyEvent(request: ApiRequest): APIGatewayProxyEvent {
  const path = request.resource.replace(/\{(\w+)\+?\}/g, (_, name: string) => request.pathParameters?.[name] ?? '');
  const headers = {
    Host: 'abc123defg.execute-api.us-east-1.amazonaws.com',
    'User-Agent': 'jest',
    ...(request.body === undefined ? {} : { 'Content-Type': 'application/json' }),
    ...request.headers,
  };
  const stage = request.stage ?? 'local';
  return {
    resource: request.resource,
    path,
    httpMethod: request.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: request.query ?? null,
    multiValueQueryStringParameters: request.query
      ? Object.fromEntries(Object.entries(request.query).map(([k, v]) => [k, [v]]))
      : null,
    pathParameters: request.pathParameters ?? null,
    stageVariables: null,
    body:
      request.body === undefined
        ? null
        : typeof request.body === 'string'
          ? request.body
          : JSON.stringify(request.body),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'abc123defg',
      authorizer: request.claims ? { claims: request.claims } : undefined,
      protocol: 'HTTP/1.1',
      httpMethod: request.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '127.0.0.1',
        user: null,
        userAgent: 'jest',
        userArn: null,
      },
      path: `/${stage}${path}`,
      stage,
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'res123',
      resourcePath: request.resource,
    },
  };
}

export interface KinesisRecordInput {
  partitionKey: string;
  data: unknown;
  /** Seconds since the epoch, as Lambda gives it. */
  arrival?: number;
}

const STREAM_ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/test-stream';

/** The Kinesis records Lambda delivers, with JSON data base64-encoded and sequence numbers in order. */
export function kinesisRecords(inputs: KinesisRecordInput[], shardId = 'shardId-000000000000'): KinesisStreamRecord[] {
  return inputs.map((input, index) => {
    const sequenceNumber = (49_650_000_000_000_000_000n + BigInt(index)).toString();
    return {
      awsRegion: 'us-east-1',
      eventID: `${shardId}:${sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      eventSource: 'aws:kinesis',
      eventSourceARN: STREAM_ARN,
      eventVersion: '1.0',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/test',
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: input.partitionKey,
        sequenceNumber,
        data: Buffer.from(typeof input.data === 'string' ? input.data : JSON.stringify(input.data)).toString('base64'),
        approximateArrivalTimestamp: input.arrival ?? Date.now() / 1000,
      },
    };
  });
}

/** The event of a Kinesis event source mapping with a tumbling window. */
export interface KinesisWindowEvent extends KinesisStreamEvent {
  window: { start: string; end: string };
  state: Record<string, unknown>;
  shardId: string;
  eventSourceARN: string;
  isFinalInvokeForWindow: boolean;
  isWindowTerminatedEarly: boolean;
}

/** A tumbling-window invocation: records of the window, the state carried from the previous invocation. */
export function kinesisWindowEvent(options: {
  records: KinesisStreamRecord[];
  windowStart: Date;
  windowSeconds: number;
  state?: Record<string, unknown>;
  isFinalInvokeForWindow?: boolean;
}): KinesisWindowEvent {
  return {
    Records: options.records,
    window: {
      start: options.windowStart.toISOString(),
      end: new Date(options.windowStart.getTime() + options.windowSeconds * 1000).toISOString(),
    },
    state: options.state ?? {},
    shardId: 'shardId-000000000000',
    eventSourceARN: STREAM_ARN,
    isFinalInvokeForWindow: options.isFinalInvokeForWindow ?? false,
    isWindowTerminatedEarly: false,
  };
}
