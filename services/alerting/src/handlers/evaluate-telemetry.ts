import { createLogger, type Logger, once } from '@iot/lambda-kit';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { loadAlarmWriterConfig } from '../config';
import {
  type EvaluateTelemetryDependencies,
  evaluateTelemetry,
  type TelemetryEvaluation,
} from '../domain/evaluate-telemetry';
import { parseTelemetryEvent } from '../domain/telemetry-event';
import { alarmWriterDependencies } from '../wiring';

export interface EvaluateTelemetryHandlerDependencies extends EvaluateTelemetryDependencies {
  logger: Logger;
}

/** What the function answers (asynchronous invocations discard it; it shows in `invoke local` and in logs). */
export type EvaluateTelemetryResult = Omit<TelemetryEvaluation, 'unconfirmed'>;

// Logs why an invocation failed, then lets the error through: Lambda retries the event and, once retries are
// exhausted, sends it to the function's on-failure destination.
function logFailure(logger: Logger): MiddlewareObj<unknown, EvaluateTelemetryResult, Error, Context> {
  return {
    onError: async ({ error, event }) => {
      const deviceId = (event as { deviceId?: unknown } | null)?.deviceId;
      logger.error('telemetry not evaluated', { error: error ?? undefined, deviceId: String(deviceId) });
    },
  };
}

/**
 * The target of the ingestion rule's Lambda action, invoked asynchronously with each telemetry message: evaluates the
 * alarms of its metrics and publishes each change of state. An invalid message throws an error naming the field.
 */
export function createEvaluateTelemetryHandler({ logger, ...deps }: EvaluateTelemetryHandlerDependencies) {
  return middy<unknown, EvaluateTelemetryResult, Error, Context>()
    .use(logFailure(logger))
    .handler(async (event) => {
      const telemetry = parseTelemetryEvent(event);
      const { unconfirmed, ...result } = await evaluateTelemetry(deps, telemetry);
      for (const { notification, error } of unconfirmed) {
        logger.warn('alarm change published but not marked as published', {
          error: error as Error,
          deviceId: notification.deviceId,
          metric: notification.metric,
          readingAt: notification.timestamp,
        });
      }
      for (const notification of result.notifications) {
        logger.info('alarm changed', { alarm: notification });
      }
      logger.debug('telemetry evaluated', { evaluation: result });
      return result;
    });
}

const built = once(() => {
  const config = loadAlarmWriterConfig();
  // No alarm cache on the rule: a device's readings go to whichever environment is free, so an alarm one environment
  // holds may have been changed by another since (cleared, say), and a breach judged against it would be dropped.
  // Each reading reads the alarm (consistently) and writes only what changes.
  return createEvaluateTelemetryHandler({
    ...alarmWriterDependencies(config),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
  });
});

export const handler = (event: unknown, context: Context) => built()(event, context);
