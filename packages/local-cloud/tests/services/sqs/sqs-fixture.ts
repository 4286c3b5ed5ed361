import { SQSClient } from '@aws-sdk/client-sqs';
import { type EdgeServer, startEdgeServer } from '../../../src/edge/edge-server';
import { SqsService, SqsStore, type SqsStoreOptions } from '../../../src/services/sqs';

export const TEST_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface LocalSqs {
  store: SqsStore;
  edge: EdgeServer;
  client: SQSClient;
  stop(): Promise<void>;
}

/** The local SQS behind a real edge endpoint on a free loopback port, and an SDK client pointed at it. */
export async function startLocalSqs(options: SqsStoreOptions = {}): Promise<LocalSqs> {
  const store = new SqsStore(options);
  const edge = await startEdgeServer({ services: [new SqsService(store)] });
  store.baseUrl = edge.url;
  const client = new SQSClient({ endpoint: edge.url, region: 'us-east-1', credentials: TEST_CREDENTIALS });
  return {
    store,
    edge,
    client,
    async stop() {
      client.destroy();
      await store.close();
      await edge.close();
    },
  };
}
