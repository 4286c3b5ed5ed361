import { apiGatewayProxyEvent, lambdaContext } from '@iot/testing';
import { ProblemDetailsSchema } from '@iot/types';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import { createLogger, HttpProblem, json, parseJsonBody, parseQuery, problemDetails } from '../src';

class ThingMissingError extends Error {}

const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(
    problemDetails({
      logger: createLogger('test'),
      mapError: (error) =>
        error instanceof ThingMissingError ? new HttpProblem(404, 'Not Found', 'no such thing') : undefined,
    }),
  )
  .handler(async (event) => {
    const query = parseQuery(z.object({ fail: z.enum(['missing', 'crash']).optional() }), event);
    if (query.fail === 'missing') throw new ThingMissingError();
    if (query.fail === 'crash') throw new Error('password=hunter2');
    return json(201, parseJsonBody(z.object({ name: z.string() }), event));
  });

const call = (body: unknown, query?: Record<string, string>) =>
  handler(
    apiGatewayProxyEvent({ method: 'POST', resource: '/things', body, ...(query ? { query } : {}) }),
    lambdaContext(),
  );

describe('problem details', () => {
  it('passes a good request through', async () => {
    // Act
    const response = await call({ name: 'x' });

    // Assess
    expect(response).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'application/json' },
      body: '{"name":"x"}',
    });
  });

  it('answers a bad body with a 400 naming the field', async () => {
    // Act
    const response = await call({ name: 7 });

    // Assess
    expect(response.statusCode).toBe(400);
    const problem = ProblemDetailsSchema.parse(JSON.parse(response.body));
    expect(problem.errors).toEqual([{ path: 'body.name', message: expect.stringContaining('string') }]);
    expect(problem.instance).toBeDefined();
  });

  it('maps a domain error to the status the service chose', async () => {
    // Act
    const response = await call({ name: 'x' }, { fail: 'missing' });

    // Assess
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body)).toMatchObject({ title: 'Not Found', detail: 'no such thing' });
  });

  it('answers anything else with a 500 that leaks nothing', async () => {
    // Act
    const response = await call({ name: 'x' }, { fail: 'crash' });

    // Assess
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('hunter2');
  });

  it('names a bad query parameter', async () => {
    // Act
    const response = await call({ name: 'x' }, { fail: 'sometimes' });

    // Assess
    expect(JSON.parse(response.body).errors[0].path).toBe('query.fail');
  });
});
