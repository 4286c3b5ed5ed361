import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfirmSubscriptionCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { InvokeResult, LambdaInvoker } from '../../../src/contracts';
import { type EdgeServer, startEdgeServer } from '../../../src/edge/edge-server';
import { SnsService, SnsStore, type SnsStoreOptions } from '../../../src/services/sns';
import { SqsService, SqsStore } from '../../../src/services/sqs';

const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** A stand-in for the Lambda service that records what it is asked to invoke. */
export class RecordingInvoker implements LambdaInvoker {
  readonly invocations: Array<{ functionArn: string; event: unknown; type: string }> = [];

  async invoke(functionArn: string, event: unknown, type: 'RequestResponse' | 'Event'): Promise<InvokeResult> {
    this.invocations.push({ functionArn, event, type });
    return { ok: true, payload: undefined };
  }
}

export interface LocalSns {
  sns: SnsStore;
  sqs: SqsStore;
  lambda: RecordingInvoker;
  edge: EdgeServer;
  snsClient: SNSClient;
  sqsClient: SQSClient;
  warnings: string[];
  stop(): Promise<void>;
}

/** SNS and SQS behind one edge endpoint, SNS delivering to that SQS and to a recording Lambda invoker. */
export async function startLocalSns(options: Omit<SnsStoreOptions, 'queues' | 'lambda'> = {}): Promise<LocalSns> {
  const warnings: string[] = [];
  const sqs = new SqsStore({ dataDir: options.dataDir });
  const lambda = new RecordingInvoker();
  const sns = new SnsStore({
    httpRetry: { retries: 2, delayMs: 20, timeoutMs: 2000 },
    logger: { warn: (message) => warnings.push(message) },
    ...options,
    queues: sqs,
    lambda,
  });
  const edge = await startEdgeServer({ services: [new SnsService(sns), new SqsService(sqs)] });
  sns.baseUrl = edge.url;
  sqs.baseUrl = edge.url;
  const config = { endpoint: edge.url, region: 'us-east-1', credentials: CREDENTIALS };
  const snsClient = new SNSClient(config);
  const sqsClient = new SQSClient(config);
  return {
    sns,
    sqs,
    lambda,
    edge,
    snsClient,
    sqsClient,
    warnings,
    async stop() {
      snsClient.destroy();
      sqsClient.destroy();
      await sns.close();
      await sqs.close();
      await edge.close();
    },
  };
}

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown> | undefined;
}

/**
 * A real HTTP endpoint subscribed to a topic. It confirms a subscription as a web application would: by fetching the
 * SubscribeURL of the SubscriptionConfirmation message, or by calling ConfirmSubscription with its token.
 */
export class HttpSubscriber {
  readonly requests: ReceivedRequest[] = [];
  /** Statuses to answer with, in order; 200 when exhausted. */
  statuses: number[] = [];
  private server: Server | undefined;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly confirm:
      | { by: 'SubscribeURL' }
      | { by: 'ConfirmSubscription'; client: SNSClient }
      | { by: 'nothing' },
  ) {}

  get url(): string {
    if (!this.server) throw new Error('The subscriber is not started');
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/sns`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        void (async () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          const status = this.statuses.shift() ?? 200;
          if (status === 200 && req.headers['x-amz-sns-message-type'] === 'SubscriptionConfirmation' && json) {
            await this.confirmSubscription(json);
          }
          this.requests.push({ headers: req.headers, body, json });
          res.writeHead(status).end();
          for (const waiter of this.waiters.splice(0)) waiter();
        })();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  /** Resolves with the requests of this message type once `count` of them have arrived. */
  async waitFor(type: string, count = 1, timeoutMs = 5000): Promise<ReceivedRequest[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.requests.filter((r) => r.headers['x-amz-sns-message-type'] === type);
      if (found.length >= count) return found;
      if (Date.now() > deadline) throw new Error(`Expected ${count} ${type} request(s), got ${found.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async confirmSubscription(message: Record<string, unknown>): Promise<void> {
    if (this.confirm.by === 'SubscribeURL') {
      const response = await fetch(String(message.SubscribeURL));
      await response.text();
      if (!response.ok) throw new Error(`SubscribeURL answered ${response.status}`);
    } else if (this.confirm.by === 'ConfirmSubscription') {
      await this.confirm.client.send(
        new ConfirmSubscriptionCommand({ TopicArn: String(message.TopicArn), Token: String(message.Token) }),
      );
    }
  }
}
