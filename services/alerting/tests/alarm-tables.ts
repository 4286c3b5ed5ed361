/**
 * The service's tables (thresholds, alarms, alarm history) created from serverless.yml on a local DynamoDB, and the
 * service's stores on them: what the tests of the evaluation and of the routes start from.
 */
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createTableFromServerlessYml } from '@iot/testing';
import { DynamoDbAlarmHistoryStore } from '../src/adapters/dynamodb-alarm-history-store';
import { DynamoDbAlarmStore } from '../src/adapters/dynamodb-alarm-store';
import { createDocumentClient } from '../src/adapters/dynamodb-document-client';
import { DynamoDbThresholdStore } from '../src/adapters/dynamodb-threshold-store';

const SERVICE_DIR = join(__dirname, '..');

export interface AlarmTables {
  names: { thresholds: string; alarms: string; history: string };
  documents: DynamoDBDocumentClient;
  /** Read consistently, as the routes read them. */
  thresholds: DynamoDbThresholdStore;
  alarms: DynamoDbAlarmStore;
  /** Changes kept 90 days. */
  history: DynamoDbAlarmHistoryStore;
}

/** Creates `<prefix>-thresholds`, `<prefix>-alarms` and `<prefix>-alarm-history` as serverless.yml declares them. */
export async function createAlarmTables(client: DynamoDBClient, prefix: string): Promise<AlarmTables> {
  const names = {
    thresholds: `${prefix}-thresholds`,
    alarms: `${prefix}-alarms`,
    history: `${prefix}-alarm-history`,
  };
  await createTableFromServerlessYml(client, SERVICE_DIR, 'ThresholdsTable', names.thresholds);
  await createTableFromServerlessYml(client, SERVICE_DIR, 'AlarmsTable', names.alarms);
  await createTableFromServerlessYml(client, SERVICE_DIR, 'AlarmHistoryTable', names.history);
  const documents = createDocumentClient(client);
  return {
    names,
    documents,
    thresholds: new DynamoDbThresholdStore(documents, names.thresholds, { consistentRead: true }),
    alarms: new DynamoDbAlarmStore(documents, names.alarms),
    history: new DynamoDbAlarmHistoryStore(documents, names.history, 90),
  };
}
