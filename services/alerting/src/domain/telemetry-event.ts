import { describeIssues, type FieldIssue, type TelemetryRuleEvent, TelemetryRuleEventSchema } from '@iot/types';

/**
 * How far a reading's device timestamp may run ahead of the broker's clock. Alarms ignore readings older than the
 * last one evaluated, so one reading from a clock set in the future would silence its alarms until that time.
 */
export const MAX_DEVICE_CLOCK_AHEAD_MS = 5 * 60_000;

/** The event of the ingestion rule is not a telemetry message this service can evaluate. */
export class InvalidTelemetryEventError extends Error {
  constructor(readonly issues: FieldIssue[]) {
    super(
      `Invalid telemetry event: ${issues.map(({ path, message }) => (path ? `${path}: ${message}` : message)).join('; ')}`,
    );
    this.name = 'InvalidTelemetryEventError';
  }
}

/** Validates what the ingestion rule delivers; the error names every failing field. */
export function parseTelemetryEvent(event: unknown): TelemetryRuleEvent {
  const result = TelemetryRuleEventSchema.safeParse(event);
  if (!result.success) throw new InvalidTelemetryEventError(describeIssues(result.error));
  const telemetry = result.data;
  if (telemetry.timestamp > telemetry.receivedAt + MAX_DEVICE_CLOCK_AHEAD_MS) {
    throw new InvalidTelemetryEventError([
      {
        path: 'timestamp',
        message: `is ${telemetry.timestamp - telemetry.receivedAt} ms after receivedAt; the device clock is ahead by more than ${MAX_DEVICE_CLOCK_AHEAD_MS} ms`,
      },
    ]);
  }
  return telemetry;
}
