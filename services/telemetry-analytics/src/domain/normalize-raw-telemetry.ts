import { summarizeIssues, type TelemetryStreamRecord, TelemetryStreamRecordSchema } from '@iot/types';

/** What becomes of one raw-archive record, in the terms of Firehose's record-transformation contract. */
export type NormalizedRecord =
  | { result: 'Ok'; data: Buffer }
  | { result: 'Dropped'; reason: string }
  | { result: 'ProcessingFailed'; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The archived form of a message: its fields in a fixed order, without fields the schema does not know. */
function canonical(message: TelemetryStreamRecord): TelemetryStreamRecord {
  return {
    deviceId: message.deviceId,
    timestamp: message.timestamp,
    receivedAt: message.receivedAt,
    ...(message.messageId === undefined ? {} : { messageId: message.messageId }),
    ...(message.sequence === undefined ? {} : { sequence: message.sequence }),
    metrics: message.metrics,
    ...(message.thresholds === undefined ? {} : { thresholds: message.thresholds }),
  };
}

/**
 * Validates and normalises one record of the raw archive (one message of the ingestion rule, usually followed by the
 * rule's `\n` separator):
 * - `Ok`: a telemetry message, archived as one JSON line (fixed field order, unknown fields left out, one trailing
 *   newline), so every object under `raw/` is newline-delimited JSON of one schema, as Athena reads it;
 * - `Dropped`: a record of nothing but whitespace, which holds no message (a stray separator) and nothing to keep;
 * - `ProcessingFailed`: anything else (not UTF-8, not JSON, not a telemetry message). Firehose writes such a record,
 *   as it arrived, under the error prefix: invalid telemetry is never lost.
 */
export function normalizeRawRecord(data: Buffer): NormalizedRecord {
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return { result: 'ProcessingFailed', reason: 'data is not UTF-8' };
  }
  if (text.trim() === '') return { result: 'Dropped', reason: 'the record holds only whitespace' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { result: 'ProcessingFailed', reason: 'data is not one JSON value' };
  }
  const parsed = TelemetryStreamRecordSchema.safeParse(json);
  if (!parsed.success) {
    return { result: 'ProcessingFailed', reason: `not a telemetry message: ${summarizeIssues(parsed.error)}` };
  }
  return { result: 'Ok', data: Buffer.from(`${JSON.stringify(canonical(parsed.data))}\n`, 'utf8') };
}
