import { apiGatewayProxyEvent, lambdaContext } from '@iot/testing';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import {
  callerOf,
  cors,
  createLogger,
  FLEET_OPERATORS_GROUP,
  HttpProblem,
  json,
  parseJsonBody,
  problemDetails,
  requireGroup,
} from '../src';

const handlerFor = (origin: string) =>
  middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(cors({ origin }))
    .use(problemDetails({ logger: createLogger('test') }))
    .handler(async (event) => {
      if (event.queryStringParameters?.fail) throw new HttpProblem(409, 'Conflict');
      return json(200, { ok: true });
    });

const get = (origin: string, headers: Record<string, string> = {}, query?: Record<string, string>) =>
  handlerFor(origin)(
    apiGatewayProxyEvent({ method: 'GET', resource: '/x', headers, ...(query ? { query } : {}) }),
    lambdaContext(),
  );

describe('cors', () => {
  it('names the one allowed origin on answers and on errors', async () => {
    // Act
    const ok = await get('https://dash.example.com');
    const failed = await get('https://dash.example.com', {}, { fail: '1' });

    // Assess
    for (const response of [ok, failed]) {
      expect(response.headers).toMatchObject({
        'access-control-allow-origin': 'https://dash.example.com',
        vary: 'Origin',
        'access-control-expose-headers': 'ETag, Location, Retry-After, Idempotent-Replayed',
      });
    }
    expect(failed.statusCode).toBe(409);
  });

  it('echoes the request origin when it is one of several, and names none otherwise', async () => {
    // Act
    const listed = await get('https://a.example.com, https://b.example.com', { Origin: 'https://b.example.com' });
    const other = await get('https://a.example.com, https://b.example.com', { Origin: 'https://evil.example.com' });

    // Assess
    expect(listed.headers?.['access-control-allow-origin']).toBe('https://b.example.com');
    expect(other.headers?.['access-control-allow-origin']).toBeUndefined();
  });
});

describe('callerOf', () => {
  it.each([
    ['comma-separated, as REST APIs hand it on', 'fleet-operators,admins'],
    ['bracketed and space-separated, as HTTP APIs do', '[fleet-operators admins]'],
  ])('reads the user pool groups %s', (_, claim) => {
    // Prepare
    const event = apiGatewayProxyEvent({
      method: 'GET',
      resource: '/x',
      claims: { sub: 'u-1', 'cognito:groups': claim },
    });

    // Act
    const caller = callerOf(event);

    // Assess
    expect(caller.groups).toEqual(['fleet-operators', 'admins']);
  });

  it('lets a member of a group through requireGroup and refuses anyone else with a 403 naming the group', () => {
    // Prepare
    const member = callerOf(
      apiGatewayProxyEvent({
        method: 'GET',
        resource: '/x',
        claims: { sub: 'u-1', 'cognito:groups': FLEET_OPERATORS_GROUP },
      }),
    );
    const other = callerOf(apiGatewayProxyEvent({ method: 'GET', resource: '/x', claims: { sub: 'u-2' } }));

    // Act
    const refusal = (() => {
      try {
        requireGroup(other, FLEET_OPERATORS_GROUP, 'Changing the fleet');
        return undefined;
      } catch (error) {
        return error as HttpProblem;
      }
    })();

    // Assess
    expect(() => requireGroup(member, FLEET_OPERATORS_GROUP, 'Changing the fleet')).not.toThrow();
    expect({ status: refusal?.status, detail: refusal?.detail }).toEqual({
      status: 403,
      detail: 'Changing the fleet is for members of the fleet-operators group only',
    });
  });

  it('reads the user from the claims of the Cognito authorizer', () => {
    // Prepare
    const event = apiGatewayProxyEvent({ method: 'GET', resource: '/x' });
    event.requestContext.authorizer = { claims: { sub: 'u-1', 'cognito:username': 'alice', email: 'a@example.com' } };

    // Act
    const caller = callerOf(event);

    // Assess
    expect(caller).toEqual({ userId: 'u-1', username: 'alice', email: 'a@example.com', groups: [] });
  });

  it('refuses a request without claims with a 401', () => {
    // Act
    const reading = () => callerOf(apiGatewayProxyEvent({ method: 'GET', resource: '/x' }));

    // Assess
    expect(reading).toThrow(expect.objectContaining({ status: 401 }));
  });
});

describe('parseJsonBody with maxBytes', () => {
  it('refuses a larger body with a 413 before parsing it', () => {
    // Prepare
    const event = apiGatewayProxyEvent({ method: 'POST', resource: '/x', body: `{"a":"${'x'.repeat(100)}"}` });

    // Act
    const parsing = () => parseJsonBody(z.object({ a: z.string() }), event, { maxBytes: 64 });

    // Assess
    expect(parsing).toThrow(expect.objectContaining({ status: 413 }));
  });
});

describe('problemDetails with AWS throttling', () => {
  it('answers a throttled AWS call with a 429 and Retry-After', async () => {
    // Prepare
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
      .use(problemDetails({ logger: createLogger('test') }))
      .handler(async () => {
        throw throttled;
      });

    // Act
    const response = await handler(apiGatewayProxyEvent({ method: 'GET', resource: '/x' }), lambdaContext());

    // Assess
    expect(response.statusCode).toBe(429);
    expect(response.headers?.['retry-after']).toBe('1');
    expect(JSON.parse(response.body)).toMatchObject({
      status: 429,
      type: 'https://iot-backend.dev/problems/too-many-requests',
    });
  });
});
