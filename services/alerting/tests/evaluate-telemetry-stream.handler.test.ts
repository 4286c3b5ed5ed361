/**
 * Offline invocation of evaluateTelemetryStream (alerts on the stream) through its middy stack, with Kinesis events
 * as Lambda's event source mapping delivers them, against a real local DynamoDB whose tables are created from
 * serverless.yml and the local cloud's SNS (tests/alerts-topic.ts). Invalid records go to a sink that keeps them in
 * memory here; the SQS sink the function deploys with is exercised by the acceptance test
 * (packages/local-cloud/tests/acceptance/alerting-stream.test.ts).
 */

import { createLogger } from '@iot/lambda-kit';
import { type LocalDynamoDb, lambdaContext, startLocalDynamoDb } from '@iot/testing';
import type { TelemetryRuleEvent } from '@iot/types';
import type { KinesisStreamEvent } from 'aws-lambda';
import { CachingThresholdStore } from '../src/adapters/caching-threshold-store';
import type { DynamoDbAlarmHistoryStore } from '../src/adapters/dynamodb-alarm-history-store';
import type { DynamoDbAlarmStore } from '../src/adapters/dynamodb-alarm-store';
import type { DynamoDbThresholdStore } from '../src/adapters/dynamodb-threshold-store';
import { MemoryAlarmCache } from '../src/adapters/memory-alarm-cache';
import type { InvalidTelemetryRecord } from '../src/domain/evaluate-telemetry-batch';
import { createEvaluateTelemetryStreamHandler } from '../src/handlers/evaluate-telemetry-stream';
import { createAlarmTables } from './alarm-tables';
import { type AlertsTopic, startAlertsTopic } from './alerts-topic';

const T0 = Date.UTC(2026, 0, 1);
const SECOND = 1000;

let db: LocalDynamoDb;
let alerts: AlertsTopic;
let thresholds: DynamoDbThresholdStore;
let alarms: DynamoDbAlarmStore;
let history: DynamoDbAlarmHistoryStore;

beforeAll(async () => {
  db = await startLocalDynamoDb();
  ({ thresholds, alarms, history } = await createAlarmTables(db.client, 'iot-alerting-stream-test'));
});
afterAll(() => db.stop());

let run = 0;
let prefix: string;
beforeEach(async () => {
  alerts = await startAlertsTopic('iot-alerting-stream-test-alerts');
  prefix = `stream-${++run}`;
});
afterEach(() => alerts.stop());

function streamHandler(invalid: InvalidTelemetryRecord[] = []) {
  return createEvaluateTelemetryStreamHandler({
    thresholds: new CachingThresholdStore(thresholds, { ttlMs: 60_000 }),
    alarms,
    alarmCache: new MemoryAlarmCache(),
    history,
    checks: { reminderIntervalMs: 0, alarmRefreshMs: 300 * SECOND },
    notifier: alerts.notifier(),
    invalidRecords: { reject: async (record) => void invalid.push(record) },
    logger: createLogger('iot-alerting-test'),
  });
}

let sequence = 49_000_000_000_000_000_000_000_000_000_000_000_000_000n;
/** A Kinesis event of the telemetry stream holding these records (telemetry events, or raw strings), in order. */
function kinesisEvent(records: Array<TelemetryRuleEvent | string>): KinesisStreamEvent {
  return {
    Records: records.map((record) => {
      const data = typeof record === 'string' ? record : JSON.stringify(record);
      sequence += 1n;
      return {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: typeof record === 'string' ? 'unknown' : record.deviceId,
          sequenceNumber: sequence.toString(),
          data: Buffer.from(data).toString('base64'),
          approximateArrivalTimestamp: T0 / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-000000000000:${sequence}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::000000000000:role/test',
        awsRegion: 'us-east-1',
        eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/iot-telemetry-analytics-test-telemetry',
      };
    }),
  };
}

const telemetry = (deviceId: string, seconds: number, temperature: number): TelemetryRuleEvent => ({
  deviceId,
  timestamp: T0 + seconds * SECOND,
  receivedAt: T0 + seconds * SECOND + 150,
  metrics: { temperature },
  messageId: `${deviceId}-${seconds}`,
  sequence: seconds,
});

const statesOf = async (deviceId: string) =>
  (await alerts.publishes())
    .filter((p) => p.MessageAttributes?.deviceId?.StringValue === deviceId)
    .map((p) => p.MessageAttributes?.state?.StringValue);

describe('evaluateTelemetryStream', () => {
  it("evaluates each device's readings in stream order and notifies each change once", async () => {
    // Prepare
    const [a, b] = [`${prefix}-a`, `${prefix}-b`];
    for (const id of [a, b]) {
      await thresholds.putRules(id, [{ metric: 'temperature', comparison: 'above', value: 30, clearValue: 25 }], T0);
    }
    const handler = streamHandler();

    // Act
    const answer = await handler(
      kinesisEvent([
        telemetry(a, 0, 20),
        telemetry(b, 0, 40),
        telemetry(a, 10, 35),
        telemetry(b, 10, 41),
        telemetry(a, 20, 36),
        telemetry(a, 30, 24),
      ]),
      lambdaContext(),
    );

    // Assess
    expect(answer).toEqual({ batchItemFailures: [] });
    expect(await statesOf(a)).toEqual(['ALARM', 'OK']);
    expect(await statesOf(b)).toEqual(['ALARM']);
    expect((await alarms.get(a, 'temperature'))?.alarm).toMatchObject({ state: 'OK', lastValue: 24 });
  });

  it('reports the first record it could not evaluate, and notifies the change once when it is delivered again', async () => {
    // Prepare
    const id = `${prefix}-a`;
    await thresholds.putRules(id, [{ metric: 'temperature', comparison: 'above', value: 30 }], T0);
    const handler = streamHandler();
    const records = [telemetry(id, 0, 20), telemetry(id, 10, 35), telemetry(id, 20, 36)];
    const event = kinesisEvent(records);
    alerts.throttleNextPublish();

    // Act
    const failed = await handler(event, lambdaContext());
    const failedAt = event.Records.findIndex(
      (r) => r.kinesis.sequenceNumber === failed.batchItemFailures[0]?.itemIdentifier,
    );
    const retried = await handler({ Records: event.Records.slice(failedAt) }, lambdaContext());

    // Assess
    expect(failedAt).toBe(1);
    expect(retried).toEqual({ batchItemFailures: [] });
    expect(await statesOf(id)).toEqual(['ALARM']);
  });

  it('sends a record that is not telemetry to the invalid-record sink with the reason, and evaluates the others', async () => {
    // Prepare
    const id = `${prefix}-a`;
    await thresholds.putRules(id, [{ metric: 'temperature', comparison: 'above', value: 30 }], T0);
    const invalid: InvalidTelemetryRecord[] = [];
    const handler = streamHandler(invalid);

    // Act
    const answer = await handler(
      kinesisEvent(['not json', { ...telemetry(id, 0, 20), timestamp: 'soon' } as never, telemetry(id, 10, 35)]),
      lambdaContext(),
    );

    // Assess
    expect(answer).toEqual({ batchItemFailures: [] });
    expect(invalid.map((r) => r.reason)).toEqual([
      'Invalid telemetry event: the record is not JSON',
      expect.stringMatching(/^Invalid telemetry event: timestamp: /),
    ]);
    expect(Buffer.from(invalid[0]?.data ?? '', 'base64').toString('utf8')).toBe('not json');
    expect(await statesOf(id)).toEqual(['ALARM']);
  });
});
