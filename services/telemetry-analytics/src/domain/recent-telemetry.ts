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

/**
 * Which devices someone is watching: device id → until when (epoch ms). Readings are recorded for these only, since
 * nobody looks at most devices most of the time and a write per reading of the whole fleet is the larger part of the
 * bill.
 */
export type WatchMarks = ReadonlyMap<string, number>;

/** Where the watch marks are kept. */
export interface WatchMarkStore {
  /** Every mark, expired ones included (callers compare with their clock). */
  read(): Promise<WatchMarks>;
  /**
   * Marks a device watched at `now` for `periodMs` when `nextWatchMark` says it is due, dropping the marks expired at
   * `now`; answers the device's mark afterwards.
   */
  watch(deviceId: string, now: number, periodMs: number): Promise<number>;
}

/**
 * The new mark of a device read at `now`, or `undefined` when its mark still has at least half of `periodMs` left: a
 * dashboard polling every few seconds then writes about once per half period, not on every poll.
 */
export function nextWatchMark(current: number | undefined, now: number, periodMs: number): number | undefined {
  if (current !== undefined && current - now >= periodMs / 2) return undefined;
  return now + periodMs;
}

/** The marks still in force at `now`. */
export function activeWatchMarks(marks: WatchMarks, now: number): Map<string, number> {
  return new Map([...marks].filter(([, until]) => until > now));
}

/** The readings of watched devices, and how many of the others were left out. */
export function watchedReadings(
  readings: readonly TelemetryReading[],
  marks: WatchMarks,
  now: number,
): { watched: TelemetryReading[]; unwatched: number } {
  const watched = readings.filter((reading) => (marks.get(reading.deviceId) ?? 0) > now);
  return { watched, unwatched: readings.length - watched.length };
}
