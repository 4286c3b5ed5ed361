/**
 * Offline invocation of the HTTP routes through their middy stacks, with API Gateway proxy events, against a real
 * local DynamoDB whose tables are created from serverless.yml.
 */
import { join } from 'node:path';
import { createLogger } from '@iot/lambda-kit';
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
import {
  GetAlarmsResponseSchema,
  GetThresholdsResponseSchema,
  ProblemDetailsSchema,
  type ThresholdRule,
} from '@iot/types';
import { DynamoDbAlarmStore } from '../src/adapters/dynamodb-alarm-store';
import { createDocumentClient } from '../src/adapters/dynamodb-document-client';
import { DynamoDbThresholdStore } from '../src/adapters/dynamodb-threshold-store';
import { evaluateReading } from '../src/domain/alarm-state-machine';
import { FLEET_THRESHOLDS_KEY } from '../src/domain/thresholds';
import { createGetDeviceAlarmsHandler } from '../src/handlers/get-device-alarms';
import { createGetDeviceThresholdsHandler } from '../src/handlers/get-device-thresholds';
import { createPutDeviceThresholdsHandler } from '../src/handlers/put-device-thresholds';

const SERVICE_DIR = join(__dirname, '..');
const THRESHOLDS_TABLE = 'iot-alerting-test-thresholds';
const ALARMS_TABLE = 'iot-alerting-test-alarms';
const DEVICES_TABLE = 'iot-alerting-test-devices';
/** The signed-in user who owns the devices of these tests. */
const USER = '3c9d1e2f-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
const OTHER_USER = '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d';
const claims = { sub: USER, 'cognito:username': 'operator' };
const T0 = 1_767_225_600_000;

let db: LocalDynamoDb;
let thresholds: DynamoDbThresholdStore;
let alarms: DynamoDbAlarmStore;
let owners: DynamoDbDeviceOwners;

beforeAll(async () => {
  db = await startLocalDynamoDb();
  await createTableFromServerlessYml(db.client, SERVICE_DIR, 'ThresholdsTable', THRESHOLDS_TABLE);
  await createTableFromServerlessYml(db.client, SERVICE_DIR, 'AlarmsTable', ALARMS_TABLE);
  const documents = createDocumentClient(db.client);
  thresholds = new DynamoDbThresholdStore(documents, THRESHOLDS_TABLE, { consistentRead: true });
  alarms = new DynamoDbAlarmStore(documents, ALARMS_TABLE);
  await createDevicesTable(db.client, DEVICES_TABLE);
  owners = new DynamoDbDeviceOwners(documents, DEVICES_TABLE);
  const mine = ['sensor-1', 'sensor-put-1', 'sensor-put-2', 'sensor-put-invalid', 'sensor-get-1', 'sensor-get-2'];
  for (const deviceId of [...mine, 'sensor-alarms-1', 'sensor-alarms-none']) {
    await putDeviceOwner(db.client, DEVICES_TABLE, { deviceId, ownerId: USER });
  }
  await putDeviceOwner(db.client, DEVICES_TABLE, { deviceId: 'sensor-others', ownerId: OTHER_USER });
});

afterAll(() => db.stop());

const logger = createLogger('iot-alerting-test');
const putThresholds = (deviceId: string, body: unknown, headers: Record<string, string> = {}, as = claims) =>
  createPutDeviceThresholdsHandler({ owners, thresholds, logger, now: () => T0 })(
    apiGatewayProxyEvent({
      method: 'PUT',
      resource: '/devices/{deviceId}/thresholds',
      pathParameters: { deviceId },
      headers,
      body,
      claims: as,
    }),
    lambdaContext(),
  );
const getThresholds = (deviceId: string) =>
  createGetDeviceThresholdsHandler({ owners, thresholds, logger })(
    apiGatewayProxyEvent({
      method: 'GET',
      resource: '/devices/{deviceId}/thresholds',
      pathParameters: { deviceId },
      claims,
    }),
    lambdaContext(),
  );
const getAlarms = (deviceId: string) =>
  createGetDeviceAlarmsHandler({ owners, alarms, logger })(
    apiGatewayProxyEvent({
      method: 'GET',
      resource: '/devices/{deviceId}/alarms',
      pathParameters: { deviceId },
      claims,
    }),
    lambdaContext(),
  );

const fleetRules: ThresholdRule[] = [
  { metric: 'temperature', comparison: 'above', value: 40 },
  { metric: 'battery.voltage', comparison: 'below', value: 3.3, severity: 'warning' },
];

beforeAll(() => thresholds.putRules(FLEET_THRESHOLDS_KEY, fleetRules, T0));

describe('PUT /devices/{deviceId}/thresholds', () => {
  it("replaces the device's rules and answers the rules that now apply, with their source", async () => {
    // Prepare
    await putThresholds('sensor-put-1', { rules: [{ metric: 'humidity', comparison: 'above', value: 90 }] });
    const rules: ThresholdRule[] = [
      { metric: 'temperature', comparison: 'above', value: 30, clearValue: 28, severity: 'critical' },
    ];

    // Act
    const response = await putThresholds('sensor-put-1', { rules });

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toBe('application/json');
    expect(GetThresholdsResponseSchema.parse(JSON.parse(response.body))).toEqual({
      deviceId: 'sensor-put-1',
      rules: [
        { ...rules[0], source: 'device' },
        { ...fleetRules[1], source: 'fleet' },
      ],
    });
    expect((await thresholds.getRules(['sensor-put-1'])).get('sensor-put-1')).toEqual(rules);
  });

  it('accepts an empty list: the device then follows the fleet defaults', async () => {
    // Prepare
    await putThresholds('sensor-put-2', { rules: [{ metric: 'temperature', comparison: 'above', value: 30 }] });

    // Act
    const response = await putThresholds('sensor-put-2', { rules: [] });

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).rules.map((rule: { source: string }) => rule.source)).toEqual(['fleet', 'fleet']);
  });

  it.each([
    ['no rules field', {}, 'body.rules'],
    ['an unknown field', { rules: [], owner: 'me' }, 'body'],
    [
      'an unknown comparison',
      { rules: [{ metric: 'temperature', comparison: 'over', value: 30 }] },
      'body.rules[0].comparison',
    ],
    [
      'a clear value on the wrong side',
      { rules: [{ metric: 'temperature', comparison: 'above', value: 30, clearValue: 32 }] },
      'body.rules[0].clearValue',
    ],
    [
      'more datapoints than periods',
      {
        rules: [{ metric: 'temperature', comparison: 'above', value: 30, datapointsToAlarm: 3, evaluationPeriods: 2 }],
      },
      'body.rules[0].datapointsToAlarm',
    ],
    [
      'two rules for one metric',
      {
        rules: [
          { metric: 'temperature', comparison: 'above', value: 30 },
          { metric: 'temperature', comparison: 'below', value: 0 },
        ],
      },
      'body.rules[1].metric',
    ],
    [
      'a value that is not a number',
      { rules: [{ metric: 'temperature', comparison: 'above', value: '30' }] },
      'body.rules[0].value',
    ],
  ])('rejects %s with a 400 naming the field, and stores nothing', async (_, body, path) => {
    // Act
    const response = await putThresholds('sensor-put-invalid', body);

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    expect(ProblemDetailsSchema.parse(JSON.parse(response.body)).errors?.map((e) => e.path)).toContain(path);
    expect((await thresholds.getRules(['sensor-put-invalid'])).size).toBe(0);
  });

  it.each([
    ['a body that is not JSON', '{"rules": [', {}, 400, /not valid JSON/],
    ['a body of another media type', 'rules=none', { 'Content-Type': 'text/plain' }, 415, /expected application\/json/],
  ])('rejects %s with a clear reason', async (_, body, headers, status, reason) => {
    // Act
    const response = await putThresholds('sensor-put-invalid', body, headers);

    // Assess
    expect(response.statusCode).toBe(status);
    expect(ProblemDetailsSchema.parse(JSON.parse(response.body)).detail).toMatch(reason);
  });

  it("refuses another user's device (403, whatever the body) and a device nobody registered (404), writing nothing", async () => {
    // Act
    const others = await putThresholds('sensor-others', { rules: [] });
    const othersBadBody = await putThresholds('sensor-others', { rules: 'none' });
    const asOtherUser = await putThresholds(
      'sensor-put-1',
      { rules: [] },
      {},
      { sub: OTHER_USER, 'cognito:username': 'x' },
    );
    const unknown = await putThresholds('sensor-nobody', { rules: [] });

    // Assess
    expect([others, othersBadBody, asOtherUser, unknown].map((r) => r.statusCode)).toEqual([403, 403, 403, 404]);
    expect(ProblemDetailsSchema.parse(JSON.parse(others.body)).detail).toBe(
      'Device sensor-others belongs to another user',
    );
    expect(ProblemDetailsSchema.parse(JSON.parse(unknown.body)).detail).toBe('No device sensor-nobody is registered');
    const stored = await thresholds.getRules(['sensor-others', 'sensor-nobody']);
    expect([stored.get('sensor-others'), stored.get('sensor-nobody')]).toEqual([undefined, undefined]);
  });

  it('rejects the fleet key, or any id that cannot be a thing name, as a device id', async () => {
    // Act
    const responses = await Promise.all(
      [FLEET_THRESHOLDS_KEY, 'sensor 1'].map((deviceId) => putThresholds(deviceId, { rules: [] })),
    );

    // Assess
    expect(responses.map((r) => [r.statusCode, JSON.parse(r.body).errors[0].path])).toEqual([
      [400, 'path.deviceId'],
      [400, 'path.deviceId'],
    ]);
    expect((await thresholds.getRules([FLEET_THRESHOLDS_KEY])).get(FLEET_THRESHOLDS_KEY)).toEqual(fleetRules);
  });
});

describe('GET /devices/{deviceId}/thresholds', () => {
  it('answers the fleet defaults for a device without rules of its own', async () => {
    // Act
    const response = await getThresholds('sensor-get-1');

    // Assess
    expect(response.statusCode).toBe(200);
    expect(GetThresholdsResponseSchema.parse(JSON.parse(response.body))).toEqual({
      deviceId: 'sensor-get-1',
      rules: fleetRules.map((rule) => ({ ...rule, source: 'fleet' })),
    });
  });

  it("answers the device's own rules first, then the fleet's for its other metrics", async () => {
    // Prepare
    await putThresholds('sensor-get-2', {
      rules: [
        { metric: 'battery.voltage', comparison: 'below', value: 3.5 },
        { metric: 'humidity', comparison: 'above', value: 85 },
      ],
    });

    // Act
    const response = await getThresholds('sensor-get-2');

    // Assess
    expect(JSON.parse(response.body).rules).toEqual([
      { metric: 'battery.voltage', comparison: 'below', value: 3.5, source: 'device' },
      { metric: 'humidity', comparison: 'above', value: 85, source: 'device' },
      { metric: 'temperature', comparison: 'above', value: 40, source: 'fleet' },
    ]);
  });

  it('answers a failure of the table as a 500 that reveals nothing', async () => {
    // Prepare
    const broken = new DynamoDbThresholdStore(createDocumentClient(db.client), 'no-such-table');
    const handler = createGetDeviceThresholdsHandler({ owners, thresholds: broken, logger });

    // Act
    const response = await handler(
      apiGatewayProxyEvent({
        method: 'GET',
        resource: '/devices/{deviceId}/thresholds',
        pathParameters: { deviceId: 'sensor-1' },
        claims,
      }),
      lambdaContext(),
    );

    // Assess
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('no-such-table');
  });
});

describe('GET /devices/{deviceId}/alarms', () => {
  it('answers the alarm of each evaluated metric, in the shared shape', async () => {
    // Prepare
    const rule = { comparison: 'above', value: 30, clearValue: 28, severity: 'major' } as const;
    for (const [metric, value] of [
      ['temperature', 31],
      ['humidity', 20],
    ] as const) {
      const evaluation = evaluateReading(
        undefined,
        { ...rule, metric, datapointsToAlarm: 1, evaluationPeriods: 1, missingDataMinutes: undefined },
        { deviceId: 'sensor-alarms-1', metric, value, timestamp: T0 },
      );
      if (evaluation.outcome === 'evaluated') {
        await alarms.save({
          next: evaluation.next,
          expectedRevision: undefined,
          pendingNotification: evaluation.notification,
          checkAt: undefined,
        });
      }
    }

    // Act
    const response = await getAlarms('sensor-alarms-1');

    // Assess
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body);
    expect(GetAlarmsResponseSchema.parse(body)).toEqual(body);
    expect(body.alarms.map((a: { metric: string; state: string }) => [a.metric, a.state])).toEqual([
      ['humidity', 'OK'],
      ['temperature', 'ALARM'],
    ]);
    // What only the evaluation needs stays in the table.
    for (const key of [
      'revision',
      'recentBreaches',
      'pendingNotification',
      'lastReceivedAt',
      'checkAt',
      'checkShard',
    ]) {
      expect(body.alarms[1]).not.toHaveProperty(key);
    }
  });

  it('answers an empty list for a device without alarms', async () => {
    // Act
    const response = await getAlarms('sensor-alarms-none');

    // Assess
    expect(JSON.parse(response.body)).toEqual({ deviceId: 'sensor-alarms-none', alarms: [] });
  });

  it('rejects a device id that cannot be a thing name', async () => {
    // Act
    const response = await getAlarms('sensor/../1');

    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).errors[0].path).toBe('path.deviceId');
  });
});

describe('CORS', () => {
  it('lets the dashboard read the answers, errors included, from the configured origin', async () => {
    // Prepare
    const origin = 'https://dashboard.example.com';
    const get = (deviceId: string) =>
      createGetDeviceThresholdsHandler({ owners, thresholds, logger, corsOrigin: origin })(
        apiGatewayProxyEvent({
          method: 'GET',
          resource: '/devices/{deviceId}/thresholds',
          pathParameters: { deviceId },
          claims,
        }),
        lambdaContext(),
      );

    // Act
    const found = await get('sensor-1');
    const refused = await get('sensor/../1');

    // Assess
    expect(found.statusCode).toBe(200);
    expect(found.headers?.['access-control-allow-origin']).toBe(origin);
    expect(refused.statusCode).toBe(400);
    expect(refused.headers?.['access-control-allow-origin']).toBe(origin);
  });
});
