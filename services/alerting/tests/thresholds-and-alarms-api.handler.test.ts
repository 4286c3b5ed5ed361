/**
 * Offline invocation of the HTTP routes through their middy stacks, with API Gateway proxy events, against a real
 * local DynamoDB whose tables are created from serverless.yml.
 */
import { join } from 'node:path';
import { createLogger } from '@iot/lambda-kit';
import {
  apiGatewayProxyEvent,
  createTableFromServerlessYml,
  type LocalDynamoDb,
  lambdaContext,
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
const T0 = 1_767_225_600_000;

let db: LocalDynamoDb;
let thresholds: DynamoDbThresholdStore;
let alarms: DynamoDbAlarmStore;

beforeAll(async () => {
  db = await startLocalDynamoDb();
  await createTableFromServerlessYml(db.client, SERVICE_DIR, 'ThresholdsTable', THRESHOLDS_TABLE);
  await createTableFromServerlessYml(db.client, SERVICE_DIR, 'AlarmsTable', ALARMS_TABLE);
  const documents = createDocumentClient(db.client);
  thresholds = new DynamoDbThresholdStore(documents, THRESHOLDS_TABLE, { consistentRead: true });
  alarms = new DynamoDbAlarmStore(documents, ALARMS_TABLE);
});

afterAll(() => db.stop());

const logger = createLogger('iot-alerting-test');
const putThresholds = (deviceId: string, body: unknown, headers: Record<string, string> = {}) =>
  createPutDeviceThresholdsHandler({ thresholds, logger, now: () => T0 })(
    apiGatewayProxyEvent({
      method: 'PUT',
      resource: '/devices/{deviceId}/thresholds',
      pathParameters: { deviceId },
      headers,
      body,
    }),
    lambdaContext(),
  );
const getThresholds = (deviceId: string) =>
  createGetDeviceThresholdsHandler({ thresholds, logger })(
    apiGatewayProxyEvent({ method: 'GET', resource: '/devices/{deviceId}/thresholds', pathParameters: { deviceId } }),
    lambdaContext(),
  );
const getAlarms = (deviceId: string) =>
  createGetDeviceAlarmsHandler({ alarms, logger })(
    apiGatewayProxyEvent({ method: 'GET', resource: '/devices/{deviceId}/alarms', pathParameters: { deviceId } }),
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
    const handler = createGetDeviceThresholdsHandler({ thresholds: broken, logger });

    // Act
    const response = await handler(
      apiGatewayProxyEvent({
        method: 'GET',
        resource: '/devices/{deviceId}/thresholds',
        pathParameters: { deviceId: 'sensor-1' },
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
      createGetDeviceThresholdsHandler({ thresholds, logger, corsOrigin: origin })(
        apiGatewayProxyEvent({
          method: 'GET',
          resource: '/devices/{deviceId}/thresholds',
          pathParameters: { deviceId },
        }),
        lambdaContext(),
      );

    // Act
    const found = await get('sensor-cors-1');
    const refused = await get('sensor/../1');

    // Assess
    expect(found.statusCode).toBe(200);
    expect(found.headers?.['access-control-allow-origin']).toBe(origin);
    expect(refused.statusCode).toBe(400);
    expect(refused.headers?.['access-control-allow-origin']).toBe(origin);
  });
});
