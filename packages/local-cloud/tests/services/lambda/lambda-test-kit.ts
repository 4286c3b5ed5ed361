import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { MessageAttributeValue, QueueSender, TopicPublisher } from '../../../src/contracts';
import { type EdgeServer, startEdgeServer } from '../../../src/edge/edge-server';
import {
  type FunctionDefinition,
  LambdaApi,
  LambdaRuntime,
  type LambdaRuntimeOptions,
} from '../../../src/services/lambda';

export const REGION = 'us-east-1';
export const ACCOUNT = '000000000000';

export function functionArn(name: string): string {
  return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
}

const tempDirs = new Set<string>();

export function makeTempDir(prefix = 'local-lambda-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** Removes every directory `makeTempDir` made; call in `afterAll`. */
export function removeTempDirs(): void {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Writes a function's source files (path relative to the code directory → source) and answers the directory. */
export function writeCode(files: Record<string, string>, root = makeTempDir('lambda-code-')): string {
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), source);
  }
  return root;
}

/** A definition of a function whose handler `index.handler` is `source`, with defaults fit for tests. */
export function definition(
  name: string,
  source: string,
  overrides: Partial<FunctionDefinition> = {},
): FunctionDefinition {
  return {
    functionName: name,
    arn: functionArn(name),
    handler: 'index.handler',
    runtime: 'nodejs22.x',
    codeDir: writeCode({ 'index.js': source }),
    timeoutSeconds: 3,
    memorySizeMb: 256,
    ...overrides,
  };
}

/** A QueueSender recording what it is sent: an in-process collaborator, as SQS is to Lambda. */
export class RecordingQueueSender implements QueueSender {
  readonly sent: { queueArn: string; body: string; attributes?: Record<string, MessageAttributeValue> }[] = [];

  async sendToQueue(queueArn: string, body: string, attributes?: Record<string, MessageAttributeValue>) {
    this.sent.push({ queueArn, body, attributes });
  }
}

export class RecordingTopicPublisher implements TopicPublisher {
  readonly published: { topicArn: string; message: string; attributes?: Record<string, MessageAttributeValue> }[] = [];

  async publishToTopic(
    topicArn: string,
    message: string,
    options?: { attributes?: Record<string, MessageAttributeValue> },
  ): Promise<string> {
    this.published.push({ topicArn, message, attributes: options?.attributes });
    return crypto.randomUUID();
  }
}

/** Polls until `check` answers something other than undefined or false. */
export async function waitFor<T>(check: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface LocalLambda {
  runtime: LambdaRuntime;
  dataDir: string;
  close(): Promise<void>;
}

/** A runtime on a fresh data directory, logging to its files only. */
export function createRuntime(options: Partial<LambdaRuntimeOptions> = {}): LocalLambda {
  const dataDir = options.dataDir ?? makeTempDir();
  const runtime = new LambdaRuntime({ console: false, retryDelaysMs: [50, 100], ...options, dataDir });
  return {
    runtime,
    dataDir,
    async close() {
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface LambdaOnEdge extends LocalLambda {
  edge: EdgeServer;
  client: LambdaClient;
}

/** A runtime served on an edge endpoint on an ephemeral port, and a real LambdaClient pointed at it. */
export async function startLambdaOnEdge(options: Partial<LambdaRuntimeOptions> = {}): Promise<LambdaOnEdge> {
  let edge: EdgeServer | undefined;
  const local = createRuntime({ endpointUrl: () => edge?.url, ...options });
  edge = await startEdgeServer({ services: [new LambdaApi(local.runtime)] });
  const client = new LambdaClient({
    endpoint: edge.url,
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const started = edge;
  return {
    ...local,
    edge: started,
    client,
    async close() {
      client.destroy();
      await local.close();
      await started.close();
    },
  };
}

export function decodePayload(payload: Uint8Array | undefined): unknown {
  return payload === undefined ? undefined : JSON.parse(Buffer.from(payload).toString('utf8'));
}

export function encodePayload(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value));
}
