import { type TelemetryReading, TelemetryStreamRecordSchema } from '@iot/types';

/** Where the recent readings of devices are kept. */
export interface RecentTelemetryStore {
  /** Keeps the readings; a reading stored again (a retried batch) replaces itself. */
  put(readings: readonly TelemetryReading[]): Promise<void>;
  /** The newest `limit` readings of a device taken at or after `from`, oldest first. */
  newest(deviceId: string, from: number, limit: number): Promise<TelemetryReading[]>;
}

/** A stream record's data that is not a telemetry message: the aggregator dead-letters it; here it is only counted. */
export interface SkippedRecord {
  sequenceNumber: string;
  reason: string;
}

/** The readings of a batch of stream records (their data as UTF-8 JSON), and the records that hold none. */
export function readingsOf(records: readonly { sequenceNumber: string; data: string }[]): {
  readings: TelemetryReading[];
  skipped: SkippedRecord[];
} {
  const readings: TelemetryReading[] = [];
  const skipped: SkippedRecord[] = [];
  for (const record of records) {
    let json: unknown;
    try {
      json = JSON.parse(record.data);
    } catch {
      skipped.push({ sequenceNumber: record.sequenceNumber, reason: 'not JSON' });
      continue;
    }
    const parsed = TelemetryStreamRecordSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      skipped.push({ sequenceNumber: record.sequenceNumber, reason: `${issue?.path.join('.')}: ${issue?.message}` });
      continue;
    }
    const { deviceId, timestamp, metrics, receivedAt } = parsed.data;
    readings.push({ deviceId, timestamp, metrics, receivedAt });
  }
  return { readings, skipped };
}

/** The query of the route with its defaults: as far back as readings are kept, the newest 500. */
export function recentQueryOf(query: { from?: number; limit?: number }, now: number, keepMinutes: number) {
  return { from: Math.max(query.from ?? 0, now - keepMinutes * 60_000), limit: query.limit ?? 500 };
}
