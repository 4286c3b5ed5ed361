import type { Flushable, LambdaInvoker, QueueSender, TopicPublisher } from '../contracts';
import { AwsServiceError, LOCAL_ACCOUNT_ID } from '../edge/aws-service';
import { CheckpointStore } from './checkpoint-store';
import {
  describeEventSourceMapping,
  type EventSourceMappingConfiguration,
  type EventSourceMappingProperties,
  type EventSourceMappingSettings,
  resolveEventSourceMapping,
} from './event-source-mapping';
import { FailureDestinations } from './invocation';
import { KinesisEventSource } from './kinesis-event-source';
import type { EventSourceLogger, EventSourceRuntime } from './runtime';
import type { QueueSource, StreamSource } from './sources';
import { SqsEventSource } from './sqs-event-source';

export interface EventSourceMappingManagerOptions {
  invoker: LambdaInvoker;
  /** Kinesis streams (the Kinesis service). */
  streams?: StreamSource;
  /** SQS queues (the SQS service). */
  queues?: QueueSource;
  /** For on-failure destinations that are queues. */
  queueSender?: QueueSender;
  /** For on-failure destinations that are topics. */
  topicPublisher?: TopicPublisher;
  /** A folder of its own for the checkpoints; in memory only without it. */
  dataDir?: string;
  accountId?: string;
  /** The clock, in ms since the epoch. */
  now?: () => number;
  /** Pause before retrying a failed batch: doubling from `initialMs` up to `maxMs`. Default 200 ms to 5 s. */
  retryBackoff?: { initialMs?: number; maxMs?: number };
  /** How often an SQS poller looks at an empty queue that cannot wake it (ms). Default 200. */
  queueIdlePollMs?: number;
  /** The execution role shown as `invokeIdentityArn` in Kinesis events. */
  invokeIdentityArn?: (functionArn: string) => string;
  logger?: EventSourceLogger;
}

interface Runner {
  start(): Promise<void>;
  stop(): Promise<void>;
}

interface Mapping {
  settings: EventSourceMappingSettings;
  runner?: Runner;
  lastModified: number;
  lastProcessingResult: string;
}

const consoleLogger: EventSourceLogger = {
  warn: (message, details) => console.warn(JSON.stringify({ level: 'WARN', message, ...details })),
};

/**
 * The event source mappings of the local cloud: Lambda's pollers for Kinesis streams and SQS queues, invoking
 * functions through the `LambdaInvoker`. Mappings are created from the resolved properties of
 * `AWS::Lambda::EventSourceMapping` resources; creating one again (same source, same function) updates it and keeps
 * its checkpoints.
 */
export class EventSourceMappingManager implements Flushable {
  private readonly mappings = new Map<string, Mapping>();
  private readonly runtime: EventSourceRuntime;
  private readonly checkpoints: CheckpointStore;
  private readonly accountId: string;
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly options: EventSourceMappingManagerOptions) {
    this.accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
    this.now = options.now ?? Date.now;
    this.checkpoints = new CheckpointStore(options.dataDir);
    const initialMs = options.retryBackoff?.initialMs ?? 200;
    const maxMs = options.retryBackoff?.maxMs ?? 5000;
    this.runtime = {
      invoker: options.invoker,
      destinations: new FailureDestinations(options.queueSender, options.topicPublisher),
      checkpoints: this.checkpoints,
      now: this.now,
      retryDelayMs: (attempt) => Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1)),
      queueIdlePollMs: options.queueIdlePollMs ?? 200,
      invokeIdentityArn:
        options.invokeIdentityArn ??
        ((functionArn) => `arn:aws:iam::${this.accountId}:role/${functionArn.split(':')[6]}-role`),
      logger: options.logger ?? consoleLogger,
      report: (uuid, result) => {
        const mapping = this.mappings.get(uuid);
        if (mapping) mapping.lastProcessingResult = result;
      },
    };
  }

  /**
   * Creates the mapping, or updates the one of the same event source and function; starts it when enabled.
   * `uuid` is the id to use, such as the one the CloudFormation interpreter gave the resource; without it the id is
   * derived from the event source and the function. Checkpoints are kept under the id, so it must be stable across
   * restarts.
   */
  async createEventSourceMapping(
    props: EventSourceMappingProperties,
    options: { uuid?: string } = {},
  ): Promise<EventSourceMappingConfiguration> {
    if (this.closed) throw new Error('The event source mapping manager is closed');
    const settings = resolveEventSourceMapping(props, this.accountId);
    if (options.uuid) settings.uuid = options.uuid;
    for (const other of this.mappings.values()) {
      const same = other.settings;
      if (
        same.uuid !== settings.uuid &&
        same.eventSourceArn === settings.eventSourceArn &&
        same.functionArn === settings.functionArn
      ) {
        throw new AwsServiceError(
          'ResourceConflictException',
          `An event source mapping with ${settings.eventSourceArn} and function ${settings.functionArn} already exists. Please update or delete the existing mapping with UUID ${same.uuid}`,
          409,
        );
      }
    }
    const existing = this.mappings.get(settings.uuid);
    if (existing && JSON.stringify(existing.settings) === JSON.stringify(settings)) return this.describe(existing);
    if (existing) await this.halt(existing);
    const mapping: Mapping = existing ?? { settings, lastModified: 0, lastProcessingResult: 'No records processed' };
    mapping.settings = settings;
    mapping.lastModified = this.now();
    this.mappings.set(settings.uuid, mapping);
    if (settings.enabled) {
      try {
        await this.run(mapping);
      } catch (error) {
        this.mappings.delete(settings.uuid);
        throw error;
      }
    }
    return this.describe(mapping);
  }

  getEventSourceMapping(uuid: string): EventSourceMappingConfiguration | undefined {
    const mapping = this.mappings.get(uuid);
    return mapping && this.describe(mapping);
  }

  listEventSourceMappings(
    filter: { functionArn?: string; eventSourceArn?: string } = {},
  ): EventSourceMappingConfiguration[] {
    return [...this.mappings.values()]
      .filter(
        ({ settings }) =>
          (!filter.functionArn || settings.functionArn === filter.functionArn) &&
          (!filter.eventSourceArn || settings.eventSourceArn === filter.eventSourceArn),
      )
      .map((mapping) => this.describe(mapping));
  }

  /** Enables the mapping: processing resumes from its checkpoints. */
  async start(uuid: string): Promise<EventSourceMappingConfiguration> {
    const mapping = this.mapping(uuid);
    if (!mapping.runner) {
      mapping.settings = { ...mapping.settings, enabled: true };
      mapping.lastModified = this.now();
      await this.run(mapping);
    }
    return this.describe(mapping);
  }

  /** Disables the mapping, after the batch in flight; its checkpoints are kept. */
  async stop(uuid: string): Promise<EventSourceMappingConfiguration> {
    const mapping = this.mapping(uuid);
    await this.halt(mapping);
    mapping.settings = { ...mapping.settings, enabled: false };
    mapping.lastModified = this.now();
    return this.describe(mapping);
  }

  async deleteEventSourceMapping(uuid: string): Promise<EventSourceMappingConfiguration> {
    const mapping = this.mapping(uuid);
    await this.halt(mapping);
    this.mappings.delete(uuid);
    await this.checkpoints.remove(uuid);
    return this.describe(mapping);
  }

  async flush(): Promise<void> {
    await this.checkpoints.flush();
  }

  /** Stops every mapping after its batches in flight, and writes the checkpoints. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.mappings.values()].map((mapping) => this.halt(mapping)));
    await this.flush();
  }

  private mapping(uuid: string): Mapping {
    const mapping = this.mappings.get(uuid);
    if (!mapping) {
      throw new AwsServiceError(
        'ResourceNotFoundException',
        `The resource you requested does not exist. (UUID ${uuid})`,
        404,
      );
    }
    return mapping;
  }

  private async run(mapping: Mapping): Promise<void> {
    const { settings } = mapping;
    let runner: Runner;
    if (settings.kind === 'kinesis') {
      if (!this.options.streams) throw new Error('The event source mapping manager was given no Kinesis streams');
      runner = new KinesisEventSource(settings, this.options.streams, this.runtime);
    } else {
      if (!this.options.queues) throw new Error('The event source mapping manager was given no SQS queues');
      runner = new SqsEventSource(settings, this.options.queues, this.runtime);
    }
    await runner.start();
    mapping.runner = runner;
  }

  private async halt(mapping: Mapping): Promise<void> {
    const runner = mapping.runner;
    mapping.runner = undefined;
    await runner?.stop();
  }

  private describe(mapping: Mapping): EventSourceMappingConfiguration {
    return describeEventSourceMapping(mapping.settings, mapping.lastModified, mapping.lastProcessingResult);
  }
}
