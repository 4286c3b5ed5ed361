import { FirehoseClient } from '@aws-sdk/client-firehose';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { InvokeResult, LambdaInvoker } from '../../../src/contracts';
import { type EdgeServer, startEdgeServer } from '../../../src/edge/edge-server';
import { FirehoseService, type FirehoseServiceOptions } from '../../../src/services/firehose';
import { S3Service } from '../../../src/services/s3';

export const TEST_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export const silentLogger = { warn: () => undefined, error: () => undefined };

/** An in-process stand-in for the Lambda runtime: answers with the handler given, and records every call. */
export class FakeLambdaInvoker implements LambdaInvoker {
  readonly calls: { functionArn: string; event: unknown }[] = [];

  constructor(private readonly handler: (event: unknown) => Promise<InvokeResult> | InvokeResult) {}

  async invoke(functionArnOrName: string, event: unknown): Promise<InvokeResult> {
    this.calls.push({ functionArn: functionArnOrName, event: structuredClone(event) });
    return this.handler(event);
  }
}

export interface LocalFirehose {
  s3: S3Service;
  firehose: FirehoseService;
  edge: EdgeServer;
  firehoseClient: FirehoseClient;
  s3Client: S3Client;
  /** The keys of a bucket, in order. */
  keys(bucket: string, prefix?: string): Promise<string[]>;
  read(bucket: string, key: string): Promise<Buffer>;
  /** Polls the bucket until it holds `count` objects, or fails after `timeoutMs`. */
  waitForObjects(bucket: string, count: number, timeoutMs?: number): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * The local S3 and Firehose behind a real edge endpoint, Firehose writing to the S3 store, with SDK clients for both.
 */
export async function startLocalFirehose(
  options: Partial<FirehoseServiceOptions> & { s3DataDir?: string } = {},
): Promise<LocalFirehose> {
  const s3 = new S3Service({ logger: silentLogger, dataDir: options.s3DataDir });
  const firehose = new FirehoseService({
    objectWriter: s3.store,
    logger: silentLogger,
    lambdaRetryDelayMs: 0,
    deliveryRetryDelayMs: 50,
    ...options,
  });
  await Promise.all([s3.store.ready(), firehose.ready()]);
  const edge = await startEdgeServer({ services: [s3, firehose] });
  const firehoseClient = new FirehoseClient({ endpoint: edge.url, region: 'us-east-1', credentials: TEST_CREDENTIALS });
  const s3Client = new S3Client({
    endpoint: edge.url,
    region: 'us-east-1',
    credentials: TEST_CREDENTIALS,
    forcePathStyle: true,
  });

  const keys = async (bucket: string, prefix?: string) => {
    const listed = await s3Client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (listed.Contents ?? []).map((o) => o.Key as string);
  };
  return {
    s3,
    firehose,
    edge,
    firehoseClient,
    s3Client,
    keys,
    async read(bucket, key) {
      const response = await s3Client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from((await response.Body?.transformToByteArray()) as Uint8Array);
    },
    async waitForObjects(bucket, count, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = await keys(bucket);
        if (found.length >= count) return found;
        if (Date.now() > deadline) throw new Error(`Bucket ${bucket} holds ${found.length} objects, not ${count}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async stop() {
      firehoseClient.destroy();
      s3Client.destroy();
      await firehose.close();
      await edge.close();
    },
  };
}
