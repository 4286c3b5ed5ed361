/**
 * `httpRoute` and `deviceRoute` as the services build their functions: the dependencies from a function's
 * configuration (`deviceRouteDependencies`), the owners read from a real local DynamoDB holding iot-device-config-api's
 * devices table (created from its serverless.yml), and requests shaped as API Gateway hands them on.
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
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import { deviceRoute, HttpProblem, httpRoute, httpRouteDependencies, json, parseJsonBody } from '../src';
import { deviceRouteDependencies } from '../src/dynamodb-device-owners';

const TABLE = 'iot-lambda-kit-route-devices';
const ORIGIN = 'https://dash.example.com';
const ALICE = 'alice-sub';
const BOB = 'bob-sub';

class QuotaExceededError extends Error {}

let db: LocalDynamoDb;
let documents: DynamoDBDocumentClient;

beforeAll(async () => {
  db = await startLocalDynamoDb();
  documents = DynamoDBDocumentClient.from(db.client);
  await createDevicesTable(db.client, TABLE);
  await putDeviceOwner(db.client, TABLE, { deviceId: 'alice-1', ownerId: ALICE });
  await putDeviceOwner(db.client, TABLE, { deviceId: 'alice-pending', ownerId: ALICE, registered: false });
  await putDeviceOwner(db.client, TABLE, { deviceId: 'bob-1', ownerId: BOB });
});

afterAll(() => db.stop());

const config = (corsOrigin?: string) => ({
  POWERTOOLS_SERVICE_NAME: 'iot-route-test',
  DEVICES_TABLE_NAME: TABLE,
  ...(corsOrigin ? { CORS_ALLOWED_ORIGIN: corsOrigin } : {}),
});

/** A device route that reads a JSON body and fails as told by its `fail` query parameter. */
const deviceFunction = (corsOrigin: string | null = ORIGIN) => {
  const seen: { deviceId: string; userId: string }[] = [];
  const handler = deviceRoute(
    {
      ...deviceRouteDependencies(documents, config(corsOrigin ?? undefined)),
      mapError: (error) =>
        error instanceof QuotaExceededError ? new HttpProblem(429, 'Too Many Requests') : undefined,
    },
    async (event, { deviceId, caller }) => {
      const body = parseJsonBody(z.object({ value: z.number() }), event);
      const fail = event.queryStringParameters?.fail;
      if (fail === 'domain') throw new QuotaExceededError('quota of readings reached');
      if (fail === 'bug') throw new Error('table ghost-table-123 is missing');
      seen.push({ deviceId, userId: caller.userId });
      return json(200, { deviceId, ...body });
    },
  );
  return { handler, seen };
};

const request = (
  deviceId: string,
  as: string | undefined,
  { body = { value: 1 } as unknown, query = undefined as Record<string, string> | undefined } = {},
): APIGatewayProxyEvent =>
  apiGatewayProxyEvent({
    method: 'PUT',
    resource: '/devices/{deviceId}/x',
    pathParameters: { deviceId },
    body,
    ...(query ? { query } : {}),
    ...(as ? { claims: { sub: as } } : {}),
  });

const problemOf = (response: APIGatewayProxyResult) => ProblemDetailsSchema.parse(JSON.parse(response.body));

describe('deviceRoute', () => {
  it("hands the owner's request to the handler with the checked device id and caller", async () => {
    // Prepare
    const { handler, seen } = deviceFunction();

    // Act
    const response = await handler(request('alice-1', ALICE, { body: { value: 7 } }), lambdaContext());

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ deviceId: 'alice-1', value: 7 });
    expect(seen).toEqual([{ deviceId: 'alice-1', userId: ALICE }]);
  });

  it('answers 401 with a Bearer challenge to a request without the authorizer’s claims', async () => {
    // Prepare
    const { handler, seen } = deviceFunction();

    // Act
    const response = await handler(request('alice-1', undefined), lambdaContext());

    // Assess
    expect(response.statusCode).toBe(401);
    expect(response.headers?.['www-authenticate']).toBe('Bearer');
    expect(problemOf(response)).toMatchObject({ status: 401, title: 'Unauthorized' });
    expect(seen).toEqual([]);
  });

  it("answers 403 for another user's device before its body is read", async () => {
    // Prepare
    const { handler, seen } = deviceFunction();

    // Act
    const response = await handler(request('bob-1', ALICE, { body: 'not json' }), lambdaContext());

    // Assess
    expect(response.statusCode).toBe(403);
    expect(problemOf(response)).toMatchObject({
      type: 'https://iot-backend.dev/problems/forbidden',
      title: 'Forbidden',
      status: 403,
      detail: 'Device bob-1 belongs to another user',
    });
    expect(seen).toEqual([]);
  });

  it('answers 404 for a device nobody registered and for an unfinished registration', async () => {
    // Prepare
    const { handler, seen } = deviceFunction();

    // Act
    const unknown = await handler(request('nobody-s-device', ALICE), lambdaContext());
    const pending = await handler(request('alice-pending', ALICE), lambdaContext());

    // Assess
    expect(unknown.statusCode).toBe(404);
    expect(problemOf(unknown).detail).toBe('No device nobody-s-device is registered');
    expect(pending.statusCode).toBe(404);
    expect(seen).toEqual([]);
  });

  it('answers 400 naming a malformed device id and a bad body', async () => {
    // Prepare
    const { handler } = deviceFunction();

    // Act
    const malformed = await handler(request('no spaces/allowed', ALICE), lambdaContext());
    const badBody = await handler(request('alice-1', ALICE, { body: { value: 'seven' } }), lambdaContext());

    // Assess
    expect(malformed.statusCode).toBe(400);
    expect(problemOf(malformed).errors?.[0]?.path).toBe('path.deviceId');
    expect(badBody.statusCode).toBe(400);
    expect(problemOf(badBody).errors?.[0]?.path).toBe('body.value');
  });

  it('answers problem details with the request id: domain errors as mapped, anything else a 500 that tells nothing', async () => {
    // Prepare
    const { handler } = deviceFunction();
    const domainRequest = request('alice-1', ALICE, { query: { fail: 'domain' } });
    const bugRequest = request('alice-1', ALICE, { query: { fail: 'bug' } });

    // Act
    const domain = await handler(domainRequest, lambdaContext());
    const bug = await handler(bugRequest, lambdaContext());

    // Assess
    expect(domain.statusCode).toBe(429);
    expect(domain.headers?.['content-type']).toBe('application/problem+json');
    expect(problemOf(domain)).toMatchObject({ status: 429, instance: domainRequest.requestContext.requestId });
    expect(bug.statusCode).toBe(500);
    expect(problemOf(bug)).toEqual({
      type: 'https://iot-backend.dev/problems/internal-server-error',
      title: 'Internal Server Error',
      status: 500,
      detail: 'The request could not be completed.',
      instance: bugRequest.requestContext.requestId,
    });
    expect(bug.body).not.toContain('ghost-table');
  });

  it('adds the CORS headers of the configured origin to answers and refusals alike', async () => {
    // Prepare
    const { handler } = deviceFunction(ORIGIN);

    // Act
    const ok = await handler(request('alice-1', ALICE), lambdaContext());
    const forbidden = await handler(request('bob-1', ALICE), lambdaContext());
    const unauthorized = await handler(request('alice-1', undefined), lambdaContext());

    // Assess
    for (const response of [ok, forbidden, unauthorized]) {
      expect(response.headers).toMatchObject({
        'access-control-allow-origin': ORIGIN,
        vary: 'Origin',
        'access-control-expose-headers': 'ETag, Location, Retry-After, Idempotent-Replayed',
      });
    }
    expect([ok.statusCode, forbidden.statusCode, unauthorized.statusCode]).toEqual([200, 403, 401]);
  });

  it('names no allowed origin when the function has none configured', async () => {
    // Prepare
    const { handler } = deviceFunction(null);

    // Act
    const response = await handler(request('alice-1', ALICE, { body: { value: 2 } }), lambdaContext());

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['access-control-allow-origin']).toBeUndefined();
  });
});

describe('httpRoute', () => {
  const fleetFunction = httpRoute(httpRouteDependencies(config('*')), async (event) => {
    if (event.queryStringParameters?.fail) throw new HttpProblem(409, 'Conflict', 'already done');
    return json(200, { path: event.path });
  });
  const get = (query?: Record<string, string>) =>
    fleetFunction(
      apiGatewayProxyEvent({ method: 'GET', resource: '/fleet/x', ...(query ? { query } : {}) }),
      lambdaContext(),
    );

  it('serves any caller, with the CORS headers on answers and on problem details', async () => {
    // Act
    const ok = await get();
    const conflict = await get({ fail: '1' });

    // Assess
    expect(ok.statusCode).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ path: '/fleet/x' });
    expect(conflict.statusCode).toBe(409);
    expect(problemOf(conflict)).toMatchObject({ title: 'Conflict', status: 409, detail: 'already done' });
    for (const response of [ok, conflict]) expect(response.headers?.['access-control-allow-origin']).toBe('*');
  });
});
