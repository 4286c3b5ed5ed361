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

type Parsed = { ok: true; message: TelemetryStreamRecord } | { ok: false; reason: string };

function parseMessage(json: unknown): Parsed {
  const parsed = TelemetryStreamRecordSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: `not a telemetry message: ${summarizeIssues(parsed.error)}` };
  return { ok: true, message: parsed.data };
}

function line(message: TelemetryStreamRecord): string {
  return `${JSON.stringify(canonical(message))}\n`;
}

/**
 * Validates and normalises one record of the raw archive: one telemetry message (as a producer that puts one message
 * per record sends it, usually followed by a `\n`), or several, one JSON line each (as the archiver packs them):
 * - `Ok`: every message of the record is telemetry; each is archived as one JSON line (fixed field order, unknown
 *   fields left out, one trailing newline), so every object under `raw/` is newline-delimited JSON of one schema, as
 *   Athena reads it;
 * - `Dropped`: a record of nothing but whitespace, which holds no message (a stray separator) and nothing to keep;
 * - `ProcessingFailed`: anything else (not UTF-8, a line that is not JSON or not a telemetry message). Firehose writes
 *   such a record whole, as it arrived, under the error prefix: invalid telemetry is never lost. The archiver sends
 *   every message that fails here as a record of its own, so a packed record fails only if the schema changed between
 *   the archiver's check and this one, and then its valid lines are kept with it under the error prefix.
 *
 * A record that is one JSON value is one message, whatever whitespace it holds; otherwise each non-blank line is one.
 */
export function normalizeRawRecord(data: Buffer): NormalizedRecord {
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return { result: 'ProcessingFailed', reason: 'data is not UTF-8' };
  }
  if (text.trim() === '') return { result: 'Dropped', reason: 'the record holds only whitespace' };
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch {
    return normalizeLines(text);
  }
  const parsed = parseMessage(whole);
  if (!parsed.ok) return { result: 'ProcessingFailed', reason: parsed.reason };
  return { result: 'Ok', data: Buffer.from(line(parsed.message), 'utf8') };
}

/** A record of several JSON lines: Ok if every non-blank line is a telemetry message. */
function normalizeLines(text: string): NormalizedRecord {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const out: string[] = [];
  for (const [index, text] of lines.entries()) {
    const where = lines.length === 1 ? 'data is' : `line ${index + 1} of ${lines.length} is`;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { result: 'ProcessingFailed', reason: `${where} not one JSON value` };
    }
    const parsed = parseMessage(json);
    if (!parsed.ok) {
      return {
        result: 'ProcessingFailed',
        reason: lines.length === 1 ? parsed.reason : `line ${index + 1} of ${lines.length}: ${parsed.reason}`,
      };
    }
    out.push(line(parsed.message));
  }
  return { result: 'Ok', data: Buffer.from(out.join(''), 'utf8') };
}
