/**
 * The ownership check every `/devices/{deviceId}` route uses, through a middy stack as the services build it, against
 * a real local DynamoDB holding iot-device-config-api's devices table (created from its serverless.yml).
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  apiGatewayProxyEvent,
  createDevicesTable,
  type LocalDynamoDb,
  lambdaContext,
  putDeviceOwner,
  startLocalDynamoDb,
} from '@iot/testing';
import { ProblemDetailsSchema } from '@iot/types';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import { createLogger, deviceOwnerOnly, json, parseJsonBody, problemDetails } from '../src';
import { DynamoDbDeviceOwners } from '../src/dynamodb-device-owners';

const TABLE = 'iot-lambda-kit-test-devices';
const ALICE = 'alice-sub';
const BOB = 'bob-sub';

let db: LocalDynamoDb;
let owners: DynamoDbDeviceOwners;

beforeAll(async () => {
  db = await startLocalDynamoDb();
  await createDevicesTable(db.client, TABLE);
  owners = new DynamoDbDeviceOwners(DynamoDBDocumentClient.from(db.client), TABLE);
  await putDeviceOwner(db.client, TABLE, { deviceId: 'alice-1', ownerId: ALICE });
  await putDeviceOwner(db.client, TABLE, { deviceId: 'alice-2', ownerId: ALICE });
  await putDeviceOwner(db.client, TABLE, { deviceId: 'alice-pending', ownerId: ALICE, registered: false });
  await putDeviceOwner(db.client, TABLE, { deviceId: 'bob-1', ownerId: BOB });
});

afterAll(() => db.stop());

/** A route under /devices/{deviceId} that reads a JSON body, as the services' routes do. */
const route = () => {
  const handled: string[] = [];
  const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(problemDetails({ logger: createLogger('test') }))
    .use(deviceOwnerOnly(owners))
    .handler(async (event) => {
      const body = parseJsonBody(z.object({ value: z.number() }), event);
      handled.push(event.pathParameters?.deviceId ?? '');
      return json(200, body);
    });
  return { handler, handled };
};

const call = (
  handler: ReturnType<typeof route>['handler'],
  deviceId: string,
  as: string | undefined,
  body: unknown = { value: 1 },
) =>
  handler(
    apiGatewayProxyEvent({
      method: 'PUT',
      resource: '/devices/{deviceId}/x',
      pathParameters: { deviceId },
      body,
      ...(as ? { claims: { sub: as, 'cognito:username': as } } : {}),
    }),
    lambdaContext(),
  );

const problemOf = (response: APIGatewayProxyResult) => ProblemDetailsSchema.parse(JSON.parse(response.body));

describe('deviceOwnerOnly', () => {
  it("lets the owner through to the handler, with the device's own body", async () => {
    // Prepare
    const { handler, handled } = route();

    // Act
    const response = await call(handler, 'alice-1', ALICE);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(handled).toEqual(['alice-1']);
  });

  it("answers 403 naming the reason for another user's device, before the body is read", async () => {
    // Prepare
    const { handler, handled } = route();

    // Act
    const withBody = await call(handler, 'alice-1', BOB);
    const withBadBody = await call(handler, 'alice-1', BOB, { value: 'not a number' });
    const pendingOfOther = await call(handler, 'alice-pending', BOB);

    // Assess
    for (const response of [withBody, withBadBody, pendingOfOther]) {
      expect(response.statusCode).toBe(403);
      expect(problemOf(response)).toMatchObject({ status: 403, title: 'Forbidden' });
    }
    expect(problemOf(withBody).detail).toBe('Device alice-1 belongs to another user');
    expect(handled).toEqual([]);
  });

  it('answers 404 for a device nobody registered, and for the caller’s own unfinished registration', async () => {
    // Prepare
    const { handler, handled } = route();

    // Act
    const unknown = await call(handler, 'nobody-s-device', ALICE);
    const pending = await call(handler, 'alice-pending', ALICE);

    // Assess
    expect(unknown.statusCode).toBe(404);
    expect(problemOf(unknown).detail).toBe('No device nobody-s-device is registered');
    expect(pending.statusCode).toBe(404);
    expect(handled).toEqual([]);
  });

  it('answers 401 without the authorizer’s claims and 400 naming a malformed device id', async () => {
    // Prepare
    const { handler, handled } = route();

    // Act
    const anonymous = await call(handler, 'alice-1', undefined);
    const malformed = await call(handler, 'no spaces/allowed', ALICE);

    // Assess
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers?.['www-authenticate']).toBe('Bearer');
    expect(malformed.statusCode).toBe(400);
    expect(problemOf(malformed).errors?.[0]?.path).toBe('path.deviceId');
    expect(handled).toEqual([]);
  });
});

describe('DynamoDbDeviceOwners.devicesOf', () => {
  it("lists the user's registered devices only", async () => {
    // Act
    const alices = await owners.devicesOf(ALICE);
    const nobodys = await owners.devicesOf('nobody');

    // Assess
    expect([...alices].sort()).toEqual(['alice-1', 'alice-2']);
    expect(nobodys.size).toBe(0);
  });
});
