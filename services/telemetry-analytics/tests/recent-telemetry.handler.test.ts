/**
 * The recent readings of a device: the stream consumer that keeps them and `GET /devices/{deviceId}/telemetry`,
 * invoked offline through their middy stacks with Kinesis and API Gateway proxy events, against a real local DynamoDB
 * (dynalite) with the table serverless.yml declares.
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createLogger } from '@iot/lambda-kit';
import { DynamoDbDeviceOwners } from '@iot/lambda-kit/dynamodb-device-owners';
import {
  apiGatewayProxyEvent,
  createDevicesTable,
  createTableFromServerlessYml,
  kinesisRecords,
  type LocalDynamoDb,
  lambdaContext,
  putDeviceOwner,
  startLocalDynamoDb,
} from '@iot/testing';
import type { TelemetryReadings } from '@iot/types';
import { DynamoDbRecentTelemetryStore } from '../src/adapters/dynamodb-recent-telemetry-store';
import { createGetDeviceTelemetryHandler } from '../src/handlers/get-device-telemetry';
import { createRecordRecentTelemetryHandler } from '../src/handlers/record-recent-telemetry';

const TABLE = 'recent-telemetry-test';
const DEVICES_TABLE = 'recent-telemetry-devices-test';
const USER = 'user-recent';
const KEEP_MINUTES = 60;
const NOW = Date.parse('2026-03-01T12:00:00Z');
const SECOND = 1000;
const logger = createLogger('test');

let dynamo: LocalDynamoDb;
let store: DynamoDbRecentTelemetryStore;
let owners: DynamoDbDeviceOwners;

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
  await createTableFromServerlessYml(dynamo.client, `${__dirname}/..`, 'RecentTelemetryTable', TABLE);
  store = new DynamoDbRecentTelemetryStore(DynamoDBDocumentClient.from(dynamo.client), TABLE, KEEP_MINUTES);
  await createDevicesTable(dynamo.client, DEVICES_TABLE);
  owners = new DynamoDbDeviceOwners(DynamoDBDocumentClient.from(dynamo.client), DEVICES_TABLE);
  for (const deviceId of ['sensor-1', 'sensor-3', 'sensor-4']) {
    await putDeviceOwner(dynamo.client, DEVICES_TABLE, { deviceId, ownerId: USER });
  }
});

afterAll(() => dynamo.stop());

const message = (deviceId: string, timestamp: number, temperature: number) => ({
  partitionKey: deviceId,
  data: { deviceId, timestamp, metrics: { temperature }, receivedAt: timestamp + 50 },
});

async function record(inputs: Parameters<typeof kinesisRecords>[0]) {
  const recordLogger = createLogger('test');
  const warn = jest.spyOn(recordLogger, 'warn');
  const handler = createRecordRecentTelemetryHandler({ store, logger: recordLogger });
  await handler({ Records: kinesisRecords(inputs) }, lambdaContext());
  return warn.mock.calls;
}

async function get(deviceId: string, query: Record<string, string> = {}, corsOrigin?: string, as = USER) {
  const handler = createGetDeviceTelemetryHandler({
    owners,
    store,
    keepMinutes: KEEP_MINUTES,
    logger,
    now: () => NOW,
    ...(corsOrigin ? { corsOrigin } : {}),
  });
  const answer = await handler(
    apiGatewayProxyEvent({
      method: 'GET',
      resource: '/devices/{deviceId}/telemetry',
      pathParameters: { deviceId },
      query,
      claims: { sub: as, 'cognito:username': as },
    }),
    lambdaContext(),
  );
  return { status: answer.statusCode, body: JSON.parse(answer.body), headers: answer.headers ?? {} };
}

describe('recent readings', () => {
  it('keeps every telemetry message of the stream and answers a device’s readings oldest first', async () => {
    // Prepare
    const inputs = [3, 1, 2].map((i) => message('sensor-1', NOW - 60 * SECOND + i * SECOND, 20 + i));

    // Act
    await record([...inputs, message('sensor-2', NOW - 5 * SECOND, 30)]);
    const answer = await get('sensor-1');

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body as TelemetryReadings).toEqual({
      deviceId: 'sensor-1',
      items: [1, 2, 3].map((i) => ({
        deviceId: 'sensor-1',
        timestamp: NOW - 60 * SECOND + i * SECOND,
        metrics: { temperature: 20 + i },
        receivedAt: NOW - 60 * SECOND + i * SECOND + 50,
      })),
    });
  });

  it('answers the newest `limit` readings at or after `from`, and none older than they are kept', async () => {
    // Prepare
    await record([
      message('sensor-3', NOW - (KEEP_MINUTES + 1) * 60 * SECOND, 1),
      ...[1, 2, 3, 4].map((i) => message('sensor-3', NOW - 10 * SECOND + i * SECOND, 10 + i)),
    ]);

    // Act
    const all = await get('sensor-3');
    const newestTwo = await get('sensor-3', { limit: '2' });
    const fromThird = await get('sensor-3', { from: String(NOW - 7 * SECOND) });

    // Assess
    expect(all.body.items.map((r: { metrics: { temperature: number } }) => r.metrics.temperature)).toEqual([
      11, 12, 13, 14,
    ]);
    expect(newestTwo.body.items.map((r: { metrics: { temperature: number } }) => r.metrics.temperature)).toEqual([
      13, 14,
    ]);
    expect(fromThird.body.items.map((r: { metrics: { temperature: number } }) => r.metrics.temperature)).toEqual([
      13, 14,
    ]);
  });

  it('skips a record that holds no telemetry message, keeping the others of its batch', async () => {
    // Act
    const warnings = await record([
      { partitionKey: 'sensor-4', data: 'not json' },
      { partitionKey: 'sensor-4', data: { deviceId: 'sensor-4', metrics: {} } },
      message('sensor-4', NOW - SECOND, 25),
    ]);

    // Assess
    expect((await get('sensor-4')).body.items).toHaveLength(1);
    expect(JSON.stringify(warnings)).toContain('not JSON');
  });

  it('names the query parameter that is wrong', async () => {
    // Act
    const zero = await get('sensor-1', { limit: '0' });
    const unknown = await get('sensor-1', { to: '5' });

    // Assess
    expect(zero.status).toBe(400);
    expect(zero.body.errors[0].path).toBe('query.limit');
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain('to');
  });

  it('answers only the device’s owner: 403 for another user, 404 for a device nobody registered', async () => {
    // Prepare
    await record([message('sensor-1', NOW - 2 * SECOND, 20)]);

    // Act
    const other = await get('sensor-1', {}, undefined, 'user-someone-else');
    const unknown = await get('sensor-nobody');

    // Assess
    expect(other.status).toBe(403);
    expect(other.body.items).toBeUndefined();
    expect(unknown.status).toBe(404);
  });

  it('lets the dashboard read the answer from the configured origin', async () => {
    // Act
    const answer = await get('sensor-1', {}, 'https://dashboard.example.com');

    // Assess
    expect(answer.headers['access-control-allow-origin']).toBe('https://dashboard.example.com');
  });
});
