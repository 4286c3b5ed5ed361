import type { AlarmNotification, TelemetryRuleEvent } from '@iot/types';
import { type EvaluateTelemetryDependencies, evaluateTelemetry, type TelemetryEvaluation } from './evaluate-telemetry';
import { InvalidTelemetryEventError, parseTelemetryEvent } from './telemetry-event';

/** A record of the telemetry stream: what the ingestion rule put, as JSON. */
export interface TelemetryStreamRecord {
  sequenceNumber: string;
  data: Buffer;
}

/** A record that is not a telemetry message this service can evaluate, with why. */
export interface InvalidTelemetryRecord {
  sequenceNumber: string;
  reason: string;
  /** The record's data as it was, in base64. */
  data: string;
}

/** Where invalid records are kept, so that none is lost: the evaluate failures queue. */
export interface InvalidRecordSink {
  reject(record: InvalidTelemetryRecord): Promise<void>;
}

export interface TelemetryBatchEvaluation {
  evaluated: number;
  invalid: number;
  notifications: AlarmNotification[];
  unconfirmed: TelemetryEvaluation['unconfirmed'];
  /**
   * The first record (in stream order) that could not be evaluated: Lambda delivers it and every record after it
   * again. Readings already evaluated are then `stale` and change nothing.
   */
  failed?: { sequenceNumber: string; deviceId?: string; error: unknown };
}

const bySequence = (a: string, b: string) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0);

function parseRecord(record: TelemetryStreamRecord): TelemetryRuleEvent | InvalidTelemetryRecord {
  const invalid = (reason: string) => ({
    sequenceNumber: record.sequenceNumber,
    reason,
    data: record.data.toString('base64'),
  });
  let json: unknown;
  try {
    json = JSON.parse(record.data.toString('utf8'));
  } catch {
    return invalid('Invalid telemetry event: the record is not JSON');
  }
  try {
    return parseTelemetryEvent(json);
  } catch (error) {
    if (error instanceof InvalidTelemetryEventError) return invalid(error.message);
    throw error;
  }
}

/**
 * Evaluates a batch of the telemetry stream (alerts on the stream): each device's readings in stream order, devices
 * side by side, each reading as the rule's Lambda action would have it evaluated. An invalid record goes to the
 * invalid-record sink and the batch goes on; a reading that cannot be evaluated (DynamoDB or SNS failing) stops its
 * device's later readings, and the earliest such record is reported for Lambda to deliver again.
 */
export async function evaluateTelemetryBatch(
  deps: EvaluateTelemetryDependencies & { invalidRecords: InvalidRecordSink },
  records: readonly TelemetryStreamRecord[],
): Promise<TelemetryBatchEvaluation> {
  const result: TelemetryBatchEvaluation = { evaluated: 0, invalid: 0, notifications: [], unconfirmed: [] };
  const failures: NonNullable<TelemetryBatchEvaluation['failed']>[] = [];
  const byDevice = new Map<string, { sequenceNumber: string; event: TelemetryRuleEvent }[]>();
  for (const record of records) {
    const parsed = parseRecord(record);
    if ('reason' in parsed) {
      try {
        await deps.invalidRecords.reject(parsed);
        result.invalid++;
      } catch (error) {
        failures.push({ sequenceNumber: record.sequenceNumber, error });
      }
      continue;
    }
    const readings = byDevice.get(parsed.deviceId) ?? [];
    readings.push({ sequenceNumber: record.sequenceNumber, event: parsed });
    byDevice.set(parsed.deviceId, readings);
  }
  await Promise.all(
    [...byDevice.values()].map(async (readings) => {
      for (const { sequenceNumber, event } of readings) {
        try {
          const evaluation = await evaluateTelemetry(deps, event);
          result.evaluated++;
          result.notifications.push(...evaluation.notifications);
          result.unconfirmed.push(...evaluation.unconfirmed);
        } catch (error) {
          failures.push({ sequenceNumber, deviceId: event.deviceId, error });
          return;
        }
      }
    }),
  );
  const [failed] = failures.sort((a, b) => bySequence(a.sequenceNumber, b.sequenceNumber));
  return failed ? { ...result, failed } : result;
}
