/**
 * `GET /devices/{deviceId}/metrics` and `GET /fleet/metrics` invoked offline through their middy stacks with API
 * Gateway proxy events, against a real local DynamoDB (dynalite) holding window parts as the aggregator writes them.
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createLogger, FLEET_OPERATORS_GROUP } from '@iot/lambda-kit';
import { DynamoDbDeviceOwners } from '@iot/lambda-kit/dynamodb-device-owners';
import {
  apiGatewayProxyEvent,
  createDevicesTable,
  createTableFromServerlessYml,
  type LocalDynamoDb,
  lambdaContext,
  putDeviceOwner,
  startLocalDynamoDb,
} from '@iot/testing';
import type { FleetMetricsPage, FleetWindowMetric, WindowMetric, WindowMetricsPage } from '@iot/types';
import { DynamoDbWindowMetricsStore } from '../src/adapters/dynamodb-window-metrics-store';
import { createGetDeviceMetricsHandler } from '../src/handlers/get-device-metrics';
import { createGetFleetMetricsHandler } from '../src/handlers/get-fleet-metrics';

const TABLE = 'metrics-routes-test';
const DEVICES_TABLE = 'metrics-routes-test-devices';
/** The signed-in user who owns sensor-1 and sensor-many. */
const USER = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';
const OTHER_USER = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const T0 = Date.parse('2026-03-01T00:00:00Z');
const MINUTE = 60_000;
const NOW = T0 + 2 * 86_400_000;
let dynamo: LocalDynamoDb;
let store: DynamoDbWindowMetricsStore;
let owners: DynamoDbDeviceOwners;
let getDevice: ReturnType<typeof createGetDeviceMetricsHandler>;
let getFleet: ReturnType<typeof createGetFleetMetricsHandler>;

const deviceMetric = (deviceId: string, metric: string, windowStart: number, values: number[]): WindowMetric => ({
  deviceId,
  metric,
  windowStart,
  windowEnd: windowStart + MINUTE,
  count: values.length,
  min: Math.min(...values),
  max: Math.max(...values),
  sum: values.reduce((a, b) => a + b, 0),
  mean: values.reduce((a, b) => a + b, 0) / values.length,
  last: values[values.length - 1] as number,
  firstTimestamp: windowStart + 1,
  lastTimestamp: windowStart + values.length,
});

const fleetMetric = (metric: string, windowStart: number, count: number, sum: number, devices: number) => ({
  metric,
  windowStart,
  windowEnd: windowStart + MINUTE,
  count,
  min: 1,
  max: sum,
  sum,
  mean: sum / count,
  devices,
  firstTimestamp: windowStart + 1,
  lastTimestamp: windowStart + 2,
});

function request(resource: string, query: Record<string, string>, deviceId?: string, as = USER, groups: string[] = []) {
  return apiGatewayProxyEvent({
    method: 'GET',
    resource,
    query,
    claims: { sub: as, 'cognito:username': as, ...(groups.length ? { 'cognito:groups': groups.join(',') } : {}) },
    ...(deviceId ? { pathParameters: { deviceId } } : {}),
  });
}

async function device(deviceId: string, query: Record<string, string>, as = USER) {
  const answer = await getDevice(request('/devices/{deviceId}/metrics', query, deviceId, as), lambdaContext());
  return { status: answer.statusCode, body: JSON.parse(answer.body) };
}

/** The fleet's metrics, as a fleet operator (or as a user of no group when `operator` is false). */
async function fleet(query: Record<string, string>, operator = true) {
  const groups = operator ? [FLEET_OPERATORS_GROUP] : [];
  const answer = await getFleet(request('/fleet/metrics', query, undefined, USER, groups), lambdaContext());
  return { status: answer.statusCode, body: JSON.parse(answer.body) };
}

/** Follows `nextToken` to the end; every page as it came. */
async function allPages<T>(
  get: (query: Record<string, string>) => Promise<{ body: { items: T[]; nextToken?: string } }>,
  query: Record<string, string>,
) {
  const pages: T[][] = [];
  let nextToken: string | undefined;
  do {
    const { body } = await get({ ...query, ...(nextToken ? { nextToken } : {}) });
    pages.push(body.items);
    nextToken = body.nextToken;
  } while (nextToken && pages.length < 100);
  return pages;
}

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
  await createTableFromServerlessYml(dynamo.client, `${__dirname}/..`, 'MetricsTable', TABLE);
  store = new DynamoDbWindowMetricsStore(DynamoDBDocumentClient.from(dynamo.client), TABLE, 90);
  const logger = createLogger('test');
  await createDevicesTable(dynamo.client, DEVICES_TABLE);
  for (const deviceId of ['sensor-1', 'sensor-many']) {
    await putDeviceOwner(dynamo.client, DEVICES_TABLE, { deviceId, ownerId: USER });
  }
  owners = new DynamoDbDeviceOwners(DynamoDBDocumentClient.from(dynamo.client), DEVICES_TABLE);
  getDevice = createGetDeviceMetricsHandler({ owners, store, logger, now: () => NOW });
  getFleet = createGetFleetMetricsHandler({ store, logger, now: () => NOW });

  // sensor-1: five windows of temperature and humidity, one part each; the third window in two parts (it ended early).
  for (let w = 0; w < 5; w++) {
    const start = T0 + w * MINUTE;
    await store.putWindow({
      part: `shardId-000000000000#${100 + w}`,
      devices: [
        deviceMetric('sensor-1', 'temperature', start, [w, w + 1]),
        deviceMetric('sensor-1', 'humidity', start, [50]),
      ],
      fleet: [],
    });
  }
  await store.putWindow({
    part: 'shardId-000000000000#1000',
    devices: [deviceMetric('sensor-1', 'temperature', T0 + 2 * MINUTE, [9])],
    fleet: [],
  });
  // The fleet: four windows, each written by three shards.
  for (let w = 0; w < 4; w++) {
    for (let shard = 0; shard < 3; shard++) {
      await store.putWindow({
        part: `shardId-00000000000${shard}#7`,
        devices: [],
        fleet: [
          fleetMetric('temperature', T0 + w * MINUTE, 2, 10 * (shard + 1), 2),
          fleetMetric('humidity', T0 + w * MINUTE, 1, 5, 1),
        ] as FleetWindowMetric[],
      });
    }
  }
  // sensor-many: 600 windows of one metric, then one window of a rare one.
  for (let w = 0; w < 600; w += 25) {
    await store.putWindow({
      part: 'shardId-000000000000#1',
      devices: Array.from({ length: 25 }, (_, i) => deviceMetric('sensor-many', 'common', T0 + (w + i) * MINUTE, [1])),
      fleet: [],
    });
  }
  await store.putWindow({
    part: 'shardId-000000000000#1',
    devices: [deviceMetric('sensor-many', 'rare', T0 + 600 * MINUTE, [42])],
    fleet: [],
  });
}, 60_000);
afterAll(() => dynamo.stop());

describe('GET /devices/{deviceId}/metrics', () => {
  it('answers the windows in the range, oldest first, each window merged from its parts', async () => {
    // Act
    const { status, body } = await device('sensor-1', {
      metric: 'temperature',
      from: String(T0 + MINUTE),
      to: String(T0 + 3 * MINUTE),
    });

    // Assess
    expect(status).toBe(200);
    expect((body as WindowMetricsPage).items).toEqual([
      deviceMetric('sensor-1', 'temperature', T0 + MINUTE, [1, 2]),
      // The later part's reading has the earlier device timestamp: `last` is the reading taken last.
      {
        ...deviceMetric('sensor-1', 'temperature', T0 + 2 * MINUTE, [2, 3, 9]),
        last: 3,
        lastTimestamp: T0 + 2 * MINUTE + 2,
      },
      deviceMetric('sensor-1', 'temperature', T0 + 3 * MINUTE, [3, 4]),
    ]);
    expect(body.nextToken).toBeUndefined();
  });

  it('pages through every metric of every window, never splitting a window across pages', async () => {
    // Act
    const pages = await allPages((q) => device('sensor-1', q), { from: String(T0), limit: '3' });

    // Assess
    expect(pages.map((page) => page.length)).toEqual([3, 3, 3, 1]);
    const items = pages.flat() as WindowMetric[];
    expect(items.map((m) => `${(m.windowStart - T0) / MINUTE}:${m.metric}`)).toEqual([
      '0:humidity',
      '0:temperature',
      '1:humidity',
      '1:temperature',
      '2:humidity',
      '2:temperature',
      '3:humidity',
      '3:temperature',
      '4:humidity',
      '4:temperature',
    ]);
    expect(items.find((m) => m.windowStart === T0 + 2 * MINUTE && m.metric === 'temperature')?.count).toBe(3);
  });

  it('defaults to the last day before now', async () => {
    // Act
    const { body } = await device('sensor-1', {});

    // Assess
    expect(body.items).toEqual([]);
  });

  it('finds a rare metric behind many windows of another, page by page', async () => {
    // Act
    const pages = await allPages((q) => device('sensor-many', q), {
      metric: 'rare',
      from: String(T0),
      to: String(T0 + 1000 * MINUTE),
      limit: '1',
    });

    // Assess
    expect(pages.flat()).toEqual([deviceMetric('sensor-many', 'rare', T0 + 600 * MINUTE, [42])]);
    expect(pages.length).toBeGreaterThan(1);
  });

  it("answers 403 for another user's device and 404 for a device nobody registered, before reading the query", async () => {
    // Act
    const others = await device('sensor-1', { limit: '501' }, OTHER_USER);
    const unknown = await device('sensor-nobody', {});

    // Assess
    expect([others.status, unknown.status]).toEqual([403, 404]);
    expect(others.body.detail).toBe('Device sensor-1 belongs to another user');
    expect(unknown.body.detail).toBe('No device sensor-nobody is registered');
    expect(others.body.items).toBeUndefined();
  });

  it('answers 400 naming the field for a bad query, an unknown token or a bad device id', async () => {
    // Act
    const answers = await Promise.all([
      device('sensor-1', { from: String(T0 + MINUTE), to: String(T0) }),
      device('sensor-1', { nextToken: 'bm90IGEgdG9rZW4' }),
      device('sensor-1', { limit: '501' }),
      device('bad#id', {}),
    ]);

    // Assess
    expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 400]);
    expect(answers.map((a) => a.body.errors?.[0]?.path)).toEqual([
      'query.from',
      'query.nextToken',
      'query.limit',
      'path.deviceId',
    ]);
  });
});

describe('GET /fleet/metrics', () => {
  it('merges the parts every shard wrote into one window per metric', async () => {
    // Act
    const { status, body } = await fleet({ metric: 'temperature', from: String(T0), to: String(T0 + MINUTE) });

    // Assess
    expect(status).toBe(200);
    expect((body as FleetMetricsPage).items).toEqual([
      { ...fleetMetric('temperature', T0, 6, 60, 6), max: 30 },
      { ...fleetMetric('temperature', T0 + MINUTE, 6, 60, 6), max: 30 },
    ]);
  });

  it('pages through the windows of every metric, one whole window a page', async () => {
    // Act
    const pages = await allPages<FleetWindowMetric>(fleet, {
      from: String(T0),
      to: String(T0 + 10 * MINUTE),
      limit: '1',
    });

    // Assess
    expect(pages.map((page) => page.length)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(pages.flat().map((m) => [(m.windowStart - T0) / MINUTE, m.metric, m.count, m.devices])).toEqual([
      [0, 'humidity', 3, 3],
      [0, 'temperature', 6, 6],
      [1, 'humidity', 3, 3],
      [1, 'temperature', 6, 6],
      [2, 'humidity', 3, 3],
      [2, 'temperature', 6, 6],
      [3, 'humidity', 3, 3],
      [3, 'temperature', 6, 6],
    ]);
  });

  it('answers 403 to a user who is not a fleet operator, naming the group', async () => {
    // Act
    const { status, body } = await fleet({ metric: 'temperature' }, false);

    // Assess
    expect(status).toBe(403);
    expect(body.detail).toBe("Reading the fleet's metrics is for members of the fleet-operators group only");
    expect(body.items).toBeUndefined();
  });

  it('answers 400 for an unknown query parameter', async () => {
    // Act
    const { status, body } = await fleet({ deviceId: 'sensor-1' });

    // Assess
    expect(status).toBe(400);
    expect(body.detail).toMatch(/deviceId/);
  });
});

describe('CORS', () => {
  it('lets the dashboard read both routes from the configured origin', async () => {
    // Prepare
    const logger = createLogger('test');
    const origin = 'https://dashboard.example.com';
    const withCors = {
      device: createGetDeviceMetricsHandler({ owners, store, logger, now: () => NOW, corsOrigin: origin }),
      fleet: createGetFleetMetricsHandler({ store, logger, now: () => NOW, corsOrigin: origin }),
    };

    // Act
    const device = await withCors.device(request('/devices/{deviceId}/metrics', {}, 'sensor-1'), lambdaContext());
    const fleet = await withCors.fleet(
      request('/fleet/metrics', { from: 'yesterday' }, undefined, USER, [FLEET_OPERATORS_GROUP]),
      lambdaContext(),
    );

    // Assess
    expect(device.statusCode).toBe(200);
    expect(device.headers?.['access-control-allow-origin']).toBe(origin);
    expect(fleet.statusCode).toBe(400);
    expect(fleet.headers?.['access-control-allow-origin']).toBe(origin);
  });
});
