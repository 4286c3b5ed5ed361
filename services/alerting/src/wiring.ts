import { SNSClient } from '@aws-sdk/client-sns';
import { CachingThresholdStore } from './adapters/caching-threshold-store';
import { DynamoDbAlarmHistoryStore } from './adapters/dynamodb-alarm-history-store';
import { DynamoDbAlarmStore } from './adapters/dynamodb-alarm-store';
import { createDocumentClient } from './adapters/dynamodb-document-client';
import { DynamoDbThresholdStore } from './adapters/dynamodb-threshold-store';
import { SnsAlarmNotifier } from './adapters/sns-alarm-notifier';
import type { loadAlarmWriterConfig } from './config';
import { type AlarmCheckOptions, MINUTE_MS } from './domain/alarm-checks';
import type { ChangeDeliveryDependencies } from './domain/deliver-change';
import type { ThresholdStore } from './domain/thresholds';

/** The real stores, topic and settings of the functions that change alarms: the evaluation and the scheduled check. */
export function alarmWriterDependencies(
  config: ReturnType<typeof loadAlarmWriterConfig>,
): ChangeDeliveryDependencies & { thresholds: ThresholdStore; checks: AlarmCheckOptions } {
  const documents = createDocumentClient();
  return {
    thresholds: new CachingThresholdStore(new DynamoDbThresholdStore(documents, config.THRESHOLDS_TABLE_NAME), {
      ttlMs: config.THRESHOLD_CACHE_TTL_SECONDS * 1000,
    }),
    alarms: new DynamoDbAlarmStore(documents, config.ALARMS_TABLE_NAME),
    history: new DynamoDbAlarmHistoryStore(
      documents,
      config.ALARM_HISTORY_TABLE_NAME,
      config.ALARM_HISTORY_RETENTION_DAYS,
    ),
    notifier: new SnsAlarmNotifier(new SNSClient({}), config.ALERTS_TOPIC_ARN),
    checks: {
      reminderIntervalMs: config.REMINDER_MINUTES * MINUTE_MS,
      alarmRefreshMs: config.ALARM_REFRESH_SECONDS * 1000,
    },
  };
}
