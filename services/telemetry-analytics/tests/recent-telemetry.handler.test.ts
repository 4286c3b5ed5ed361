/**
 * The recent readings of a device: the stream consumer that keeps them (for watched devices only) and
 * `GET /devices/{deviceId}/telemetry`, which marks the device watched, invoked offline through their middy stacks with
 * Kinesis and API Gateway proxy events, against a real local DynamoDB (dynalite) with the table serverless.yml
 * declares.
 */
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
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
import { DynamoDbWatchMarkStore, WATCH_MARKS_KEY } from '../src/adapters/dynamodb-watch-mark-store';
import { createGetDeviceTelemetryHandler } from '../src/handlers/get-device-telemetry';
import { createRecordRecentTelemetryHandler } from '../src/handlers/record-recent-telemetry';

const TABLE = 'recent-telemetry-test';
const DEVICES_TABLE = 'recent-telemetry-devices-test';
const USER = 'user-recent';
const KEEP_MINUTES = 60;
const NOW = Date.parse('2026-03-01T12:00:00Z');
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const WATCH_MINUTES = 10;
const logger = createLogger('test');

let dynamo: LocalDynamoDb;
let store: DynamoDbRecentTelemetryStore;
let owners: DynamoDbDeviceOwners;
let watchMarks: DynamoDbWatchMarkStore;
/** The time both functions see; a test moves it to play out minutes. */
let clock = NOW;

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
  await createTableFromServerlessYml(dynamo.client, `${__dirname}/..`, 'RecentTelemetryTable', TABLE);
  store = new DynamoDbRecentTelemetryStore(DynamoDBDocumentClient.from(dynamo.client), TABLE, KEEP_MINUTES);
  await createDevicesTable(dynamo.client, DEVICES_TABLE);
  owners = new DynamoDbDeviceOwners(DynamoDBDocumentClient.from(dynamo.client), DEVICES_TABLE);
  watchMarks = new DynamoDbWatchMarkStore(DynamoDBDocumentClient.from(dynamo.client), TABLE);
  for (const deviceId of ['sensor-1', 'sensor-3', 'sensor-4', 'sensor-5', 'sensor-6', 'sensor-7', 'sensor-8']) {
    await putDeviceOwner(dynamo.client, DEVICES_TABLE, { deviceId, ownerId: USER });
  }
});

afterAll(() => dynamo.stop());

beforeEach(() => {
  clock = NOW;
});

const message = (deviceId: string, timestamp: number, temperature: number) => ({
  partitionKey: deviceId,
  data: { deviceId, timestamp, metrics: { temperature }, receivedAt: timestamp + 50 },
});

async function record(inputs: Parameters<typeof kinesisRecords>[0]) {
  const recordLogger = createLogger('test');
  const warn = jest.spyOn(recordLogger, 'warn');
  const info = jest.spyOn(recordLogger, 'info');
  const handler = createRecordRecentTelemetryHandler({ store, watchMarks, logger: recordLogger, now: () => clock });
  await handler({ Records: kinesisRecords(inputs) }, lambdaContext());
  return { warnings: warn.mock.calls, infos: info.mock.calls };
}

/** The readings kept for a device, read from the table directly (whoever owns it). */
const kept = (deviceId: string) => store.newest(deviceId, 0, 1000);

async function get(deviceId: string, query: Record<string, string> = {}, corsOrigin?: string, as = USER) {
  const handler = createGetDeviceTelemetryHandler({
    owners,
    store,
    watchMarks,
    keepMinutes: KEEP_MINUTES,
    watchMinutes: WATCH_MINUTES,
    logger,
    now: () => clock,
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

/** The one item of the table that holds the watch marks. */
async function watchMarksItem(): Promise<{ marks: Record<string, number>; version: number }> {
  const answer = await DynamoDBDocumentClient.from(dynamo.client).send(
    new GetCommand({ TableName: TABLE, Key: WATCH_MARKS_KEY, ConsistentRead: true }),
  );
  return answer.Item as { marks: Record<string, number>; version: number };
}

describe('recent readings', () => {
  it('keeps every telemetry message of a watched device and answers its readings oldest first', async () => {
    // Prepare: someone opens sensor-1's page; nobody watches sensor-2.
    await get('sensor-1');
    const inputs = [3, 1, 2].map((i) => message('sensor-1', NOW - 60 * SECOND + i * SECOND, 20 + i));

    // Act
    const { infos } = await record([...inputs, message('sensor-2', NOW - 5 * SECOND, 30)]);
    const answer = await get('sensor-1');

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body as TelemetryReadings).toEqual({
      deviceId: 'sensor-1',
      watchedUntil: NOW + WATCH_MINUTES * MINUTE,
      items: [1, 2, 3].map((i) => ({
        deviceId: 'sensor-1',
        timestamp: NOW - 60 * SECOND + i * SECOND,
        metrics: { temperature: 20 + i },
        receivedAt: NOW - 60 * SECOND + i * SECOND + 50,
      })),
    });
    expect(await kept('sensor-2')).toEqual([]);
    expect(infos).toContainEqual(['recent readings recorded', { recorded: 3, unwatched: 1 }]);
  });

  it('records nothing of a device nobody watches, and its readings from the first batch after a read', async () => {
    // Act
    await record([message('sensor-5', NOW - 3 * SECOND, 21)]);
    const first = await get('sensor-5');
    await record([message('sensor-5', NOW - 2 * SECOND, 22)]);
    const second = await get('sensor-5');

    // Assess: the first read says recording has started, though there is nothing yet.
    expect(first.body).toEqual({ deviceId: 'sensor-5', items: [], watchedUntil: NOW + WATCH_MINUTES * MINUTE });
    expect(second.body.items.map((r: { metrics: { temperature: number } }) => r.metrics.temperature)).toEqual([22]);
  });

  it('stops recording a device once its watch has run out', async () => {
    // Prepare
    await get('sensor-6');
    clock = NOW + (WATCH_MINUTES + 1) * MINUTE;

    // Act
    await record([message('sensor-6', clock - SECOND, 23)]);

    // Assess
    expect(await kept('sensor-6')).toEqual([]);
  });

  it('writes the watch mark again only once less than half of its period is left', async () => {
    // Prepare
    const first = await get('sensor-7');

    // Act: polls 4 minutes later (6 left), then just past 5 minutes (under half left).
    clock = NOW + 4 * MINUTE;
    const early = await get('sensor-7');
    const earlyItem = await watchMarksItem();
    clock = NOW + 5 * MINUTE + SECOND;
    const late = await get('sensor-7');

    // Assess
    expect(first.body.watchedUntil).toBe(NOW + WATCH_MINUTES * MINUTE);
    expect(early.body.watchedUntil).toBe(NOW + WATCH_MINUTES * MINUTE);
    expect(late.body.watchedUntil).toBe(clock + WATCH_MINUTES * MINUTE);
    expect((await watchMarksItem()).version).toBe(earlyItem.version + 1);
  });

  it('drops expired marks when it writes one, and keeps the marks of devices watched at the same moment', async () => {
    // Prepare: sensor-3 watched now; half an hour later its mark (and those of the tests before) has run out.
    await get('sensor-3');
    clock = NOW + 30 * MINUTE;

    // Act: two users open two devices at once.
    await Promise.all([get('sensor-4'), get('sensor-8')]);

    // Assess
    expect((await watchMarksItem()).marks).toEqual({
      'sensor-4': clock + WATCH_MINUTES * MINUTE,
      'sensor-8': clock + WATCH_MINUTES * MINUTE,
    });
  });

  it('answers the newest `limit` readings at or after `from`, and none older than they are kept', async () => {
    // Prepare
    await get('sensor-3');
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
    // Prepare
    await get('sensor-4');

    // Act
    const { warnings } = await record([
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
