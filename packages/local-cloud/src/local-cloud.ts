import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type CloudFormationLogger,
  type DeployedStack,
  deployStack,
  ExportRegistry,
  type ResourceProviders,
} from './cloudformation';
import { type PackagedServiceInput, packageServices, readComposeFile } from './compose';
import type { AwsService } from './edge/aws-service';
import { type EdgeServer, type LocalRoute, type SiteHandler, startEdgeServer } from './edge/edge-server';
import { EventSourceMappingManager } from './event-sources';
import {
  type EventRuleSink,
  localCloudProviders,
  RecordingEventRuleSink,
  RecordingTopicRuleSink,
  type TopicRuleSink,
} from './providers';
import { prepareDataFolder } from './runtime/data-folder';
import { type HealthReport, HealthTracker } from './runtime/health';
import { checkPortsFree, type PortClaim } from './runtime/ports';
import { type StackSummary, summarizeStack } from './runtime/stack-summary';
import {
  type AuthorizeStrategy,
  allowEveryRequest,
  RestApiRegistry,
  type RestApiServer,
  startRestApiServer,
} from './services/apigateway';
import { DynamoDbService } from './services/dynamodb';
import { FirehoseService } from './services/firehose';
import { KinesisService } from './services/kinesis';
import { LambdaApi, LambdaRuntime, type LogConsole } from './services/lambda';
import { S3Service } from './services/s3';
import { SnsService, SnsStore } from './services/sns';
import { SqsService, SqsStore } from './services/sqs';

export const DEFAULT_EDGE_PORT = 4566;
export const DEFAULT_API_PORT = 3000;
export const DEFAULT_MQTT_PORT = 1883;
export const DEFAULT_MQTT_TLS_PORT = 8883;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_STAGE = 'local';

/**
 * Waits shorter than AWS's, for tests and demos. Each replaces what the templates or AWS's defaults say; leave one out
 * to keep AWS's timing.
 */
export interface LocalTiming {
  /** Replaces every Firehose buffering interval (templates say 60 s or more), in milliseconds. */
  firehoseBufferIntervalMs?: number;
  /** Caps the tumbling windows of Kinesis event source mappings (the aggregator's is 60 s), in seconds. */
  tumblingWindowSeconds?: number;
  /** Caps the batching windows of event source mappings, in seconds. */
  maximumBatchingWindowSeconds?: number;
  /** Waits before the retries of a failed asynchronous invocation (default 1 s and 2 s; AWS waits minutes). */
  asyncRetryDelaysMs?: number[];
}

/** Where the local cloud reports what the console should show besides the start-up table. */
export interface LocalCloudLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** What happens during the start, for progress output and for tests. */
export type LocalCloudEvent =
  | { type: 'listening'; endpoints: LocalCloudEndpoints }
  | { type: 'packaging'; service: string }
  | { type: 'packaged'; service: string; reused: boolean }
  | { type: 'deployed'; service: string; stack: StackSummary }
  | { type: 'healthy'; seconds: number };

/** The URLs the local cloud serves; written to `<dataDir>/endpoints.json`. */
export interface LocalCloudEndpoints {
  /** The edge endpoint: `AWS_ENDPOINT_URL` for AWS SDKs and the AWS CLI. */
  edge: string;
  /** The REST API's stage base URL, `http://127.0.0.1:3000/local`. */
  api: string;
  /** `GET` it: 200 once every stack is deployed, 503 before. */
  health: string;
  /** The MQTT broker, once the IoT part runs; other endpoints of extensions too. */
  mqtt?: string;
  [other: string]: string | undefined;
}

/** The running local services, for extensions and tests that need them in-process. */
export interface LocalCloudServices {
  dynamodb: DynamoDbService;
  sns: SnsStore;
  sqs: SqsStore;
  s3: S3Service;
  kinesis: KinesisService;
  firehose: FirehoseService;
  lambda: LambdaRuntime;
  eventSourceMappings: EventSourceMappingManager;
  restApis: RestApiRegistry;
}

/** What an extension is given when it starts: the running services, before any stack is deployed. */
export interface LocalCloudContext {
  services: LocalCloudServices;
  /** The edge endpoint's URL (`AWS_ENDPOINT_URL`). */
  edgeUrl: string;
  /** The REST API's stage base URL, `http://127.0.0.1:3000/local`. */
  apiUrl: string;
  /** The edge endpoint's HTTP server, for an extension that serves more on the same port (MQTT over WebSocket). */
  edgeServer: EdgeServer['server'];
  host: string;
  /** The plain MQTT port the user chose (default 1883; 0: any free port). */
  mqttPort: number;
  /** The MQTT over TLS port the user chose (default 8883; 0: any free port). */
  mqttTlsPort: number;
  /** False when plain MQTT (development only) is switched off. */
  plainMqtt: boolean;
  dataDir: string;
  region: string;
  stage: string;
  logger: LocalCloudLogger;
}

/** What a started extension adds to the local cloud. */
export interface StartedExtension {
  /** Receives the deployed topic rules in place of the recording sink (the IoT rules engine). */
  topicRules?: TopicRuleSink;
  /** Receives the deployed EventBridge rules (a scheduler). */
  eventRules?: EventRuleSink;
  /** Served on the edge endpoint by their signing name (`iot`, `iotdata`). */
  services?: AwsService[];
  /** Served on the edge endpoint under `/_local/<name>` (tooling: tokens, inspection). */
  localRoutes?: Record<string, LocalRoute>;
  /** Plain HTTP handlers served on the edge endpoint under their path (`/dashboard`), without AWS signatures. */
  sites?: Record<string, SiteHandler>;
  /** CloudFormation providers for more resource types (`AWS::IoT::ThingType`, `AWS::Cognito::UserPool` ...), or in place of the built-in ones. */
  providers?: ResourceProviders;
  /** Decides requests to REST API methods with a Cognito or Lambda authorizer (a token checker). */
  authorize?: AuthorizeStrategy;
  /** Added to the printed endpoints and to endpoints.json, e.g. `{ mqtt: 'mqtt://127.0.0.1:1883' }`. */
  endpoints?: Record<string, string>;
  /** Called first on shutdown. */
  close?(): Promise<void>;
}

/**
 * A part of the local cloud started with it, such as the local IoT Core (broker, rules engine, shadows). It starts
 * once the other services and the edge endpoint run and before the stacks are deployed, so the topic rules of the
 * templates reach its sink.
 */
export interface LocalCloudExtension {
  readonly name: string;
  /** Ports it listens on, checked with the others before anything starts. */
  readonly ports?: readonly ('mqtt' | 'mqttTls')[];
  start(context: LocalCloudContext): Promise<StartedExtension>;
}

export interface LocalCloudOptions {
  /** The repository root, where serverless-compose.yml is. */
  root: string;
  /** Where the data is kept; `<root>/.local` unless given. */
  dataDir?: string;
  /** Empties the data folder first. */
  reset?: boolean;
  /** The stage the services are packaged for (default `local`). */
  stage?: string;
  /** Default us-east-1. */
  region?: string;
  /** Where every server listens; 127.0.0.1 unless given. */
  host?: string;
  /** Default 4566; 0 picks a free port. */
  edgePort?: number;
  /** Default 3000; 0 picks a free port. */
  apiPort?: number;
  /** Plain MQTT, for development: default 1883; 0 picks a free port. Handed to extensions (the IoT broker). */
  mqttPort?: number;
  /** MQTT over TLS with client certificates: default 8883; 0 picks a free port. Handed to extensions. */
  mqttTlsPort?: number;
  /** Default true; false serves MQTT over TLS only (no plain port). */
  plainMqtt?: boolean;
  /** Package every service again even when unchanged. */
  forcePackage?: boolean;
  /**
   * Params per service that replace or add to those of serverless-compose.yml, as `--param` would when deploying,
   * e.g. `{ alerting: { alerts: 'stream' } }`.
   */
  params?: Record<string, Record<string, string>>;
  timing?: LocalTiming;
  /** Where deployed topic rules go when no extension takes them; a recording sink by default. */
  topicRules?: TopicRuleSink;
  /** Where deployed EventBridge rules go when no extension takes them; a recording sink by default. */
  eventRules?: EventRuleSink;
  extensions?: LocalCloudExtension[];
  /**
   * Decides requests to REST API methods with a Cognito or Lambda authorizer, when no extension does; by default
   * every request goes through, with no claims.
   */
  authorize?: AuthorizeStrategy;
  /** Where function log lines go besides `<dataDir>/logs/`: the console by default, `false` for nowhere. */
  functionLogs?: LogConsole | false;
  logger?: LocalCloudLogger;
  onProgress?: (event: LocalCloudEvent) => void;
  /** Aborting it stops a start under way (between two services), which then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The local cloud, running with every stack deployed. */
export interface LocalCloud {
  readonly endpoints: LocalCloudEndpoints;
  readonly dataDir: string;
  readonly stage: string;
  readonly region: string;
  /** Per service, in deployment order. */
  readonly stacks: readonly StackSummary[];
  /** The deployed stacks by service name. */
  readonly deployed: Readonly<Record<string, DeployedStack>>;
  readonly services: LocalCloudServices;
  readonly edge: EdgeServer;
  readonly restApiServer: RestApiServer;
  /** The topic rules the templates declared, when no extension took them. */
  readonly topicRules: TopicRuleSink;
  /** How long the start took, in milliseconds. */
  readonly startupMs: number;
  health(): HealthReport;
  /**
   * Stops everything cleanly: extensions first, then the pollers, SNS deliveries, Firehose buffers (written to S3),
   * the Lambda runtime (pending asynchronous events persisted), the servers and the stores (queues, streams, tables
   * written to the data folder). Safe to call twice.
   */
  close(): Promise<void>;
}

const consoleLogger: LocalCloudLogger = {
  info: (message) => console.log(message),
  warn: (message) => console.warn(message),
};

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Starts the local cloud: every emulated service, the edge endpoint and the REST API server; then packages each
 * service of serverless-compose.yml (stage `local`) in deployment order and deploys its CloudFormation template into
 * the local services, each service's outputs becoming the next ones' params. Resolves once every stack is deployed
 * (the health route answers 200 from then on); rejects, after stopping what it started, if a port is taken or a
 * service cannot be packaged or deployed.
 */
export async function startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  const started = Date.now();
  const root = resolve(options.root);
  const dataDir = resolve(options.dataDir ?? join(root, '.local'));
  const stage = options.stage ?? DEFAULT_STAGE;
  const region = options.region ?? 'us-east-1';
  const host = options.host ?? DEFAULT_HOST;
  const logger = options.logger ?? consoleLogger;
  const timing = options.timing ?? {};
  const extensions = options.extensions ?? [];
  const edgePort = options.edgePort ?? DEFAULT_EDGE_PORT;
  const apiPort = options.apiPort ?? DEFAULT_API_PORT;
  const mqttPort = options.mqttPort ?? DEFAULT_MQTT_PORT;
  const mqttTlsPort = options.mqttTlsPort ?? DEFAULT_MQTT_TLS_PORT;
  const plainMqtt = options.plainMqtt ?? true;
  const progress = (event: LocalCloudEvent) => options.onProgress?.(event);

  const compose = await readComposeFile(root);
  const claims: PortClaim[] = [
    { name: 'edge endpoint', port: edgePort, host, flag: '--edge-port', env: 'IOT_LOCAL_EDGE_PORT' },
    { name: 'REST API', port: apiPort, host, flag: '--api-port', env: 'IOT_LOCAL_API_PORT' },
  ];
  if (plainMqtt && extensions.some((extension) => extension.ports?.includes('mqtt'))) {
    claims.push({ name: 'MQTT broker', port: mqttPort, host, flag: '--mqtt-port', env: 'IOT_LOCAL_MQTT_PORT' });
  }
  if (extensions.some((extension) => extension.ports?.includes('mqttTls'))) {
    claims.push({
      name: 'MQTT over TLS',
      port: mqttTlsPort,
      host,
      flag: '--mqtt-tls-port',
      env: 'IOT_LOCAL_MQTT_TLS_PORT',
    });
  }
  await checkPortsFree(claims);
  await prepareDataFolder(dataDir, { reset: options.reset });

  const health = new HealthTracker(
    stage,
    compose.services.map((service) => service.name),
  );
  const closers: { name: string; close: () => Promise<void> }[] = [];
  const closeAll = async () => {
    health.set('stopping');
    for (const { name, close } of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        logger.warn(`Stopping ${name} failed: ${errorText(error)}`);
      }
    }
  };

  try {
    let edge: EdgeServer | undefined;
    const edgeUrl = () => edge?.url;

    // Created first, closed last: everything else writes into these.
    const dynamodb = new DynamoDbService({ dataDir });
    await dynamodb.start();
    closers.push({ name: 'DynamoDB', close: () => dynamodb.close() });
    const s3 = new S3Service({ dataDir, region });
    await s3.store.ready();
    const kinesis = await KinesisService.open({ dataDir: join(dataDir, 'kinesis'), region });
    closers.push({ name: 'Kinesis', close: () => kinesis.close() });
    const sqs = new SqsStore({ dataDir, region });
    closers.push({ name: 'SQS', close: () => sqs.close() });

    // Lambda and SNS call each other (destinations, subscriptions): SNS reaches Lambda through this forwarder.
    let lambda: LambdaRuntime | undefined;
    const lambdaInvoker = {
      invoke: (arn: string, event: unknown, type: 'RequestResponse' | 'Event') => {
        if (!lambda) throw new Error('The local Lambda is not running');
        return lambda.invoke(arn, event, type);
      },
    };
    const sns = new SnsStore({ dataDir, region, lambda: lambdaInvoker, queues: sqs });
    lambda = new LambdaRuntime({
      dataDir,
      endpointUrl: edgeUrl,
      queueSender: sqs,
      topicPublisher: sns,
      ...(timing.asyncRetryDelaysMs ? { retryDelaysMs: timing.asyncRetryDelaysMs } : {}),
      ...(options.functionLogs !== undefined ? { console: options.functionLogs } : {}),
    });
    const runtime = lambda;
    closers.push({ name: 'the edge endpoint', close: async () => edge?.close() });
    closers.push({ name: 'Lambda', close: () => runtime.close() });
    const firehose = new FirehoseService({
      objectWriter: s3.store,
      lambdaInvoker: runtime,
      dataDir,
      region,
      ...(timing.firehoseBufferIntervalMs !== undefined
        ? { bufferIntervalOverrideMs: timing.firehoseBufferIntervalMs }
        : {}),
    });
    await firehose.ready();
    closers.push({ name: 'Firehose', close: () => firehose.close() });
    closers.push({ name: 'SNS', close: () => sns.close() });
    const eventSourceMappings = new EventSourceMappingManager({
      invoker: runtime,
      streams: kinesis,
      queues: sqs,
      queueSender: sqs,
      topicPublisher: sns,
      dataDir: join(dataDir, 'event-source-mappings'),
    });
    closers.push({ name: 'event source mappings', close: () => eventSourceMappings.close() });
    const restApis = new RestApiRegistry();
    const services: LocalCloudServices = {
      dynamodb,
      sns,
      sqs,
      s3,
      kinesis,
      firehose,
      lambda: runtime,
      eventSourceMappings,
      restApis,
    };

    // Extensions add routes to this map once they start; the edge endpoint looks routes up per request.
    const localRoutes: Record<string, LocalRoute> = {
      health: async () => ({ status: health.httpStatus(), body: health.report() }),
    };
    edge = await startEdgeServer({
      host,
      port: edgePort,
      services: [dynamodb, new SnsService(sns), new SqsService(sqs), s3, firehose, kinesis, new LambdaApi(runtime)],
      localRoutes,
    });
    sqs.baseUrl = edge.url;
    sns.baseUrl = edge.url;
    let authorize = options.authorize ?? allowEveryRequest;
    const restApiServer = await startRestApiServer({
      registry: restApis,
      invoker: runtime,
      port: apiPort,
      host,
      authorize: (request, authorizer) => authorize(request, authorizer),
    });
    closers.push({ name: 'the REST API', close: () => restApiServer.close() });

    const endpoints: LocalCloudEndpoints = {
      edge: edge.url,
      api: restApiServer.stageUrl(stage),
      health: `${edge.url}/_local/health`,
    };
    let extraProviders: ResourceProviders = {};
    let topicRules = options.topicRules ?? new RecordingTopicRuleSink();
    let eventRules = options.eventRules ?? new RecordingEventRuleSink();
    for (const extension of extensions) {
      const part = await extension.start({
        services,
        edgeUrl: edge.url,
        apiUrl: endpoints.api,
        edgeServer: edge.server,
        host,
        mqttPort,
        mqttTlsPort,
        plainMqtt,
        dataDir,
        region,
        stage,
        logger,
      });
      if (part.close) closers.push({ name: extension.name, close: () => part.close?.() ?? Promise.resolve() });
      for (const service of part.services ?? []) edge.register(service);
      for (const [path, handler] of Object.entries(part.sites ?? {})) edge.mount(path, handler);
      for (const [name, route] of Object.entries(part.localRoutes ?? {})) {
        if (name !== 'health') localRoutes[name] = route;
      }
      extraProviders = { ...extraProviders, ...part.providers };
      if (part.topicRules) topicRules = part.topicRules;
      if (part.eventRules) eventRules = part.eventRules;
      if (part.authorize) authorize = part.authorize;
      Object.assign(endpoints, part.endpoints);
    }
    const endpointsFile = join(dataDir, 'endpoints.json');
    await writeFile(endpointsFile, `${JSON.stringify(endpoints, null, 2)}\n`);
    closers.push({ name: 'endpoints.json', close: () => rm(endpointsFile, { force: true }) });
    progress({ type: 'listening', endpoints });

    const cloudFormationLogger: CloudFormationLogger = {
      info: () => {},
      warn: (message) => logger.warn(message),
    };
    const providerTargets = {
      lambda: runtime,
      dynamodb,
      sns,
      sqs,
      s3,
      kinesis,
      firehose,
      eventSourceMappings,
      restApis,
      topicRules,
      eventRules,
      eventSourceTiming: {
        tumblingWindowSeconds: timing.tumblingWindowSeconds,
        maximumBatchingWindowSeconds: timing.maximumBatchingWindowSeconds,
      },
      logger: cloudFormationLogger,
    };
    const exports = new ExportRegistry();
    const deployed: Record<string, DeployedStack> = {};
    const stacks: StackSummary[] = [];

    const deploy = async (service: PackagedServiceInput): Promise<Record<string, string>> => {
      options.signal?.throwIfAborted();
      health.stack(service.name, 'deploying', { stackName: service.stackName });
      try {
        const stack = await deployStack({
          stackName: service.stackName,
          template: service.template,
          region,
          endpointUrl: edge?.url,
          providers: { ...localCloudProviders(providerTargets, service.serviceDir), ...extraProviders },
          exports,
          logger: cloudFormationLogger,
        });
        deployed[service.name] = stack;
        const summary = summarizeStack(service.name, stack, {
          reused: service.reused,
          routePath: (restApiId, resourceId) => restApis.resourcePath(restApiId, resourceId),
        });
        stacks.push(summary);
        health.stack(service.name, 'deployed');
        progress({ type: 'deployed', service: service.name, stack: summary });
        return stack.outputs;
      } catch (error) {
        health.stack(service.name, 'failed', { error: errorText(error) });
        throw error;
      }
    };

    options.signal?.throwIfAborted();
    await packageServices({
      root,
      stage,
      force: options.forcePackage,
      ...(options.params ? { params: options.params } : {}),
      onProgress: ({ service, step }) => {
        if (step === 'packaging') {
          options.signal?.throwIfAborted();
          health.stack(service, 'packaging');
          progress({ type: 'packaging', service });
        } else {
          progress({ type: 'packaged', service, reused: step === 'reused' });
        }
      },
      outputsOf: deploy,
    }).catch((error: unknown) => {
      const failing = health.report().stacks.find((s) => s.status === 'packaging' || s.status === 'deploying');
      if (failing) health.stack(failing.service, 'failed', { error: errorText(error) });
      throw error;
    });
    await writeFile(
      join(dataDir, 'stacks.json'),
      `${JSON.stringify(Object.fromEntries(stacks.map((s) => [s.stackName, { service: s.service, outputs: s.outputs }])), null, 2)}\n`,
    );
    health.set('healthy');
    const startupMs = Date.now() - started;
    progress({ type: 'healthy', seconds: startupMs / 1000 });

    let closing: Promise<void> | undefined;
    return {
      endpoints,
      dataDir,
      stage,
      region,
      stacks,
      deployed,
      services,
      edge,
      restApiServer,
      topicRules,
      startupMs,
      health: () => health.report(),
      close: () => {
        closing ??= closeAll();
        return closing;
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
