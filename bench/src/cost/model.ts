import { IOT_MESSAGING_TIERS, PRICES, type PriceName } from './prices';

/** Hours and seconds in the month AWS's pricing examples use. */
export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

export type StreamMode = 'on-demand' | 'provisioned';
/** Where alarms are evaluated (param `alerts`): a rule action invoking a Lambda per message, or on the Kinesis stream. */
export type AlertPlacement = 'rule' | 'stream';

export interface FleetInput {
  devices: number;
  intervalSeconds: number;
  payloadBytes: number;
  windowSeconds: number;
  streamMode: StreamMode;
  alerts: AlertPlacement;
}

/**
 * What the model assumes beyond the fleet: behaviour of the code (counted from the templates and adapters) and
 * figures that only a deployment can measure (durations). Every one is printed with the bill.
 */
export interface Assumptions {
  /** Bytes of the topic, metered with the payload (`devices/<id>/telemetry`, or the Basic Ingest form). */
  topicBytes: number;
  /** Metrics per message that have a threshold rule, hence an alarm to read and write. */
  alarmedMetricsPerMessage: number;
  /** Share of readings that change an alarm's state (one SNS publish each, ours). */
  alarmChangeRate: number;
  /** Share of readings over a threshold (one SNS publish each, original: no alarm state). */
  breachRate: number;
  /** Seconds thresholds stay cached in a warm evaluate function (THRESHOLD_CACHE_TTL_SECONDS, default 60). */
  thresholdCacheSeconds: number;
  /**
   * Seconds an alarm may stay unwritten while readings change nothing it keeps (ALARM_REFRESH_SECONDS, default 300):
   * each warm evaluation that sees a device writes its alarms at most that often.
   */
  alarmRefreshSeconds: number;
  /** Seconds the stream evaluation's event source waits to fill a batch (its batchWindow, alerts on the stream). */
  alertBatchWindowSeconds: number;
  /** Billed milliseconds of one stream evaluation batch beyond its records' (alerts on the stream). */
  evaluateBatchMs: number;
  lambdaMemoryGb: number;
  /** Billed milliseconds of a per-message evaluate invocation. */
  evaluateMs: number;
  /** Billed milliseconds of one stream batch of the aggregator (and of the evaluation there, if placed on it). */
  batchMs: number;
  /** Milliseconds of evaluation per record inside a stream batch. */
  evaluatePerRecordMs: number;
  /** Seconds the stream event source waits to fill a batch (batchWindow). */
  batchWindowSeconds: number;
  /** Shards an on-demand stream starts with (4 MB/s of writes). */
  onDemandShards: number;
  /** Seconds Firehose buffers (raw archive and metrics export). */
  firehoseBufferSeconds: number;
  /** Bytes the rule's SELECT adds to the payload (deviceId, receivedAt). */
  projectionOverheadBytes: number;
  /** Bytes of one window-metrics record. */
  windowRecordBytes: number;
  /** Seconds the raw archive's feed gathers a stream batch per shard (its batchWindow, `rawArchiveBatchSeconds`). */
  archiveBatchWindowSeconds: number;
  /** Billed milliseconds of one archive-feed batch beyond its records' (the PutRecordBatch call). */
  archiveBatchMs: number;
  /** Milliseconds per record of the archive feed (validation, normalising, packing). */
  archivePerRecordMs: number;
  /** Largest Firehose record the archive feed and the metrics export pack lines into (MAX_PACKED_RECORD_BYTES). */
  packedRecordBytes: number;
  /** Bytes of raw records after which Firehose invokes the archive's processor (its BufferSizeInMBs). */
  processorBufferBytes: number;
  /** Seconds the recent-readings consumer gathers a stream batch per shard (its batchWindow). */
  recentBatchWindowSeconds: number;
  /** Billed milliseconds of one recent-readings batch beyond its records' (BatchWriteItem calls). */
  recentBatchMs: number;
  /**
   * Devices someone watches at a time (a dashboard page open on them): only their readings are recorded for live
   * charts. Not something a template says; a guess for a fleet of this size.
   */
  watchedDevices: number;
  /** Minutes a read of a device's readings keeps them recorded (`liveReadingsWatchMinutes`); rewritten at half. */
  liveReadingsWatchMinutes: number;
  /** Seconds between a dashboard's polls of a watched device's readings (its `pollSeconds`, default 5). */
  dashboardPollSeconds: number;
  /** Bytes of one watch mark in the marks item (device id and time, with DynamoDB's attribute overhead). */
  watchMarkBytes: number;
}

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  topicBytes: 60,
  alarmedMetricsPerMessage: 2,
  alarmChangeRate: 0.001,
  breachRate: 0.01,
  thresholdCacheSeconds: 60,
  alarmRefreshSeconds: 300,
  alertBatchWindowSeconds: 1,
  evaluateBatchMs: 20,
  lambdaMemoryGb: 0.25,
  evaluateMs: 20,
  batchMs: 100,
  evaluatePerRecordMs: 0.05,
  batchWindowSeconds: 5,
  onDemandShards: 4,
  firehoseBufferSeconds: 60,
  projectionOverheadBytes: 80,
  windowRecordBytes: 400,
  archiveBatchWindowSeconds: 30,
  archiveBatchMs: 50,
  archivePerRecordMs: 0.05,
  packedRecordBytes: 512 * 1024,
  processorBufferBytes: 1024 * 1024,
  recentBatchWindowSeconds: 1,
  recentBatchMs: 30,
  watchedDevices: 10,
  liveReadingsWatchMinutes: 10,
  dashboardPollSeconds: 5,
  watchMarkBytes: 40,
};

export interface CostLine {
  service: string;
  item: string;
  quantity: number;
  unit: string;
  usd: number;
}

export interface DesignBill {
  design: string;
  lines: CostLine[];
  monthlyUsd: number;
  usdPerMillionMessages: number;
}

export interface CostReport {
  input: FleetInput;
  assumptions: Assumptions;
  messagesPerMonth: number;
  original: DesignBill;
  ours: DesignBill;
  /** ours / original per million messages. */
  ratio: number;
  /** The same without the live-readings feature (`RECENT_READINGS` lines), which the original design does not have. */
  ratioWithoutLiveReadings: number;
}

const KB = 1024;
const GB = 1024 ** 3;

/** How many `increment`-byte units a record of `bytes` is metered as (at least one). */
export function meteredUnits(bytes: number, incrementBytes: number): number {
  return Math.max(1, Math.ceil(bytes / incrementBytes));
}

/** The IoT Core messaging charge of a month's metered messages, across the volume tiers. */
export function iotMessagingUsd(meteredMessages: number): number {
  let left = meteredMessages;
  let usd = 0;
  for (const [size, price] of IOT_MESSAGING_TIERS) {
    const inTier = Math.min(left, size);
    usd += (inTier / 1e6) * PRICES[price].usd;
    left -= inTier;
    if (left <= 0) break;
  }
  return usd;
}

function line(service: string, item: string, quantity: number, price: PriceName, perUnits: number): CostLine {
  const { usd, unit } = PRICES[price];
  return { service, item, quantity, unit, usd: (quantity / perUnits) * usd };
}

function lambdaLines(name: string, invocations: number, ms: number, memoryGb: number): CostLine[] {
  const gbSeconds = invocations * (ms / 1000) * memoryGb;
  return [
    line('Lambda', `${name}: requests`, invocations, 'lambdaRequestsPerMillion', 1e6),
    line('Lambda', `${name}: duration (GB-s)`, gbSeconds, 'lambdaArmGbSecond', 1),
  ];
}

function bill(design: string, lines: CostLine[], messages: number): DesignBill {
  const monthlyUsd = lines.reduce((sum, l) => sum + l.usd, 0);
  return { design, lines, monthlyUsd, usdPerMillionMessages: monthlyUsd / (messages / 1e6) };
}

/**
 * GB of Firehose Direct PUT ingestion for `lines` lines of `lineBytes` each: one record per line (each metered as at
 * least 5 KB), or, `packedBatches` given, lines packed into records of up to `packedRecordBytes` in that many batches
 * (each record rounded up to 5 KB).
 */
export function firehoseIngestGb(lines: number, lineBytes: number, a: Assumptions, packedBatches?: number): number {
  const increment = 5 * KB;
  if (packedBatches === undefined) return (lines * meteredUnits(lineBytes, increment) * increment) / GB;
  const batchBytes = (lines / packedBatches) * lineBytes;
  const fullRecords = Math.floor(batchBytes / a.packedRecordBytes);
  const rest = batchBytes - fullRecords * a.packedRecordBytes;
  const metered =
    fullRecords * meteredUnits(a.packedRecordBytes, increment) + (rest > 0 ? meteredUnits(rest, increment) : 0);
  return (packedBatches * metered * increment) / GB;
}

function deviceWindowsPerMonth(input: FleetInput): number {
  return input.devices * (SECONDS_PER_MONTH / input.windowSeconds);
}

/** Lines both designs share: connections, the stream into the aggregation, its outputs, S3. */
function sharedLines(input: FleetInput, a: Assumptions, messages: number): CostLine[] {
  const connectionMinutes = input.devices * HOURS_PER_MONTH * 60;
  const deviceWindows = deviceWindowsPerMonth(input);
  const rawRecordBytes = input.payloadBytes + a.projectionOverheadBytes;
  const archiveObjects = 2 * (SECONDS_PER_MONTH / a.firehoseBufferSeconds);
  const storedGb = (messages * rawRecordBytes + deviceWindows * a.windowRecordBytes) / GB;
  return [
    line('IoT Core', 'connectivity (connection-minutes)', connectionMinutes, 'iotConnectivityPerMillionMinutes', 1e6),
    ...streamLines(input, a, messages),
    line(
      'DynamoDB',
      'window metrics: writes (1 per device per window)',
      deviceWindows,
      'dynamoWriteRequestUnitsPerMillion',
      1e6,
    ),
    line('S3', 'objects written by Firehose', archiveObjects, 's3PutPerThousand', 1000),
    line('S3', "storage of the month's archive and metrics (grows monthly)", storedGb, 's3StandardGbMonth', 1),
  ];
}

function streamLines(input: FleetInput, a: Assumptions, messages: number): CostLine[] {
  const recordBytes = input.payloadBytes + a.projectionOverheadBytes;
  if (input.streamMode === 'on-demand') {
    const ingestGb = (messages * meteredUnits(recordBytes, KB) * KB) / GB;
    return [
      line('Kinesis', 'stream-hours (on-demand)', HOURS_PER_MONTH, 'kinesisOnDemandStreamHour', 1),
      line('Kinesis', 'data in (1 KB per record)', ingestGb, 'kinesisOnDemandIngestGb', 1),
      line('Kinesis', 'data out (the aggregation)', ingestGb, 'kinesisOnDemandRetrievalGb', 1),
    ];
  }
  const recordsPerSecond = input.devices / input.intervalSeconds;
  const shards = Math.max(1, Math.ceil(recordsPerSecond / 1000), Math.ceil((recordsPerSecond * recordBytes) / 1e6));
  const payloadUnits = messages * meteredUnits(recordBytes, 25 * KB);
  return [
    line('Kinesis', `shard-hours (${shards} provisioned)`, shards * HOURS_PER_MONTH, 'kinesisShardHour', 1),
    line('Kinesis', 'PUT payload units (25 KB)', payloadUnits, 'kinesisPutPayloadUnitsPerMillion', 1e6),
  ];
}

function shardsOf(input: FleetInput, a: Assumptions): number {
  if (input.streamMode === 'on-demand') return a.onDemandShards;
  const recordsPerSecond = input.devices / input.intervalSeconds;
  const recordBytes = input.payloadBytes + a.projectionOverheadBytes;
  return Math.max(1, Math.ceil(recordsPerSecond / 1000), Math.ceil((recordsPerSecond * recordBytes) / 1e6));
}

/**
 * The original design: every message through the broker, one rule with three actions (Lambda, Firehose, Kinesis),
 * a Lambda per message reading the device's thresholds from DynamoDB, an SNS publish per breaching reading, and
 * Kinesis Data Analytics replaced by its successor, Managed Service for Apache Flink (1 KPU + 1 orchestration KPU).
 */
export function originalDesign(input: FleetInput, a: Assumptions = DEFAULT_ASSUMPTIONS): DesignBill {
  const messages = messagesPerMonth(input);
  const metered = messages * meteredUnits(input.payloadBytes + a.topicBytes, 5 * KB);
  const ruleUnits = messages * meteredUnits(input.payloadBytes, 5 * KB);
  const publishes = messages * a.breachRate;
  const kpus = 2;
  const lines: CostLine[] = [
    {
      service: 'IoT Core',
      item: 'messaging (every publish through the broker)',
      quantity: metered,
      unit: PRICES.iotMessagingFirstBillionPerMillion.unit,
      usd: iotMessagingUsd(metered),
    },
    line('IoT Core', 'rules triggered (1 rule)', ruleUnits, 'iotRulesTriggeredPerMillion', 1e6),
    line('IoT Core', 'actions executed (3 per message)', 3 * ruleUnits, 'iotActionsExecutedPerMillion', 1e6),
    ...lambdaLines('alert function per message', messages, a.evaluateMs, a.lambdaMemoryGb),
    line(
      'DynamoDB',
      'thresholds: reads per message (eventually consistent)',
      messages * 0.5,
      'dynamoReadRequestUnitsPerMillion',
      1e6,
    ),
    line('SNS', 'publishes (every breaching reading)', publishes, 'snsPublishesPerMillion', 1e6),
    line('SNS', 'mobile push deliveries', publishes, 'snsMobilePushPerMillion', 1e6),
    line('Flink', `analytics application (${kpus} KPU)`, kpus * HOURS_PER_MONTH, 'flinkKpuHour', 1),
    line('Flink', 'running application storage', 50, 'flinkRunningStorageGbMonth', 1),
    ...sharedLines(input, a, messages),
    line(
      'Firehose',
      'raw archive: ingest (rule action, one message per record, 5 KB each)',
      firehoseIngestGb(messages, input.payloadBytes + a.projectionOverheadBytes, a),
      'firehoseIngestGb',
      1,
    ),
    line(
      'Firehose',
      'window metrics export: ingest (one record per device window, 5 KB each)',
      firehoseIngestGb(deviceWindowsPerMonth(input), a.windowRecordBytes, a),
      'firehoseIngestGb',
      1,
    ),
  ];
  return bill('original', lines, messages);
}

/**
 * Alarm writes and reads. On the stream, a device's readings reach one warm evaluation, which keeps the alarms it has
 * seen (`MemoryAlarmCache`): a write when a reading changes what the alarm keeps (its state, its breach window: at
 * most every breaching reading), and otherwise one per alarm per `alarmRefreshSeconds` in each warm function that sees
 * the device; a consistent read at most once per write (a conditional write that finds the alarm changed reads it
 * again; a new function reads what it sees). On the rule, readings go to any warm function, so there is no alarm
 * cache: a consistent read per reading and alarm, the same change writes, and a refresh write per alarm every
 * `alarmRefreshSeconds` (judged from the alarm read).
 */
function alarmLines(input: FleetInput, a: Assumptions, messages: number): CostLine[] {
  const cached = input.alerts === 'stream';
  const alarmReadings = messages * a.alarmedMetricsPerMessage;
  const changeWrites = alarmReadings * a.breachRate;
  const readingsPerRefresh = Math.max(1, Math.floor(a.alarmRefreshSeconds / input.intervalSeconds));
  const functionsPerDevice = cached ? Math.min(devicePlacements(input, a), readingsPerRefresh) : 1;
  const refreshWrites = Math.min(
    alarmReadings,
    input.devices * a.alarmedMetricsPerMessage * functionsPerDevice * (SECONDS_PER_MONTH / a.alarmRefreshSeconds),
  );
  const writes = changeWrites + refreshWrites;
  return [
    line(
      'DynamoDB',
      'alarms: conditional write per breaching reading (state or breach window changed)',
      changeWrites,
      'dynamoWriteRequestUnitsPerMillion',
      1e6,
    ),
    line(
      'DynamoDB',
      cached
        ? `alarms: refresh write per alarm every ${a.alarmRefreshSeconds} s per warm function (${functionsPerDevice} per device)`
        : `alarms: refresh write per alarm every ${a.alarmRefreshSeconds} s`,
      refreshWrites,
      'dynamoWriteRequestUnitsPerMillion',
      1e6,
    ),
    cached
      ? line(
          'DynamoDB',
          'alarms: consistent read, at most one per write (cache miss, lost race)',
          writes,
          'dynamoReadRequestUnitsPerMillion',
          1e6,
        )
      : line(
          'DynamoDB',
          'alarms: consistent read per reading and alarm (no cache on the rule: any function may get a device)',
          alarmReadings,
          'dynamoReadRequestUnitsPerMillion',
          1e6,
        ),
  ];
}

/**
 * Our deployed design: Basic Ingest (no messaging charge), the ingestion rule's actions as deployed for the placement
 * (`ruleActions`, counted from the template), thresholds and alarms cached in the warm evaluation, batches on the
 * stream. With `alerts: 'stream'` the alerting service reads the telemetry stream in batches (a second consumer of
 * the stream) instead of a Lambda per message.
 */
export function ourDesign(input: FleetInput, ruleActions: number, a: Assumptions = DEFAULT_ASSUMPTIONS): DesignBill {
  const messages = messagesPerMonth(input);
  const ruleUnits = messages * meteredUnits(input.payloadBytes, 5 * KB);
  const changes = messages * a.alarmChangeRate;
  const shards = shardsOf(input, a);
  const batches = shards * (SECONDS_PER_MONTH / a.batchWindowSeconds);
  // Eventually consistent reads of at most 4 KB: half a unit each. The fleet's rules are one key for every device.
  const thresholdReads =
    0.5 *
    (thresholdCacheRefreshes(input, a) + evaluateContainers(input, a) * (SECONDS_PER_MONTH / a.thresholdCacheSeconds));
  const thresholdLine = line(
    'DynamoDB',
    'thresholds: device and fleet reads per cache refresh',
    thresholdReads,
    'dynamoReadRequestUnitsPerMillion',
    1e6,
  );
  const alertBatches = shards * (SECONDS_PER_MONTH / a.alertBatchWindowSeconds);
  const alerting: CostLine[] =
    input.alerts === 'rule'
      ? [
          ...lambdaLines('evaluateTelemetry per message', messages, a.evaluateMs, a.lambdaMemoryGb),
          thresholdLine,
          ...alarmLines(input, a, messages),
        ]
      : [
          line(
            'Lambda',
            'evaluateTelemetryStream per stream batch: requests',
            alertBatches,
            'lambdaRequestsPerMillion',
            1e6,
          ),
          line(
            'Lambda',
            'evaluateTelemetryStream per stream batch: duration (GB-s)',
            (alertBatches * (a.evaluateBatchMs / 1000) + messages * (a.evaluatePerRecordMs / 1000)) * a.lambdaMemoryGb,
            'lambdaArmGbSecond',
            1,
          ),
          ...consumerReadLines(input, a, messages, 'data out (the stream evaluation)'),
          thresholdLine,
          ...alarmLines(input, a, messages),
        ];
  const lines: CostLine[] = [
    {
      service: 'IoT Core',
      item: 'messaging (Basic Ingest: not charged)',
      quantity: 0,
      unit: PRICES.iotMessagingFirstBillionPerMillion.unit,
      usd: 0,
    },
    line('IoT Core', 'rules triggered (1 rule)', ruleUnits, 'iotRulesTriggeredPerMillion', 1e6),
    line(
      'IoT Core',
      `actions executed (${ruleActions} per message)`,
      ruleActions * ruleUnits,
      'iotActionsExecutedPerMillion',
      1e6,
    ),
    ...alerting,
    line('DynamoDB', 'alarm history: write per change', changes, 'dynamoWriteRequestUnitsPerMillion', 1e6),
    line('SNS', 'publishes (changes of alarm state only)', changes, 'snsPublishesPerMillion', 1e6),
    line('SNS', 'mobile push deliveries', changes, 'snsMobilePushPerMillion', 1e6),
    ...lambdaLines('aggregateTelemetry per stream batch', batches, a.batchMs, a.lambdaMemoryGb),
    ...archiveLines(input, a, messages),
    line(
      'Firehose',
      `window metrics export: ingest (lines packed into records of up to ${a.packedRecordBytes / KB} KiB, one export per shard per window)`,
      firehoseIngestGb(
        deviceWindowsPerMonth(input),
        a.windowRecordBytes,
        a,
        shards * (SECONDS_PER_MONTH / input.windowSeconds),
      ),
      'firehoseIngestGb',
      1,
    ),
    ...recentReadingLines(input, a, messages),
    ...sharedLines(input, a, messages),
  ];
  return bill(input.alerts === 'rule' ? 'ours (alerts on the rule)' : 'ours (alerts on the stream)', lines, messages);
}

/** Kinesis on-demand retrieval by one more consumer of the stream (provisioned shards include their reads). */
function consumerReadLines(input: FleetInput, a: Assumptions, messages: number, item: string): CostLine[] {
  if (input.streamMode !== 'on-demand') return [];
  const recordBytes = input.payloadBytes + a.projectionOverheadBytes;
  return [line('Kinesis', item, (messages * meteredUnits(recordBytes, KB) * KB) / GB, 'kinesisOnDemandRetrievalGb', 1)];
}

/** Stream batches a consumer gets: one per shard per batch window, or more when a window holds over `batchSize`. */
function streamBatches(input: FleetInput, a: Assumptions, messages: number, windowSeconds: number, batchSize: number) {
  return Math.max(shardsOf(input, a) * (SECONDS_PER_MONTH / windowSeconds), messages / batchSize);
}

/**
 * The raw archive: fed from the stream by `archiveRawTelemetry` (a consumer of the stream, a batch per shard per
 * `archiveBatchWindowSeconds`), readings packed into Firehose records, and the processor `normalizeRawTelemetry`
 * invoked by Firehose per buffer (`processorBufferBytes` or `firehoseBufferSeconds`, whichever comes first).
 */
function archiveLines(input: FleetInput, a: Assumptions, messages: number): CostLine[] {
  const lineBytes = input.payloadBytes + a.projectionOverheadBytes;
  const batches = streamBatches(input, a, messages, a.archiveBatchWindowSeconds, 10_000);
  const rawBytes = messages * lineBytes;
  const processorCalls = Math.max(SECONDS_PER_MONTH / a.firehoseBufferSeconds, rawBytes / a.processorBufferBytes);
  return [
    line('Lambda', 'archiveRawTelemetry per stream batch: requests', batches, 'lambdaRequestsPerMillion', 1e6),
    line(
      'Lambda',
      'archiveRawTelemetry per stream batch: duration (GB-s)',
      (batches * (a.archiveBatchMs / 1000) + messages * (a.archivePerRecordMs / 1000)) * a.lambdaMemoryGb,
      'lambdaArmGbSecond',
      1,
    ),
    ...consumerReadLines(input, a, messages, 'data out (the raw archive feed)'),
    line(
      'Firehose',
      `raw archive: ingest (readings packed into records of up to ${a.packedRecordBytes / KB} KiB, one PutRecordBatch per stream batch)`,
      firehoseIngestGb(messages, lineBytes, a, batches),
      'firehoseIngestGb',
      1,
    ),
    ...lambdaLines('normalizeRawTelemetry per Firehose buffer', processorCalls, a.batchMs * 10, a.lambdaMemoryGb),
  ];
}

/**
 * Recent readings for live charts (`recordRecentTelemetry`, a consumer of the stream): a batch per shard per
 * `recentBatchWindowSeconds`, each reading the watch marks once (one eventually consistent `GetItem` of the marks
 * item) and writing the readings of watched devices only (BatchWriteItem: a write unit per KB of item). Each watched
 * device's page reads the marks item on every poll (`GET /devices/{deviceId}/telemetry`) and rewrites it once per
 * half watch period. The original design has no such feature.
 */
export function recentReadingLines(input: FleetInput, a: Assumptions, messages: number): CostLine[] {
  const batches = streamBatches(input, a, messages, a.recentBatchWindowSeconds, 500);
  const itemBytes = input.payloadBytes + a.projectionOverheadBytes;
  const watched = Math.min(a.watchedDevices, input.devices);
  const marksItemBytes = 50 + watched * a.watchMarkBytes;
  const markReadUnits = 0.5 * meteredUnits(marksItemBytes, 4 * KB);
  const markWrites = watched * (SECONDS_PER_MONTH / ((a.liveReadingsWatchMinutes * 60) / 2));
  const polls = watched * (SECONDS_PER_MONTH / a.dashboardPollSeconds);
  return [
    line(
      'Lambda',
      `${RECENT_READINGS} recordRecentTelemetry per stream batch: requests`,
      batches,
      'lambdaRequestsPerMillion',
      1e6,
    ),
    line(
      'Lambda',
      `${RECENT_READINGS} recordRecentTelemetry per stream batch: duration (GB-s)`,
      (batches * (a.recentBatchMs / 1000) + messages * (a.evaluatePerRecordMs / 1000)) * a.lambdaMemoryGb,
      'lambdaArmGbSecond',
      1,
    ),
    ...consumerReadLines(input, a, messages, `${RECENT_READINGS} data out (the recent-readings consumer)`),
    line(
      'DynamoDB',
      `${RECENT_READINGS} watch marks: a read per stream batch (eventually consistent)`,
      batches * markReadUnits,
      'dynamoReadRequestUnitsPerMillion',
      1e6,
    ),
    line(
      'DynamoDB',
      `${RECENT_READINGS} recent readings: a write per reading of the ${watched} watched devices (${meteredUnits(itemBytes, KB)} unit each)`,
      (messages * watched * meteredUnits(itemBytes, KB)) / input.devices,
      'dynamoWriteRequestUnitsPerMillion',
      1e6,
    ),
    line(
      'DynamoDB',
      `${RECENT_READINGS} watch marks: a write per watched device per ${a.liveReadingsWatchMinutes / 2} min`,
      markWrites * meteredUnits(marksItemBytes, KB),
      'dynamoWriteRequestUnitsPerMillion',
      1e6,
    ),
    line(
      'DynamoDB',
      `${RECENT_READINGS} watch marks: a read per dashboard poll every ${a.dashboardPollSeconds} s`,
      polls * markReadUnits,
      'dynamoReadRequestUnitsPerMillion',
      1e6,
    ),
  ];
}

/** Prefix of the lines of the live-readings feature, which the original design does not have. */
export const RECENT_READINGS = 'live readings:';

/**
 * Threshold reads: each warm container reads a device's thresholds at most once per cache lifetime, and a device's
 * messages reach at most `min(containers, messages per lifetime)` containers within it.
 */
export function thresholdCacheRefreshes(input: FleetInput, a: Assumptions): number {
  const containers = devicePlacements(input, a);
  const perLifetime = Math.min(containers, Math.max(1, Math.floor(a.thresholdCacheSeconds / input.intervalSeconds)));
  const lifetimes = SECONDS_PER_MONTH / a.thresholdCacheSeconds;
  return Math.min(messagesPerMonth(input), input.devices * lifetimes * perLifetime);
}

/**
 * Warm evaluations a device's readings can reach: any of the warm containers on the rule (Lambda routes each
 * invocation to an idle one); on the stream, the one reading the device's shard (the partition key is the device id).
 */
export function devicePlacements(input: FleetInput, a: Assumptions): number {
  return input.alerts === 'stream' ? 1 : evaluateContainers(input, a);
}

/** Warm containers evaluating at once: Lambda's concurrency (rate × duration), or one per shard on the stream. */
export function evaluateContainers(input: FleetInput, a: Assumptions): number {
  const messagesPerSecond = input.devices / input.intervalSeconds;
  if (input.alerts === 'stream') return shardsOf(input, a);
  return Math.max(1, Math.ceil(messagesPerSecond * (a.evaluateMs / 1000)));
}

export function messagesPerMonth(input: FleetInput): number {
  return (input.devices * SECONDS_PER_MONTH) / input.intervalSeconds;
}

/** Both designs for one fleet, and the ratio of their costs per million messages. */
export function compareDesigns(
  input: FleetInput,
  ruleActions: number,
  assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
): CostReport {
  const original = originalDesign(input, assumptions);
  const ours = ourDesign(input, ruleActions, assumptions);
  return {
    input,
    assumptions,
    messagesPerMonth: messagesPerMonth(input),
    original,
    ours,
    ratio: ours.usdPerMillionMessages / original.usdPerMillionMessages,
    ratioWithoutLiveReadings:
      ours.lines.filter((l) => !l.item.startsWith(RECENT_READINGS)).reduce((sum, l) => sum + l.usd, 0) /
      original.monthlyUsd,
  };
}

/** "10s", "1m", "500ms" → seconds; "500B", "2KB", "1.5KiB" → bytes. Plain numbers are seconds / bytes. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/i.exec(text.trim());
  if (!match) throw new Error(`not a duration: "${text}" (e.g. 10s, 1m, 500ms)`);
  const value = Number(match[1]);
  const unit = (match[2] ?? 's').toLowerCase();
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600 }[unit] as number;
  return value * factor;
}

export function parseBytes(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB)?$/i.exec(text.trim());
  if (!match) throw new Error(`not a size: "${text}" (e.g. 500B, 2KB)`);
  const value = Number(match[1]);
  const unit = (match[2] ?? 'B').toLowerCase();
  const factor = { b: 1, kb: 1000, kib: 1024, mb: 1e6, mib: 1024 ** 2 }[unit] as number;
  return Math.round(value * factor);
}
