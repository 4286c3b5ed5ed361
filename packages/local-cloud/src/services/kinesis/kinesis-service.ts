import type { Flushable } from '../../contracts';
import {
  type AwsService,
  AwsServiceError,
  DEFAULT_REGION,
  type EdgeRequest,
  type EdgeResponse,
  LOCAL_ACCOUNT_ID,
} from '../../edge/aws-service';
import { MAX_HASH_KEY, parseExplicitHashKey } from './hash-key';
import { loadStreams, saveStreams } from './kinesis-persistence';
import { type KinesisRecord, type KinesisShard, KinesisStream, type StreamMode } from './kinesis-stream';

/** Where a reader starts in a shard, as GetShardIterator's ShardIteratorType names it. */
export type ShardStartingPosition =
  | { type: 'TRIM_HORIZON' }
  | { type: 'LATEST' }
  | { type: 'AT_TIMESTAMP'; timestamp: number }
  | { type: 'AT_SEQUENCE_NUMBER'; sequenceNumber: string }
  | { type: 'AFTER_SEQUENCE_NUMBER'; sequenceNumber: string };

export interface KinesisServiceOptions {
  /** The region in stream ARNs; default us-east-1. */
  region?: string;
  accountId?: string;
  /** A folder of its own where streams and their records are kept across restarts; in memory only without it. */
  dataDir?: string;
  /** Also flush on this period (ms) when `dataDir` is set, so a crash loses little; 0 turns it off. Default 5000. */
  flushIntervalMs?: number;
  /**
   * With `dataDir`: the bytes of records (data, partition key and about 200 bytes of bookkeeping each) a shard keeps
   * in memory once they are written to its file; older records of the retention period are read back from the file.
   * Records not yet written stay in memory until the next flush, which starts early when a shard is over its window.
   * Default 8 MiB. Without `dataDir` every record of the retention period stays in memory.
   */
  memoryWindowBytes?: number;
  /** The clock, in ms since the epoch; tests may pass their own. */
  now?: () => number;
}

/** The default of `KinesisServiceOptions.memoryWindowBytes`. */
export const DEFAULT_MEMORY_WINDOW_BYTES = 8 * 1024 * 1024;

export interface CreateStreamInput {
  streamName: string;
  /** Required for PROVISIONED streams; ON_DEMAND streams start with 4 shards. */
  shardCount?: number;
  streamMode?: StreamMode;
  /** 24 to 8760; default 24. */
  retentionPeriodHours?: number;
  tags?: Record<string, string>;
}

export interface PutRecordResult {
  shardId: string;
  sequenceNumber: string;
}

/** The resolved properties of an `AWS::Kinesis::Stream` (numbers may come as strings). */
export interface KinesisStreamProperties {
  Name?: string;
  ShardCount?: number | string;
  StreamModeDetails?: { StreamMode?: StreamMode };
  RetentionPeriodHours?: number | string;
  Tags?: { Key: string; Value: string }[];
}

/**
 * The CreateStream input for an `AWS::Kinesis::Stream` created under `streamName`. A provisioned stream without a
 * ShardCount gets one shard.
 */
export function createStreamInputFromTemplate(
  streamName: string,
  properties: KinesisStreamProperties,
): CreateStreamInput {
  const streamMode = properties.StreamModeDetails?.StreamMode ?? 'PROVISIONED';
  return {
    streamName,
    streamMode,
    shardCount: streamMode === 'ON_DEMAND' ? undefined : Number(properties.ShardCount ?? 1),
    retentionPeriodHours:
      properties.RetentionPeriodHours === undefined ? undefined : Number(properties.RetentionPeriodHours),
    tags: Object.fromEntries((properties.Tags ?? []).map((tag) => [tag.Key, tag.Value])),
  };
}

/** Called with the id of a shard that has new records; calls for a burst of puts are coalesced. */
export type ShardListener = (shardId: string) => void;

export const MAX_RECORD_BYTES = 1024 * 1024;
export const MAX_PUT_RECORDS = 500;
const MAX_PUT_RECORDS_BYTES = 5 * 1024 * 1024;
const MAX_GET_RECORDS_BYTES = 10 * 1024 * 1024;
const ITERATOR_LIFETIME_MS = 300_000;
const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;
const ON_DEMAND_SHARDS = 4;
const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';
const TARGET_PREFIX = 'Kinesis_20131202.';

type Json = Record<string, unknown>;

function invalidArgument(message: string): AwsServiceError {
  return new AwsServiceError('InvalidArgumentException', message);
}

function validation(message: string): AwsServiceError {
  return new AwsServiceError('ValidationException', `1 validation error detected: ${message}`);
}

function toBuffer(data: Buffer | Uint8Array | string): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return typeof data === 'string'
    ? Buffer.from(data, 'utf8')
    : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function seconds(ms: number): number {
  return ms / 1000;
}

/**
 * Kinesis Data Streams, in-process: the `Kinesis_20131202` JSON 1.1 API behind the edge endpoint, and the same
 * streams for in-process producers (`putRecord`) and consumers (`read` and `subscribe`, used by event source
 * mappings), so the hot path never goes through HTTP.
 */
export class KinesisService implements AwsService, Flushable {
  readonly signingName = 'kinesis';
  private readonly streams = new Map<string, KinesisStream>();
  private readonly listeners = new Map<string, Set<ShardListener>>();
  private readonly pendingNotifications = new Map<KinesisStream, Set<string>>();
  private notifyScheduled = false;
  private readonly region: string;
  private readonly accountId: string;
  private readonly now: () => number;
  private flushing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  /** A flush started because a shard holds more unwritten records than its memory window. */
  private earlyFlush: Promise<void> | undefined;
  private readonly memoryWindowBytes: number;

  /** Opens the service, restoring the streams kept in `dataDir`. */
  static async open(options: KinesisServiceOptions = {}): Promise<KinesisService> {
    const service = new KinesisService(options);
    if (options.dataDir) {
      const streams = await loadStreams(options.dataDir, service.now(), service.memoryWindowBytes);
      for (const stream of streams) service.streams.set(stream.name, stream);
    }
    return service;
  }

  constructor(private readonly options: KinesisServiceOptions = {}) {
    this.region = options.region ?? DEFAULT_REGION;
    this.accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
    this.now = options.now ?? Date.now;
    this.memoryWindowBytes = options.dataDir
      ? (options.memoryWindowBytes ?? DEFAULT_MEMORY_WINDOW_BYTES)
      : Number.POSITIVE_INFINITY;
    const interval = options.flushIntervalMs ?? 5000;
    const period = options.dataDir && interval > 0 ? interval : 60_000;
    this.timer = setInterval(() => {
      const now = this.now();
      for (const stream of this.streams.values()) stream.trim(now);
      if (options.dataDir && interval > 0) void this.flush().catch(() => undefined);
    }, period);
    this.timer.unref();
  }

  // ---- in-process API -------------------------------------------------------------------------------------------

  streamArn(streamName: string): string {
    return `arn:aws:kinesis:${this.region}:${this.accountId}:stream/${streamName}`;
  }

  createStream(input: CreateStreamInput): KinesisStream {
    const { streamName } = input;
    if (!STREAM_NAME.test(streamName)) {
      throw validation(
        `Value '${streamName}' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`,
      );
    }
    if (this.streams.has(streamName)) {
      throw new AwsServiceError(
        'ResourceInUseException',
        `Stream ${streamName} under account ${this.accountId} already exists.`,
      );
    }
    const mode = input.streamMode ?? 'PROVISIONED';
    let shardCount = input.shardCount;
    if (mode === 'ON_DEMAND') {
      if (shardCount !== undefined) throw invalidArgument('ShardCount is not supported for streams in ON_DEMAND mode.');
      shardCount = ON_DEMAND_SHARDS;
    } else if (shardCount === undefined) {
      throw invalidArgument('ShardCount is required for streams in PROVISIONED mode.');
    }
    if (!Number.isInteger(shardCount) || shardCount < 1) {
      throw validation(
        `Value '${shardCount}' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1`,
      );
    }
    const retentionPeriodHours = input.retentionPeriodHours ?? 24;
    if (!Number.isInteger(retentionPeriodHours) || retentionPeriodHours < 24 || retentionPeriodHours > 8760) {
      throw invalidArgument(`RetentionPeriodHours must be between 24 and 8760, got ${retentionPeriodHours}`);
    }
    const stream = new KinesisStream({
      name: streamName,
      arn: this.streamArn(streamName),
      createdAt: this.now(),
      mode,
      shardCount,
      retentionPeriodHours,
      memoryWindowBytes: this.memoryWindowBytes,
    });
    for (const [key, value] of Object.entries(input.tags ?? {})) stream.tags.set(key, value);
    this.streams.set(streamName, stream);
    return stream;
  }

  /** Creates the stream unless it exists (as after a restart with `dataDir`), and returns it. */
  ensureStream(input: CreateStreamInput): KinesisStream {
    return this.streams.get(input.streamName) ?? this.createStream(input);
  }

  deleteStream(streamNameOrArn: string): void {
    const stream = this.stream(streamNameOrArn);
    this.streams.delete(stream.name);
    this.listeners.delete(stream.name);
  }

  hasStream(streamNameOrArn: string): boolean {
    return this.streams.has(this.nameOf(streamNameOrArn));
  }

  /** Puts one record, as the PutRecord API does; for in-process producers such as the IoT rules engine. */
  putRecord(
    streamNameOrArn: string,
    data: Buffer | Uint8Array | string,
    partitionKey: string,
    explicitHashKey?: string,
  ): PutRecordResult {
    const stream = this.stream(streamNameOrArn);
    const payload = toBuffer(data);
    this.checkRecord(payload, partitionKey, 'data', 'partitionKey');
    const { shard, record } = stream.put(partitionKey, payload, this.now(), this.hashKeyOf(explicitHashKey));
    this.notify(stream, shard);
    return { shardId: shard.shardId, sequenceNumber: record.sequenceNumber };
  }

  /** The shard ids of a stream, in order. */
  listShardIds(streamNameOrArn: string): string[] {
    return this.stream(streamNameOrArn).shards.map((shard) => shard.shardId);
  }

  /**
   * The position a reader starts from: the position of the first record it will read. Positions are plain numbers
   * a reader keeps and passes to `read`; they stay valid across restarts.
   */
  position(streamNameOrArn: string, shardId: string, start: ShardStartingPosition): number {
    const stream = this.stream(streamNameOrArn);
    return this.startingPosition(stream, this.shardOf(stream, shardId), start);
  }

  /** Up to `limit` records from `position` on; `next` is where to read next. The records must not be changed. */
  read(
    streamNameOrArn: string,
    shardId: string,
    position: number,
    limit: number,
  ): { records: readonly KinesisRecord[]; next: number } {
    const stream = this.stream(streamNameOrArn);
    const shard = this.shardOf(stream, shardId);
    shard.trimBefore(this.now() - stream.retentionMs);
    const records = shard.read(position, limit);
    const last = records[records.length - 1];
    return { records, next: last ? last.position + 1 : Math.max(position, shard.trimHorizon) };
  }

  /** Approximately how many bytes the records of a stream (of every stream without one) take in memory. */
  memoryBytes(streamNameOrArn?: string): number {
    const streams = streamNameOrArn === undefined ? [...this.streams.values()] : [this.stream(streamNameOrArn)];
    return streams.reduce(
      (sum, stream) => sum + stream.shards.reduce((bytes, shard) => bytes + shard.memoryBytes, 0),
      0,
    );
  }

  /** Calls `listener` when records arrive on any shard of the stream; returns the function that unsubscribes. */
  subscribe(streamNameOrArn: string, listener: ShardListener): () => void {
    const name = this.stream(streamNameOrArn).name;
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener);
    return () => {
      this.listeners.get(name)?.delete(listener);
    };
  }

  async flush(): Promise<void> {
    const dataDir = this.options.dataDir;
    if (!dataDir) return;
    this.flushing = this.flushing.catch(() => undefined).then(() => saveStreams(dataDir, [...this.streams.values()]));
    return this.flushing;
  }

  /** Flushes as long as a shard holds more than its memory window of records not yet written. */
  private async flushWhileOverWindow(): Promise<void> {
    const overWindow = () =>
      [...this.streams.values()].some((stream) =>
        stream.shards.some(
          (shard) => shard.memoryBytes > this.memoryWindowBytes && shard.nextPosition > shard.persistedPosition,
        ),
      );
    while (this.timer && overWindow()) {
      try {
        await this.flush();
      } catch {
        return; // the periodic flush tries again
      }
    }
  }

  /** Stops the timers and flushes. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  // ---- the JSON 1.1 API ---------------------------------------------------------------------------------------------

  async handle(request: EdgeRequest): Promise<EdgeResponse> {
    try {
      const contentType = request.headers['content-type'] ?? '';
      if (contentType.includes('cbor')) {
        throw new AwsServiceError(
          'SerializationException',
          'Only the JSON protocol (application/x-amz-json-1.1) is served',
        );
      }
      const target = request.headers['x-amz-target'] ?? '';
      if (!target.startsWith(TARGET_PREFIX)) {
        throw new AwsServiceError('UnknownOperationException', `Unknown operation ${target}`);
      }
      let input: Json;
      try {
        input = request.body.length ? (JSON.parse(request.body.toString('utf8')) as Json) : {};
      } catch {
        throw new AwsServiceError('SerializationException', 'The request body is not valid JSON');
      }
      if (typeof input !== 'object' || input === null)
        throw new AwsServiceError('SerializationException', 'Expected an object');
      const output = this.dispatch(target.slice(TARGET_PREFIX.length), input);
      return { status: 200, headers: { 'content-type': JSON_CONTENT_TYPE }, body: JSON.stringify(output) };
    } catch (error) {
      const known = error instanceof AwsServiceError;
      const body = {
        __type: known ? error.code : 'InternalFailure',
        message: error instanceof Error ? error.message : String(error),
      };
      return {
        status: known ? error.status : 500,
        headers: { 'content-type': JSON_CONTENT_TYPE, 'x-amzn-errortype': body.__type },
        body: JSON.stringify(body),
      };
    }
  }

  private dispatch(operation: string, input: Json): Json {
    switch (operation) {
      case 'CreateStream':
        return this.apiCreateStream(input);
      case 'DeleteStream':
        this.deleteStream(this.streamParam(input).name);
        return {};
      case 'DescribeStream':
        return this.apiDescribeStream(input);
      case 'DescribeStreamSummary':
        return this.apiDescribeStreamSummary(input);
      case 'ListStreams':
        return this.apiListStreams(input);
      case 'ListShards':
        return this.apiListShards(input);
      case 'PutRecord':
        return this.apiPutRecord(input);
      case 'PutRecords':
        return this.apiPutRecords(input);
      case 'GetShardIterator':
        return this.apiGetShardIterator(input);
      case 'GetRecords':
        return this.apiGetRecords(input);
      case 'IncreaseStreamRetentionPeriod':
      case 'DecreaseStreamRetentionPeriod':
        return this.apiRetention(input, operation === 'IncreaseStreamRetentionPeriod');
      case 'AddTagsToStream': {
        const stream = this.streamParam(input);
        for (const [key, value] of Object.entries((input.Tags ?? {}) as Record<string, string>))
          stream.tags.set(key, value);
        return {};
      }
      case 'RemoveTagsFromStream': {
        const stream = this.streamParam(input);
        for (const key of (input.TagKeys ?? []) as string[]) stream.tags.delete(key);
        return {};
      }
      case 'ListTagsForStream': {
        const stream = this.streamParam(input);
        return { Tags: [...stream.tags].map(([Key, Value]) => ({ Key, Value })), HasMoreTags: false };
      }
      default:
        throw new AwsServiceError('UnknownOperationException', `The local Kinesis does not support ${operation}`);
    }
  }

  private apiCreateStream(input: Json): Json {
    const mode = (input.StreamModeDetails as { StreamMode?: StreamMode } | undefined)?.StreamMode;
    if (mode !== undefined && mode !== 'PROVISIONED' && mode !== 'ON_DEMAND') {
      throw validation(
        `Value '${mode}' at 'streamModeDetails.streamMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, ON_DEMAND]`,
      );
    }
    this.createStream({
      streamName: this.requiredString(input, 'StreamName', 'streamName'),
      shardCount: input.ShardCount === undefined ? undefined : Number(input.ShardCount),
      streamMode: mode,
      tags: (input.Tags ?? {}) as Record<string, string>,
    });
    return {};
  }

  private describeShard(shard: KinesisShard): Json {
    return {
      ShardId: shard.shardId,
      HashKeyRange: {
        StartingHashKey: shard.hashKeyRange.startingHashKey.toString(),
        EndingHashKey: shard.hashKeyRange.endingHashKey.toString(),
      },
      SequenceNumberRange: { StartingSequenceNumber: shard.sequenceNumberAt(0) },
    };
  }

  private summaryFields(stream: KinesisStream): Json {
    return {
      StreamName: stream.name,
      StreamARN: stream.arn,
      StreamStatus: 'ACTIVE',
      StreamModeDetails: { StreamMode: stream.mode },
      RetentionPeriodHours: stream.retentionPeriodHours,
      StreamCreationTimestamp: seconds(stream.createdAt),
      EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
      EncryptionType: 'NONE',
    };
  }

  private apiDescribeStream(input: Json): Json {
    const stream = this.streamParam(input);
    const limit = this.optionalInteger(input, 'Limit', 'limit', 1, 10_000) ?? 100;
    const after = input.ExclusiveStartShardId as string | undefined;
    const afterIndex = after === undefined ? -1 : (stream.shard(after)?.index ?? -1);
    const shards = stream.shards.filter((shard) => shard.index > afterIndex);
    return {
      StreamDescription: {
        ...this.summaryFields(stream),
        Shards: shards.slice(0, limit).map((shard) => this.describeShard(shard)),
        HasMoreShards: shards.length > limit,
      },
    };
  }

  private apiDescribeStreamSummary(input: Json): Json {
    const stream = this.streamParam(input);
    return {
      StreamDescriptionSummary: {
        ...this.summaryFields(stream),
        OpenShardCount: stream.shards.length,
        ConsumerCount: 0,
      },
    };
  }

  private apiListStreams(input: Json): Json {
    const limit = this.optionalInteger(input, 'Limit', 'limit', 1, 10_000) ?? 100;
    const token = input.NextToken as string | undefined;
    const after = token
      ? Buffer.from(token, 'base64').toString('utf8')
      : (input.ExclusiveStartStreamName as string | undefined);
    const names = [...this.streams.keys()].sort().filter((name) => after === undefined || name > after);
    const page = names.slice(0, limit);
    const more = names.length > limit;
    return {
      StreamNames: page,
      HasMoreStreams: more,
      StreamSummaries: page.map((name) => {
        const stream = this.streams.get(name) as KinesisStream;
        return {
          StreamName: stream.name,
          StreamARN: stream.arn,
          StreamStatus: 'ACTIVE',
          StreamModeDetails: { StreamMode: stream.mode },
          StreamCreationTimestamp: seconds(stream.createdAt),
        };
      }),
      ...(more ? { NextToken: Buffer.from(page[page.length - 1] as string).toString('base64') } : {}),
    };
  }

  private apiListShards(input: Json): Json {
    const limit = this.optionalInteger(input, 'MaxResults', 'maxResults', 1, 10_000) ?? 1000;
    let stream: KinesisStream;
    let afterIndex = -1;
    const token = input.NextToken as string | undefined;
    if (token) {
      if (input.StreamName !== undefined || input.StreamARN !== undefined) {
        throw invalidArgument('NextToken and StreamName cannot be provided together.');
      }
      const [name, index] = this.decodeToken(token, 'NextToken');
      stream = this.stream(String(name));
      afterIndex = Number(index);
    } else {
      stream = this.streamParam(input);
      const after = input.ExclusiveStartShardId as string | undefined;
      if (after !== undefined) afterIndex = stream.shard(after)?.index ?? -1;
    }
    const shards = stream.shards.filter((shard) => shard.index > afterIndex);
    const page = shards.slice(0, limit);
    const last = page[page.length - 1];
    return {
      Shards: page.map((shard) => this.describeShard(shard)),
      ...(shards.length > limit && last
        ? { NextToken: Buffer.from(JSON.stringify([stream.name, last.index])).toString('base64') }
        : {}),
    };
  }

  private apiPutRecord(input: Json): Json {
    const stream = this.streamParam(input);
    const partitionKey = this.requiredString(input, 'PartitionKey', 'partitionKey');
    const data = this.dataOf(input.Data, 'data');
    this.checkRecord(data, partitionKey, 'data', 'partitionKey');
    const hashKey = this.hashKeyOf(input.ExplicitHashKey as string | undefined);
    const { shard, record } = stream.put(partitionKey, data, this.now(), hashKey);
    this.notify(stream, shard);
    return { ShardId: shard.shardId, SequenceNumber: record.sequenceNumber };
  }

  private apiPutRecords(input: Json): Json {
    const stream = this.streamParam(input);
    const entries = input.Records;
    if (!Array.isArray(entries) || entries.length < 1) {
      throw validation(
        "Value null at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    }
    if (entries.length > MAX_PUT_RECORDS) {
      throw validation(
        `Value '[...]' at 'records' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PUT_RECORDS}`,
      );
    }
    let total = 0;
    const prepared = entries.map((entry: Json, index) => {
      const member = `records.${index + 1}.member`;
      const partitionKey = entry.PartitionKey;
      if (typeof partitionKey !== 'string') {
        throw validation(
          `Value null at '${member}.partitionKey' failed to satisfy constraint: Member must not be null`,
        );
      }
      const data = this.dataOf(entry.Data, `${member}.data`);
      this.checkRecord(data, partitionKey, `${member}.data`, `${member}.partitionKey`);
      total += data.length + Buffer.byteLength(partitionKey);
      return { partitionKey, data, hashKey: this.hashKeyOf(entry.ExplicitHashKey as string | undefined) };
    });
    if (total > MAX_PUT_RECORDS_BYTES) throw invalidArgument('Records size exceeds 5 MB limit');
    const now = this.now();
    const results = prepared.map(({ partitionKey, data, hashKey }) => {
      const { shard, record } = stream.put(partitionKey, data, now, hashKey);
      this.notify(stream, shard);
      return { ShardId: shard.shardId, SequenceNumber: record.sequenceNumber };
    });
    return { FailedRecordCount: 0, Records: results };
  }

  private apiGetShardIterator(input: Json): Json {
    const stream = this.streamParam(input);
    const shardId = this.requiredString(input, 'ShardId', 'shardId');
    const type = this.requiredString(input, 'ShardIteratorType', 'shardIteratorType');
    const shard = this.shardOf(stream, shardId);
    let start: ShardStartingPosition;
    switch (type) {
      case 'TRIM_HORIZON':
      case 'LATEST':
        start = { type };
        break;
      case 'AT_SEQUENCE_NUMBER':
      case 'AFTER_SEQUENCE_NUMBER': {
        const sequenceNumber = input.StartingSequenceNumber;
        if (typeof sequenceNumber !== 'string') {
          throw invalidArgument(`You must specify a starting sequence number for iterator type ${type}`);
        }
        start = { type, sequenceNumber };
        break;
      }
      case 'AT_TIMESTAMP': {
        if (typeof input.Timestamp !== 'number') {
          throw invalidArgument(
            'Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.',
          );
        }
        start = { type, timestamp: Math.round(input.Timestamp * 1000) };
        break;
      }
      default:
        throw validation(
          `Value '${type}' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, TRIM_HORIZON, AT_SEQUENCE_NUMBER]`,
        );
    }
    const position = this.startingPosition(stream, shard, start);
    return { ShardIterator: this.encodeIterator(stream, shard, position) };
  }

  private apiGetRecords(input: Json): Json {
    const iterator = this.requiredString(input, 'ShardIterator', 'shardIterator');
    const limit = this.optionalInteger(input, 'Limit', 'limit', 1, 10_000) ?? 10_000;
    const [name, createdAt, shardIndex, position, issuedAt] = this.decodeToken(iterator, 'ShardIterator');
    const stream = this.streams.get(String(name));
    if (!stream || stream.createdAt !== createdAt) {
      throw new AwsServiceError(
        'ResourceNotFoundException',
        `Stream ${String(name)} under account ${this.accountId} not found.`,
      );
    }
    const now = this.now();
    if (now - Number(issuedAt) > ITERATOR_LIFETIME_MS) {
      throw new AwsServiceError(
        'ExpiredIteratorException',
        `Iterator expired. The iterator was created at time ${new Date(Number(issuedAt)).toUTCString()} while right now it is ${new Date(now).toUTCString()} which is further in the future than the tolerated delay of ${ITERATOR_LIFETIME_MS} milliseconds.`,
      );
    }
    const shard = stream.shards[Number(shardIndex)];
    if (!shard) throw invalidArgument('Invalid ShardIterator.');
    shard.trimBefore(now - stream.retentionMs);
    const records = shard.read(Number(position), limit, MAX_GET_RECORDS_BYTES);
    let bytes = 0;
    let count = 0;
    for (const record of records) {
      bytes += record.data.length + record.partitionKey.length;
      if (count > 0 && bytes > MAX_GET_RECORDS_BYTES) break;
      count++;
    }
    const returned = records.slice(0, count);
    const last = returned[returned.length - 1];
    const next = last ? last.position + 1 : Math.max(Number(position), shard.trimHorizon);
    const behind = shard.recordAt(next);
    return {
      Records: returned.map((record) => ({
        SequenceNumber: record.sequenceNumber,
        ApproximateArrivalTimestamp: seconds(record.approximateArrivalTimestamp),
        Data: record.data.toString('base64'),
        PartitionKey: record.partitionKey,
      })),
      NextShardIterator: this.encodeIterator(stream, shard, next),
      MillisBehindLatest: behind ? Math.max(0, now - behind.approximateArrivalTimestamp) : 0,
    };
  }

  private apiRetention(input: Json, increase: boolean): Json {
    const stream = this.streamParam(input);
    const hours = this.optionalInteger(input, 'RetentionPeriodHours', 'retentionPeriodHours', 1, 8760);
    if (hours === undefined)
      throw validation("Value null at 'retentionPeriodHours' failed to satisfy constraint: Member must not be null");
    if (hours < 24) {
      throw invalidArgument(
        `Minimum allowed retention period is 24 hours. Requested retention period (${hours} hours) is too short.`,
      );
    }
    if (increase && hours < stream.retentionPeriodHours) {
      throw invalidArgument(
        `Requested retention period (${hours} hours) for stream ${stream.name} can not be shorter than existing retention period (${stream.retentionPeriodHours} hours). Use DecreaseRetentionPeriod API.`,
      );
    }
    if (!increase && hours > stream.retentionPeriodHours) {
      throw invalidArgument(
        `Requested retention period (${hours} hours) for stream ${stream.name} can not be longer than existing retention period (${stream.retentionPeriodHours} hours). Use IncreaseRetentionPeriod API.`,
      );
    }
    stream.retentionPeriodHours = hours;
    return {};
  }

  // ---- helpers --------------------------------------------------------------------------------------------------------

  private nameOf(streamNameOrArn: string): string {
    return streamNameOrArn.startsWith('arn:')
      ? streamNameOrArn.slice(streamNameOrArn.lastIndexOf('/') + 1)
      : streamNameOrArn;
  }

  private stream(streamNameOrArn: string): KinesisStream {
    const name = this.nameOf(streamNameOrArn);
    const stream = this.streams.get(name);
    if (!stream) {
      throw new AwsServiceError(
        'ResourceNotFoundException',
        `Stream ${name} under account ${this.accountId} not found.`,
      );
    }
    return stream;
  }

  private streamParam(input: Json): KinesisStream {
    const arn = input.StreamARN;
    const name = input.StreamName;
    if (typeof arn === 'string') {
      if (!/^arn:aws[a-z-]*:kinesis:[^:]*:\d{12}:stream\/[a-zA-Z0-9_.-]+$/.test(arn)) {
        throw invalidArgument(`Invalid StreamARN ${arn}`);
      }
      return this.stream(arn);
    }
    if (typeof name !== 'string') throw invalidArgument('Either StreamName or StreamARN should be provided.');
    return this.stream(name);
  }

  private shardOf(stream: KinesisStream, shardId: string): KinesisShard {
    const shard = stream.shard(shardId);
    if (!shard) {
      throw new AwsServiceError(
        'ResourceNotFoundException',
        `Shard ${shardId} in stream ${stream.name} under account ${this.accountId} does not exist`,
      );
    }
    return shard;
  }

  private startingPosition(stream: KinesisStream, shard: KinesisShard, start: ShardStartingPosition): number {
    shard.trimBefore(this.now() - stream.retentionMs);
    switch (start.type) {
      case 'TRIM_HORIZON':
        return shard.trimHorizon;
      case 'LATEST':
        return shard.nextPosition;
      case 'AT_TIMESTAMP': {
        const now = this.now();
        if (start.timestamp > now) {
          throw invalidArgument(
            `The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis: ${start.timestamp}, currentTimestampInMillis: ${now}`,
          );
        }
        return shard.positionArrivingAtOrAfter(start.timestamp);
      }
      case 'AT_SEQUENCE_NUMBER':
      case 'AFTER_SEQUENCE_NUMBER': {
        const position = shard.positionOf(start.sequenceNumber);
        if (position === undefined) {
          throw invalidArgument(
            `Invalid StartingSequenceNumber. It encodes a different shard or stream than ${shard.shardId} in stream ${stream.name} under account ${this.accountId}.`,
          );
        }
        const at = start.type === 'AT_SEQUENCE_NUMBER' ? position : position + 1;
        return Math.min(Math.max(at, shard.trimHorizon), shard.nextPosition);
      }
    }
  }

  private encodeIterator(stream: KinesisStream, shard: KinesisShard, position: number): string {
    return Buffer.from(JSON.stringify([stream.name, stream.createdAt, shard.index, position, this.now()])).toString(
      'base64',
    );
  }

  private decodeToken(token: string, name: string): unknown[] {
    try {
      const value = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as unknown;
      if (Array.isArray(value)) return value;
    } catch {
      // answered below
    }
    throw invalidArgument(`Invalid ${name}.`);
  }

  private dataOf(value: unknown, member: string): Buffer {
    if (typeof value !== 'string') {
      throw validation(`Value null at '${member}' failed to satisfy constraint: Member must not be null`);
    }
    return Buffer.from(value, 'base64');
  }

  private checkRecord(data: Buffer, partitionKey: string, dataMember: string, keyMember: string): void {
    if (data.length > MAX_RECORD_BYTES) {
      throw validation(
        `Value at '${dataMember}' failed to satisfy constraint: Member must have length less than or equal to ${MAX_RECORD_BYTES}`,
      );
    }
    if (partitionKey.length < 1 || partitionKey.length > 256) {
      throw validation(
        `Value '${partitionKey}' at '${keyMember}' failed to satisfy constraint: Member must have length ${
          partitionKey.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 256'
        }`,
      );
    }
  }

  private hashKeyOf(explicitHashKey: string | undefined): bigint | undefined {
    if (explicitHashKey === undefined) return undefined;
    const key = parseExplicitHashKey(explicitHashKey);
    if (key === undefined) {
      throw invalidArgument(
        `Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, ${MAX_HASH_KEY}]. Specified value was ${explicitHashKey}`,
      );
    }
    return key;
  }

  private requiredString(input: Json, name: string, member: string): string {
    const value = input[name];
    if (typeof value !== 'string') {
      throw validation(`Value null at '${member}' failed to satisfy constraint: Member must not be null`);
    }
    return value;
  }

  private optionalInteger(input: Json, name: string, member: string, min: number, max: number): number | undefined {
    const value = input[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new AwsServiceError('SerializationException', `${name} must be an integer`);
    }
    if (value < min) {
      throw validation(
        `Value '${value}' at '${member}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`,
      );
    }
    if (value > max) {
      throw validation(
        `Value '${value}' at '${member}' failed to satisfy constraint: Member must have value less than or equal to ${max}`,
      );
    }
    return value;
  }

  /**
   * After a put: flushes early if the shard holds more than its memory window (what is written can leave memory), and
   * wakes the stream's subscribers once per burst of puts, after the current task.
   */
  private notify(stream: KinesisStream, shard: KinesisShard): void {
    if (shard.memoryBytes > this.memoryWindowBytes && this.options.dataDir && !this.earlyFlush) {
      this.earlyFlush = this.flushWhileOverWindow().finally(() => {
        this.earlyFlush = undefined;
      });
    }
    const shardId = shard.shardId;
    if (!this.listeners.get(stream.name)?.size) return;
    let shards = this.pendingNotifications.get(stream);
    if (!shards) {
      shards = new Set();
      this.pendingNotifications.set(stream, shards);
    }
    shards.add(shardId);
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    queueMicrotask(() => {
      this.notifyScheduled = false;
      const pending = [...this.pendingNotifications];
      this.pendingNotifications.clear();
      for (const [pendingStream, shardIds] of pending) {
        const listeners = this.listeners.get(pendingStream.name);
        if (!listeners) continue;
        for (const shardId of shardIds) for (const listener of listeners) listener(shardId);
      }
    });
  }
}
