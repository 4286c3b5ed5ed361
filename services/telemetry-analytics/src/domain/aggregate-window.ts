import { summarizeIssues, type TelemetryStreamRecord, TelemetryStreamRecordSchema } from '@iot/types';
import { addMessage, emptyWindowState, fleetMetrics, type WindowState, windowMetrics } from './window-aggregate';
import { partId, type WindowResults } from './window-parts';

/** One record of the stream, as the aggregator receives it. */
export interface StreamRecord {
  sequenceNumber: string;
  partitionKey: string;
  /** The record's data, decoded from base64. */
  data: Buffer;
}

/** A record that can never be aggregated, and why. */
export interface RejectedRecord {
  reason: string;
  record: { sequenceNumber: string; partitionKey: string; data: string };
}

export interface WindowMetricsStore {
  /** Writes a part's results; writing the same part again overwrites its items, never adds to them. */
  putWindow(results: WindowResults): Promise<void>;
}

export interface WindowMetricsExport {
  /** Hands a part's device results to the analytics export (at least once: a replayed part is exported again). */
  exportWindow(results: WindowResults): Promise<void>;
}

export interface RejectedRecordSink {
  /**
   * Keeps records that cannot be processed, with the reason, where an operator can find them. Resolves with the
   * records it could not keep (none when all were kept); it stops at the first failure, so those are the trailing ones.
   */
  reject(records: RejectedRecord[]): Promise<RejectedRecord[]>;
}

/** A failure of the final invocation: the window's results could not be written and Lambda must retry it. */
export class WindowWriteError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WindowWriteError';
  }
}

/** Decodes a record into a telemetry message, or says why it cannot be one. */
export function decodeRecord(record: StreamRecord): { message: TelemetryStreamRecord } | { reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(record.data.toString('utf8'));
  } catch {
    return { reason: 'data is not JSON' };
  }
  const parsed = TelemetryStreamRecordSchema.safeParse(json);
  if (!parsed.success) return { reason: `not a telemetry message: ${summarizeIssues(parsed.error)}` };
  if (parsed.data.deviceId !== record.partitionKey) {
    return { reason: `partition key ${record.partitionKey} is not the device id ${parsed.data.deviceId}` };
  }
  return { message: parsed.data };
}

export interface WindowInvocation {
  records: StreamRecord[];
  state: WindowState;
  shardId: string;
  windowStart: number;
  windowEnd: number;
  isFinal: boolean;
}

export interface WindowInvocationResult {
  /** The state to carry to the window's next invocation: it holds exactly the records before `failedRecord`. */
  state: WindowState;
  /** The first record not processed (a transient failure): Lambda delivers it and those after it again. */
  failedRecord?: string;
  rejected: number;
  written: number;
}

/**
 * One invocation of a tumbling window: folds the records into the carried state; the final invocation writes the
 * part's results and starts the next part empty.
 *
 * A record that can never be aggregated goes to the rejected-record sink with its reason instead of being retried
 * forever. If the sink cannot keep one, that record is reported as failed: the returned state holds only the records
 * before it, and Lambda delivers it and the records after it again. The final invocation carries no records of its own
 * to report, so when its results cannot be written it throws, and Lambda retries it with the same state.
 */
export async function aggregateWindow(
  deps: { metrics: WindowMetricsStore; exporter: WindowMetricsExport; rejected: RejectedRecordSink },
  invocation: WindowInvocation,
): Promise<WindowInvocationResult> {
  const { records } = invocation;
  const decoded = records.map((record) => ({ record, outcome: decodeRecord(record) }));
  const rejected: RejectedRecord[] = [];
  for (const { record, outcome } of decoded) {
    if ('reason' in outcome) {
      rejected.push({
        reason: outcome.reason,
        record: {
          sequenceNumber: record.sequenceNumber,
          partitionKey: record.partitionKey,
          data: record.data.toString('base64'),
        },
      });
    }
  }
  const notKept = rejected.length > 0 ? await deps.rejected.reject(rejected) : [];
  const notKeptSequences = new Set(notKept.map((r) => r.record.sequenceNumber));
  const failedAt = notKeptSequences.size
    ? records.findIndex((record) => notKeptSequences.has(record.sequenceNumber))
    : records.length;

  let state = invocation.state;
  for (const { outcome } of decoded.slice(0, failedAt)) {
    if ('message' in outcome) state = addMessage(state, outcome.message);
  }
  if (failedAt > 0 && state.first === undefined) state.first = records[0]?.sequenceNumber;
  const failedRecord = records[failedAt]?.sequenceNumber;
  const keptRejected = rejected.length - notKept.length;

  if (!invocation.isFinal) {
    return { state, rejected: keptRejected, written: 0, ...(failedRecord ? { failedRecord } : {}) };
  }
  if (failedRecord) {
    throw new WindowWriteError(`the failure queue could not keep record ${failedRecord} of the final invocation`);
  }
  const devices = windowMetrics(state, invocation.windowStart, invocation.windowEnd);
  if (devices.length > 0) {
    const results: WindowResults = {
      part: partId(invocation.shardId, state.first),
      devices,
      fleet: fleetMetrics(state, invocation.windowStart, invocation.windowEnd),
    };
    // The table first: its writes are idempotent, so a retry after a failed export only rewrites the same items.
    await deps.metrics.putWindow(results);
    await deps.exporter.exportWindow(results);
  }
  return { state: emptyWindowState(), rejected: keptRejected, written: devices.length };
}
