import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Flushable, LambdaInvoker, ObjectWriter } from '../../contracts';
import {
  type AwsService,
  AwsServiceError,
  DEFAULT_REGION,
  type EdgeRequest,
  type EdgeResponse,
  LOCAL_ACCOUNT_ID,
} from '../../edge/aws-service';
import { DeliveryStream, type DeliveryStreamState } from './delivery-stream';
import {
  type CreateDeliveryStreamInput,
  describeDestination,
  type ExtendedS3DestinationConfiguration,
  resolveDestination,
  type Tag,
  validateStreamName,
} from './delivery-stream-config';
import type { ServiceLogger } from './service-logger';

export interface FirehoseServiceOptions {
  /** Where delivered objects go: the local S3 store. */
  objectWriter: ObjectWriter;
  /** Runs transformation Lambdas (RequestResponse). Without it, records of streams with a processor fail processing. */
  lambdaInvoker?: LambdaInvoker;
  /** Delivery stream definitions are kept in `<dataDir>/firehose/delivery-streams.json`; without it, in memory. */
  dataDir?: string;
  /** The region of streams created in-process (API requests use the region they are signed for). */
  region?: string;
  logger?: ServiceLogger;
  /** Replaces every buffering interval (S3 and Lambda stages) with this many milliseconds: for tests and demos. */
  bufferIntervalOverrideMs?: number;
  /** Replaces every buffering size (S3 and Lambda stages) with this many bytes. */
  bufferSizeOverrideBytes?: number;
  /** First delay before retrying a failed transformation invocation, doubled on each retry. Default 1000 ms. */
  lambdaRetryDelayMs?: number;
  /** Delay between attempts to write an object S3 refused. Default 5000 ms, as in AWS. */
  deliveryRetryDelayMs?: number;
}

/** DescribeDeliveryStream's DeliveryStreamDescription. */
export type DeliveryStreamDescription = Record<string, unknown> & {
  DeliveryStreamName: string;
  DeliveryStreamARN: string;
  DeliveryStreamStatus: 'ACTIVE';
  VersionId: string;
};

const TARGET_PREFIX = 'Firehose_20150804.';
const MAX_RECORD_BYTES = 1_024_000;
const MAX_BATCH_RECORDS = 500;
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

const notFound = (name: string) =>
  new AwsServiceError(
    'ResourceNotFoundException',
    `Firehose stream ${name} under account ${LOCAL_ACCOUNT_ID} not found.`,
    400,
  );
const validation = (message: string) => new AwsServiceError('ValidationException', message, 400);
const invalidArgument = (message: string) => new AwsServiceError('InvalidArgumentException', message, 400);

function decodeData(value: unknown, member: string): Buffer {
  if (typeof value !== 'string') throw validation(`${member} is required and must be base64 data`);
  const data = Buffer.from(value, 'base64');
  if (data.length > MAX_RECORD_BYTES) {
    throw validation(
      `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${MAX_RECORD_BYTES}`,
    );
  }
  return data;
}

function checkBatch(records: readonly Uint8Array[]): void {
  if (records.length === 0 || records.length > MAX_BATCH_RECORDS) {
    throw validation(
      `1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length between 1 and ${MAX_BATCH_RECORDS}`,
    );
  }
  let total = 0;
  for (const record of records) {
    if (record.length > MAX_RECORD_BYTES) {
      throw validation(`A record is larger than ${MAX_RECORD_BYTES} bytes`);
    }
    total += record.length;
  }
  if (total > MAX_BATCH_BYTES) throw invalidArgument(`The records total more than ${MAX_BATCH_BYTES} bytes`);
}

/**
 * The local Firehose: DirectPut delivery streams to S3, over the JSON 1.1 API (`Firehose_20150804.*`) and in-process.
 *
 * Records are buffered per stream and written through the {@link ObjectWriter} when the buffer reaches its size, when
 * its interval elapses, and on {@link flush}. Firehose adds no separator between records: producers end each record
 * with a newline themselves when they want JSON lines (or configure an AppendDelimiterToRecord processor). With a
 * Lambda processor, records go through the documented transformation contract first; records that fail (ProcessingFailed,
 * missing from the answer, or a function that keeps failing) go to the error output prefix as JSON lines.
 *
 * What survives a restart: with a `dataDir`, the stream definitions. Buffered records live in memory only: a clean
 * stop ({@link close}, or {@link flush} before exiting) writes them to S3, while a crash or a kill loses them, and a
 * write S3 keeps refusing is retried until then. AWS, by contrast, stores a record durably before PutRecord answers;
 * here an answered PutRecord guarantees only that the record is buffered in this process.
 */
export class FirehoseService implements AwsService, Flushable {
  readonly signingName = 'firehose';
  private readonly streams = new Map<string, DeliveryStream>();
  private readonly file: string | undefined;
  private readonly region: string;
  private readonly logger: ServiceLogger;
  private readonly loading: Promise<void>;
  private saving: Promise<void> = Promise.resolve();
  private readonly background = new Set<Promise<void>>();

  constructor(private readonly options: FirehoseServiceOptions) {
    this.file = options.dataDir ? resolve(options.dataDir, 'firehose', 'delivery-streams.json') : undefined;
    this.region = options.region ?? DEFAULT_REGION;
    this.logger = options.logger ?? console;
    this.loading = this.load();
    this.loading.catch(() => undefined);
  }

  /** Resolves once the stream definitions on disk are loaded. Every operation waits for it. */
  ready(): Promise<void> {
    return this.loading;
  }

  // --- programmatic API (the CloudFormation interpreter, the IoT rules engine) ---

  /**
   * Creates a delivery stream from a CreateDeliveryStream request or the properties of an
   * AWS::KinesisFirehose::DeliveryStream (ExtendedS3DestinationConfiguration or S3DestinationConfiguration).
   * Rejects with ResourceInUseException if the name is taken, InvalidArgumentException for a configuration AWS
   * refuses or the local cloud does not emulate.
   */
  async createDeliveryStream(
    input: CreateDeliveryStreamInput,
    options: { region?: string } = {},
  ): Promise<{ arn: string }> {
    await this.loading;
    const name = validateStreamName(input?.DeliveryStreamName);
    if (this.streams.has(name)) {
      throw new AwsServiceError(
        'ResourceInUseException',
        `Firehose stream ${name} under account ${LOCAL_ACCOUNT_ID} already exists.`,
        400,
      );
    }
    const region = options.region ?? this.region;
    const state: DeliveryStreamState = {
      name,
      arn: `arn:aws:firehose:${region}:${LOCAL_ACCOUNT_ID}:deliverystream/${name}`,
      region,
      createTimestamp: Date.now(),
      versionId: 1,
      input: structuredClone(input),
    };
    this.streams.set(name, this.runtime(state));
    await this.save();
    return { arn: state.arn };
  }

  /**
   * Creates the delivery stream, or brings an existing one of that name to this configuration: what a template
   * deployment needs when it runs again over a data folder that kept the stream. An unchanged configuration keeps the
   * stream as it is; a changed one takes effect for new records with the next version, as UpdateDestination does.
   */
  async ensureDeliveryStream(
    input: CreateDeliveryStreamInput,
    options: { region?: string } = {},
  ): Promise<{ arn: string; created: boolean; updated: boolean }> {
    await this.loading;
    const current = this.streams.get(validateStreamName(input?.DeliveryStreamName));
    if (!current) return { ...(await this.createDeliveryStream(input, options)), created: true, updated: false };
    if (JSON.stringify(current.state.input) === JSON.stringify(input)) {
      return { arn: current.state.arn, created: false, updated: false };
    }
    resolveDestination(input);
    await this.replace(current, structuredClone(input));
    return { arn: current.state.arn, created: false, updated: true };
  }

  async describeDeliveryStream(name: string): Promise<DeliveryStreamDescription> {
    const stream = await this.stream(name);
    const { state } = stream;
    return {
      DeliveryStreamName: state.name,
      DeliveryStreamARN: state.arn,
      DeliveryStreamStatus: 'ACTIVE',
      DeliveryStreamEncryptionConfiguration: { Status: 'DISABLED' },
      DeliveryStreamType: 'DirectPut',
      VersionId: String(state.versionId),
      CreateTimestamp: state.createTimestamp / 1000,
      Destinations: [describeDestination(stream.destination)],
      HasMoreDestinations: false,
    };
  }

  async listDeliveryStreams(): Promise<string[]> {
    await this.loading;
    return [...this.streams.keys()].sort();
  }

  /**
   * Deletes a delivery stream. What it still buffers is delivered in the background, best effort (AWS makes no
   * promise either); {@link flush} and {@link close} wait for it.
   */
  async deleteDeliveryStream(name: string): Promise<void> {
    const stream = await this.stream(name);
    this.streams.delete(name);
    await this.save();
    this.track(
      stream
        .flush()
        .catch((error: unknown) =>
          this.logger.error(`Delivery stream ${name} was deleted with undelivered data`, error),
        )
        .finally(() => stream.dispose()),
    );
  }

  /**
   * Puts records into a delivery stream, as PutRecordBatch does (up to 500 records, 1,000 KiB each, 4 MiB in all);
   * resolves their record ids. Firehose adds no separator: end each record with `\n` for JSON lines.
   */
  async putRecords(streamName: string, records: readonly Uint8Array[]): Promise<string[]> {
    const stream = await this.stream(streamName);
    checkBatch(records);
    return stream.put(records);
  }

  /** Writes out everything buffered by every stream; rejects (after trying all) if some objects could not be written. */
  async flush(): Promise<void> {
    await this.loading;
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
    const results = await Promise.allSettled([...this.streams.values()].map((stream) => stream.flush()));
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    if (errors.length > 0) throw new AggregateError(errors, 'Some Firehose deliveries could not be written');
  }

  /** Flushes, then stops every timer. What could not be written is reported and dropped. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      for (const stream of this.streams.values()) {
        const dropped = stream.dispose();
        if (dropped > 0) this.logger.error(`Delivery stream ${stream.name}: ${dropped} record(s) dropped on close`);
      }
      await this.saving;
    }
  }

  // --- JSON 1.1 API ---

  async handle(request: EdgeRequest): Promise<EdgeResponse> {
    try {
      const target = request.headers['x-amz-target'] ?? '';
      if (!target.startsWith(TARGET_PREFIX)) {
        throw new AwsServiceError('UnknownOperationException', `Unknown operation ${target}`, 400);
      }
      let body: Record<string, unknown>;
      try {
        body = request.body.length ? (JSON.parse(request.body.toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        throw new AwsServiceError('SerializationException', 'The request body is not JSON', 400);
      }
      const result = await this.operation(target.slice(TARGET_PREFIX.length), body ?? {}, request);
      return { status: 200, headers: { 'content-type': JSON_CONTENT_TYPE }, body: JSON.stringify(result) };
    } catch (error) {
      if (!(error instanceof AwsServiceError)) this.logger.error('Firehose request failed', error);
      const code = error instanceof AwsServiceError ? error.code : 'ServiceUnavailableException';
      const status = error instanceof AwsServiceError ? error.status : 500;
      const message = error instanceof AwsServiceError ? error.message : 'The service is unavailable.';
      return {
        status,
        headers: { 'content-type': JSON_CONTENT_TYPE, 'x-amzn-errortype': code },
        body: JSON.stringify({ __type: code, message }),
      };
    }
  }

  private async operation(name: string, body: Record<string, unknown>, request: EdgeRequest): Promise<unknown> {
    const streamName = body.DeliveryStreamName as string;
    switch (name) {
      case 'CreateDeliveryStream': {
        const { arn } = await this.createDeliveryStream(body as unknown as CreateDeliveryStreamInput, {
          region: request.region,
        });
        return { DeliveryStreamARN: arn };
      }
      case 'DescribeDeliveryStream':
        return { DeliveryStreamDescription: await this.describeDeliveryStream(streamName) };
      case 'ListDeliveryStreams':
        return this.listOperation(body);
      case 'DeleteDeliveryStream':
        await this.deleteDeliveryStream(streamName);
        return {};
      case 'PutRecord': {
        const data = decodeData((body.Record as { Data?: unknown } | undefined)?.Data, 'record.data');
        const [recordId] = await this.putRecords(streamName, [data]);
        return { RecordId: recordId, Encrypted: false };
      }
      case 'PutRecordBatch': {
        const records = Array.isArray(body.Records) ? (body.Records as { Data?: unknown }[]) : [];
        const data = records.map((record, index) => decodeData(record?.Data, `records.${index + 1}.member.data`));
        const ids = await this.putRecords(streamName, data);
        return { FailedPutCount: 0, Encrypted: false, RequestResponses: ids.map((RecordId) => ({ RecordId })) };
      }
      case 'UpdateDestination':
        await this.updateDestination(body);
        return {};
      case 'ListTagsForDeliveryStream': {
        const stream = await this.stream(streamName);
        return { Tags: stream.state.input.Tags ?? [], HasMoreTags: false };
      }
      case 'TagDeliveryStream':
        await this.changeTags(streamName, (tags) => {
          const added = (body.Tags as Tag[] | undefined) ?? [];
          return [...tags.filter((t) => !added.some((a) => a.Key === t.Key)), ...added];
        });
        return {};
      case 'UntagDeliveryStream':
        await this.changeTags(streamName, (tags) =>
          tags.filter((t) => !((body.TagKeys as string[] | undefined) ?? []).includes(t.Key)),
        );
        return {};
      default:
        throw new AwsServiceError(
          'UnknownOperationException',
          `The local cloud does not emulate Firehose's ${name} operation`,
          400,
        );
    }
  }

  private async listOperation(body: Record<string, unknown>): Promise<unknown> {
    const limit = Math.min(Math.max(Number(body.Limit ?? 10) || 10, 1), 10000);
    const type = body.DeliveryStreamType as string | undefined;
    const after = body.ExclusiveStartDeliveryStreamName as string | undefined;
    const names = (await this.listDeliveryStreams()).filter(
      (name) => (!type || type === 'DirectPut') && (!after || name > after),
    );
    return { DeliveryStreamNames: names.slice(0, limit), HasMoreDeliveryStreams: names.length > limit };
  }

  /** UpdateDestination: the new configuration takes effect for records put from now on, with the next version. */
  private async updateDestination(body: Record<string, unknown>): Promise<void> {
    const current = await this.stream(body.DeliveryStreamName as string);
    if (String(body.CurrentDeliveryStreamVersionId) !== String(current.state.versionId)) {
      throw new AwsServiceError(
        'ConcurrentModificationException',
        `CurrentDeliveryStreamVersionId ${String(body.CurrentDeliveryStreamVersionId)} is not the current version ${current.state.versionId}`,
        400,
      );
    }
    if (body.DestinationId !== 'destinationId-000000000001') {
      throw invalidArgument(`Destination ${String(body.DestinationId)} not found`);
    }
    const update = (body.ExtendedS3DestinationUpdate ?? body.S3DestinationUpdate) as
      | Partial<ExtendedS3DestinationConfiguration>
      | undefined;
    if (!update) throw invalidArgument('The local cloud updates only S3 destinations');
    const { input } = current.state;
    const previous = (input.ExtendedS3DestinationConfiguration ??
      input.S3DestinationConfiguration) as ExtendedS3DestinationConfiguration;
    const merged: ExtendedS3DestinationConfiguration = {
      ...previous,
      ...update,
      BufferingHints: { ...previous.BufferingHints, ...update.BufferingHints },
    } as ExtendedS3DestinationConfiguration;
    const nextInput: CreateDeliveryStreamInput = {
      ...input,
      S3DestinationConfiguration: undefined,
      ExtendedS3DestinationConfiguration: merged,
    };
    resolveDestination(nextInput);
    await this.replace(current, nextInput);
  }

  /** Puts a new version of a stream in place; what the old one buffers is delivered with the old configuration. */
  private async replace(current: DeliveryStream, input: CreateDeliveryStreamInput): Promise<void> {
    const next = this.runtime({ ...current.state, versionId: current.state.versionId + 1, input });
    this.streams.set(current.name, next);
    await this.save();
    this.track(
      current
        .flush()
        .catch((error: unknown) => this.logger.error(`Delivery stream ${current.name}: undelivered data`, error))
        .finally(() => current.dispose()),
    );
  }

  private async changeTags(name: string, change: (tags: Tag[]) => Tag[]): Promise<void> {
    const stream = await this.stream(name);
    stream.state.input.Tags = change(stream.state.input.Tags ?? []);
    await this.save();
  }

  // --- internals ---

  private runtime(state: DeliveryStreamState): DeliveryStream {
    return new DeliveryStream(state, {
      objectWriter: this.options.objectWriter,
      lambdaInvoker: this.options.lambdaInvoker,
      logger: this.logger,
      bufferIntervalOverrideMs: this.options.bufferIntervalOverrideMs,
      bufferSizeOverrideBytes: this.options.bufferSizeOverrideBytes,
      lambdaRetryDelayMs: this.options.lambdaRetryDelayMs ?? 1000,
      deliveryRetryDelayMs: this.options.deliveryRetryDelayMs ?? 5000,
    });
  }

  private async stream(name: string): Promise<DeliveryStream> {
    await this.loading;
    const stream = typeof name === 'string' ? this.streams.get(name) : undefined;
    if (!stream) throw notFound(String(name));
    return stream;
  }

  private track(work: Promise<void>): void {
    const tracked = work.finally(() => this.background.delete(tracked));
    this.background.add(tracked);
  }

  private async load(): Promise<void> {
    if (!this.file) return;
    let saved: { deliveryStreams?: DeliveryStreamState[] };
    try {
      saved = JSON.parse(await readFile(this.file, 'utf8')) as { deliveryStreams?: DeliveryStreamState[] };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const state of saved.deliveryStreams ?? []) {
      try {
        this.streams.set(state.name, this.runtime(state));
      } catch (error) {
        this.logger.error(`Delivery stream ${state.name} from ${this.file} cannot be restored`, error);
      }
    }
  }

  /** Writes the definitions to a temporary file renamed over the previous one, one save after another. */
  private save(): Promise<void> {
    const file = this.file;
    if (!file) return Promise.resolve();
    const run = async () => {
      const deliveryStreams = [...this.streams.values()].map((s) => s.state);
      const temp = join(dirname(file), `.delivery-streams.${process.pid}.tmp`);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(temp, `${JSON.stringify({ deliveryStreams }, null, 2)}\n`);
      await rename(temp, file);
    };
    const saving = this.saving.then(run, run);
    this.saving = saving.catch(() => undefined);
    return saving;
  }
}
