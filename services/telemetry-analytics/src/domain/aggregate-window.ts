import { summarizeIssues, type TelemetryRuleEvent, TelemetryRuleEventSchema, type WindowMetric } from '@iot/types';
import { addMessage, emptyWindowState, type WindowState, windowMetrics } from './window-aggregate';

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
  /** Writes a window's results; writing the same window again overwrites it, never adds to it. */
  putWindowMetrics(metrics: WindowMetric[]): Promise<void>;
}

export interface RejectedRecordSink {
  /** Keeps records that cannot be processed, with the reason, where an operator can find them. */
  reject(records: RejectedRecord[]): Promise<void>;
}

/** Decodes a record into a telemetry message, or says why it cannot be one. */
export function decodeRecord(record: StreamRecord): { message: TelemetryRuleEvent } | { reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(record.data.toString('utf8'));
  } catch {
    return { reason: 'data is not JSON' };
  }
  const parsed = TelemetryRuleEventSchema.safeParse(json);
  if (!parsed.success) return { reason: `not a telemetry message: ${summarizeIssues(parsed.error)}` };
  if (parsed.data.deviceId !== record.partitionKey) {
    return { reason: `partition key ${record.partitionKey} is not the device id ${parsed.data.deviceId}` };
  }
  return { message: parsed.data };
}

export interface WindowInvocation {
  records: StreamRecord[];
  state: WindowState;
  windowStart: number;
  windowEnd: number;
  isFinal: boolean;
}

/**
 * One invocation of a tumbling window: folds the records into the carried state; the final invocation writes the
 * window's metrics and starts the next window empty. Records that can never be processed are handed to the sink
 * with their reason instead of being retried forever.
 */
export async function aggregateWindow(
  deps: { metrics: WindowMetricsStore; rejected: RejectedRecordSink },
  invocation: WindowInvocation,
): Promise<{ state: WindowState; written: number; rejected: number }> {
  let state = invocation.state;
  const rejected: RejectedRecord[] = [];
  for (const record of invocation.records) {
    const decoded = decodeRecord(record);
    if ('reason' in decoded) {
      rejected.push({
        reason: decoded.reason,
        record: {
          sequenceNumber: record.sequenceNumber,
          partitionKey: record.partitionKey,
          data: record.data.toString('base64'),
        },
      });
      continue;
    }
    state = addMessage(state, decoded.message);
  }
  if (rejected.length > 0) await deps.rejected.reject(rejected);
  if (!invocation.isFinal) return { state, written: 0, rejected: rejected.length };

  const results = windowMetrics(state, invocation.windowStart, invocation.windowEnd);
  await deps.metrics.putWindowMetrics(results);
  return { state: emptyWindowState(), written: results.length, rejected: rejected.length };
}
