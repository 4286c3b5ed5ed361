import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { IoTClient } from '@aws-sdk/client-iot';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { localCloudExtensions } from '../../src/cli/extensions';
import { type LocalCloud, type LocalTiming, startLocalCloud } from '../../src/local-cloud';

/** The repository root: the real services and serverless-compose.yml. */
export const ROOT = join(__dirname, '..', '..', '..', '..');

/**
 * Short waits so the suite runs in seconds: Firehose buffers of half a second, tumbling windows of 3 s delivered
 * at once, and quick retries of failed asynchronous invocations.
 */
export const FAST_TIMING: LocalTiming = {
  firehoseBufferIntervalMs: 500,
  tumblingWindowSeconds: 3,
  maximumBatchingWindowSeconds: 0,
  asyncRetryDelaysMs: [100, 200],
};

export interface StartedCloud {
  cloud: LocalCloud;
  dataDir: string;
  /** What the health route answered as soon as the endpoints listened, before any stack was deployed. */
  healthBeforeDeploy: Promise<{ status: number; body: unknown }>;
  warnings: string[];
}

/** Starts the local cloud as `pnpm start` does, on free ports and a data folder of its own (or the one given). */
export async function startCloud(
  dataDir?: string,
  options: { params?: Record<string, Record<string, string>> } = {},
): Promise<StartedCloud> {
  const folder = dataDir ?? (await mkdtemp(join(tmpdir(), 'iot-local-acceptance-')));
  const warnings: string[] = [];
  let healthBeforeDeploy: Promise<{ status: number; body: unknown }> | undefined;
  const cloud = await startLocalCloud({
    root: ROOT,
    dataDir: folder,
    edgePort: 0,
    apiPort: 0,
    mqttPort: 0,
    timing: FAST_TIMING,
    ...(options.params ? { params: options.params } : {}),
    extensions: localCloudExtensions(),
    functionLogs: false,
    logger: { info: () => {}, warn: (message) => void warnings.push(message) },
    onProgress: (event) => {
      if (event.type === 'listening' && !healthBeforeDeploy) {
        healthBeforeDeploy = fetch(event.endpoints.health).then(async (r) => ({
          status: r.status,
          body: await r.json(),
        }));
      }
    },
  });
  return {
    cloud,
    dataDir: folder,
    healthBeforeDeploy: healthBeforeDeploy ?? Promise.reject(new Error('The endpoints never listened')),
    warnings,
  };
}

/** AWS SDK v3 clients pointed at the edge endpoint, as a developer's would be through AWS_ENDPOINT_URL. */
export function awsClients(edgeUrl: string) {
  const config = {
    endpoint: edgeUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const clients = {
    lambda: new LambdaClient(config),
    dynamodb: new DynamoDBClient(config),
    sns: new SNSClient(config),
    sqs: new SQSClient(config),
    s3: new S3Client(config),
    firehose: new FirehoseClient(config),
    iot: new IoTClient(config),
    kinesis: new KinesisClient(config),
  };
  return {
    ...clients,
    destroy: () => {
      for (const client of Object.values(clients)) client.destroy();
    },
  };
}

export type AwsClients = ReturnType<typeof awsClients>;

/** Calls `probe` until it returns something other than undefined, or fails after `timeoutMs` naming `what`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The user the proxy events come from. */
export const ACCEPTANCE_USER = '00000000-0000-4000-8000-00000000acce';

/** An API Gateway proxy event for a route, as the REST API would send it after the authorizer let it through. */
export function proxyEvent(route: {
  method: string;
  resource: string;
  pathParameters?: Record<string, string>;
  body?: string;
  query?: Record<string, string>;
}) {
  const path = route.resource.replace(/\{(\w+)\+?\}/g, (_, name: string) => route.pathParameters?.[name] ?? name);
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  return {
    resource: route.resource,
    path,
    httpMethod: route.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: route.query ?? null,
    multiValueQueryStringParameters: route.query
      ? Object.fromEntries(Object.entries(route.query).map(([k, v]) => [k, [v]]))
      : null,
    pathParameters: route.pathParameters ?? null,
    stageVariables: null,
    requestContext: {
      accountId: '000000000000',
      apiId: 'acceptance',
      httpMethod: route.method,
      path: `/local${path}`,
      protocol: 'HTTP/1.1',
      requestId: `acceptance-${Date.now()}`,
      requestTimeEpoch: Date.now(),
      resourceId: 'acceptance',
      resourcePath: route.resource,
      stage: 'local',
      identity: { sourceIp: '127.0.0.1', userAgent: 'acceptance' },
      // What a COGNITO_USER_POOLS authorizer hands the function: the caller's claims, as strings.
      authorizer: { claims: { sub: ACCEPTANCE_USER, 'cognito:username': 'acceptance', token_use: 'id' } },
    },
    body: route.body ?? null,
    isBase64Encoded: false,
  };
}
