/**
 * The local cloud's AWS services started in-process behind one edge endpoint, for the services' handler tests: real
 * AWS SDK clients reach them at `url` with `clientConfig`, and the tests read what the services then hold from the
 * stores. Imported as `@iot/testing/local-aws`, so the packages that do not use it never load the local cloud.
 *
 * @packageDocumentation
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IotPublisher, PublishedMessage } from '@iot/local-cloud';
import {
  type AwsService,
  CertificateAuthority,
  CertificateRegistry,
  DeviceShadowService,
  type EdgeRequest,
  type EdgeResponse,
  type EdgeServer,
  FirehoseService,
  IotControlPlaneService,
  IotDataPlaneService,
  PolicyRegistry,
  S3Store,
  SnsService,
  SnsStore,
  SqsService,
  SqsStore,
  startEdgeServer,
  ThingRegistry,
  TopicRuleRegistry,
} from '@iot/local-cloud';

/** Which services to start; each is off unless asked for. */
export interface LocalAwsOptions {
  sns?: boolean;
  sqs?: boolean;
  /** Firehose, writing to an in-memory S3 (`s3`). */
  firehose?: boolean;
  /** The IoT data plane: the Device Shadow service and Publish (recorded in `published`). */
  iotData?: boolean;
  /** The IoT control plane: the thing registry (CreateThing, DeleteThing, principals ...). */
  iot?: boolean;
  /** The clock of the Device Shadow service (its versions' timestamps), in epoch milliseconds. */
  now?: () => number;
}

/** A request the edge endpoint received, as a log of what the code under test asked of AWS. */
export interface EdgeRequestRecord {
  /** The SigV4 signing name: `iot`, `iotdata`, `sns`, `sqs`, `firehose`. */
  service: string;
  method: string;
  path: string;
  /** The operation of JSON protocols (`x-amz-target`) or of the query protocol (`Action`), when there is one. */
  operation?: string;
  body: string;
}

/**
 * Sees each request before the local service does. Answering (or throwing an `AwsServiceError`) stands in for the
 * service; answering nothing passes the request on (after any wait). For the failures a local service cannot produce
 * on its own, such as throttling; say so where it is used.
 */
export type EdgeInterceptor = (request: EdgeRequestRecord) => Promise<EdgeResponse | undefined> | undefined;

/** A publish into the local AWS IoT Core, with its payload as text. */
export interface RecordedPublish {
  topic: string;
  qos: 0 | 1;
  retain: boolean;
  payload: string;
}

export interface LocalAws {
  /** The edge endpoint: every started service answers here, dispatched by the SigV4 signing name. */
  readonly url: string;
  /** What an AWS SDK v3 client needs to reach the edge endpoint: dummy credentials, us-east-1, no retries. */
  readonly clientConfig: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    maxAttempts: number;
  };
  readonly sns: SnsStore;
  readonly sqs: SqsStore;
  readonly s3: S3Store;
  readonly firehose: FirehoseService;
  readonly shadows: DeviceShadowService;
  readonly things: ThingRegistry;
  /** The certificates the IoT control plane issued (with `iot`). */
  readonly certificates: CertificateRegistry;
  /** The IoT policies and their attachments (with `iot`). */
  readonly policies: PolicyRegistry;
  /** Every request the started services received, in order (also those an interceptor answered). */
  readonly requests: EdgeRequestRecord[];
  /** The requests of one service (signing name), optionally only those with this method and a path matching. */
  requestsTo(service: string, method?: string, path?: RegExp): EdgeRequestRecord[];
  /** Installs (or, with `undefined`, removes) the interceptor; see {@link EdgeInterceptor}. */
  intercept(interceptor: EdgeInterceptor | undefined): void;
  /** Everything published into the IoT Core through the data plane (Publish) and by the Device Shadow service. */
  readonly published: RecordedPublish[];
  /** Stops the edge endpoint and closes the stores. */
  stop(): Promise<void>;
}

const silent = { warn: () => undefined, error: () => undefined };

/** The broker's part for tests: records each publish and hands it to the shadow service, as the broker would. */
class RecordingIotPublisher implements IotPublisher {
  readonly published: RecordedPublish[] = [];
  observer: DeviceShadowService | undefined;

  async publish(message: Omit<PublishedMessage, 'receivedAt'> & { receivedAt?: number }): Promise<void> {
    this.published.push({
      topic: message.topic,
      qos: message.qos,
      retain: message.retain,
      payload: Buffer.from(message.payload).toString('utf8'),
    });
    await this.observer?.onPublish({ ...message, receivedAt: message.receivedAt ?? Date.now() });
  }
}

function recordOf(service: string, request: EdgeRequest): EdgeRequestRecord {
  const body = request.body.toString('utf8');
  const target = request.headers['x-amz-target'];
  const action = request.query.get('Action') ?? new URLSearchParams(body).get('Action');
  const operation = target ? target.split('.').pop() : (action ?? undefined);
  return { service, method: request.method, path: request.path, ...(operation ? { operation } : {}), body };
}

/**
 * A URL where nothing listens (a port just freed), for a client that must fail as on a network failure.
 */
export async function closedEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** One CA for the tests of a process: creating one takes a key pair, which is slow enough to share. */
let sharedCa: Promise<CertificateAuthority> | undefined;
const testCa = () => {
  sharedCa ??= CertificateAuthority.open(join(mkdtempSync(join(tmpdir(), 'iot-test-ca-')), 'ca'));
  return sharedCa;
};

function notStarted(name: string): never {
  throw new Error(`The local ${name} was not started: pass { ${name}: true } to startLocalAwsServices`);
}

/**
 * Starts the asked-for local AWS services (in memory, nothing on disk) behind one edge endpoint on a free loopback
 * port. A store of a service that was not asked for throws when read.
 */
export async function startLocalAwsServices(options: LocalAwsOptions): Promise<LocalAws> {
  const closers: Array<() => Promise<void>> = [];
  const started: Partial<
    Record<'sns' | 'sqs' | 's3' | 'firehose' | 'shadows' | 'things' | 'certificates' | 'policies', unknown>
  > = {};
  const publisher = new RecordingIotPublisher();
  const edgeServices: Parameters<typeof startEdgeServer>[0]['services'] = [];

  let sqs: SqsStore | undefined;
  if (options.sqs || options.sns) {
    sqs = new SqsStore();
    if (options.sqs) edgeServices.push(new SqsService(sqs));
    started.sqs = sqs;
    closers.push(() => (sqs as SqsStore).close());
  }
  let sns: SnsStore | undefined;
  if (options.sns) {
    sns = new SnsStore({ queues: sqs, httpRetry: { retries: 0, delayMs: 10, timeoutMs: 2000 }, logger: silent });
    edgeServices.push(new SnsService(sns));
    started.sns = sns;
    closers.unshift(() => (sns as SnsStore).close());
  }
  if (options.firehose) {
    const s3 = new S3Store();
    const firehose = new FirehoseService({ objectWriter: s3, logger: silent });
    edgeServices.push(firehose);
    started.s3 = s3;
    started.firehose = firehose;
    closers.unshift(() => firehose.close());
  }
  if (options.iotData) {
    const shadows = new DeviceShadowService({
      publisher,
      logger: silent,
      ...(options.now ? { now: options.now } : {}),
    });
    publisher.observer = shadows;
    edgeServices.push(new IotDataPlaneService({ shadows }));
    started.shadows = shadows;
    closers.push(() => shadows.close());
  }
  if (options.iot) {
    const things = new ThingRegistry({ region: 'us-east-1' });
    const rules = new TopicRuleRegistry({ region: 'us-east-1' });
    const certificates = new CertificateRegistry({ region: 'us-east-1' });
    const policies = new PolicyRegistry({ region: 'us-east-1' });
    edgeServices.push(
      new IotControlPlaneService({
        rules,
        things,
        dataEndpoint: '127.0.0.1',
        identity: { ca: await testCa(), certificates, policies },
      }),
    );
    started.things = things;
    started.certificates = certificates;
    started.policies = policies;
  }

  const requests: EdgeRequestRecord[] = [];
  let interceptor: EdgeInterceptor | undefined;
  const recorded = (service: AwsService): AwsService => ({
    signingName: service.signingName,
    async handle(request) {
      const record = recordOf(service.signingName, request);
      requests.push(record);
      const answer = await interceptor?.(record);
      return answer ?? service.handle(request);
    },
  });

  const edge: EdgeServer = await startEdgeServer({ services: edgeServices.map(recorded) });
  if (sqs) sqs.baseUrl = edge.url;
  if (sns) sns.baseUrl = edge.url;

  const get = <T>(name: keyof typeof started, option: string): T => (started[name] as T) ?? notStarted(option);
  return {
    url: edge.url,
    clientConfig: {
      endpoint: edge.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    },
    get sns() {
      return get<SnsStore>('sns', 'sns');
    },
    get sqs() {
      return get<SqsStore>('sqs', 'sqs');
    },
    get s3() {
      return get<S3Store>('s3', 'firehose');
    },
    get firehose() {
      return get<FirehoseService>('firehose', 'firehose');
    },
    get shadows() {
      return get<DeviceShadowService>('shadows', 'iotData');
    },
    get things() {
      return get<ThingRegistry>('things', 'iot');
    },
    get certificates() {
      return get<CertificateRegistry>('certificates', 'iot');
    },
    get policies() {
      return get<PolicyRegistry>('policies', 'iot');
    },
    requests,
    requestsTo: (service, method, path) =>
      requests.filter((r) => r.service === service && (!method || r.method === method) && (!path || path.test(r.path))),
    intercept(next) {
      interceptor = next;
    },
    published: publisher.published,
    async stop() {
      for (const close of closers) await close();
      await edge.close();
    },
  };
}
