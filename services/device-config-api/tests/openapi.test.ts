/**
 * The OpenAPI 3.1 document of the whole REST API: served by GET /openapi.json, valid by a standard validator, and in
 * step with the http events of every service's serverless.yml (the route list lives once, in @iot/types).
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseServerlessYml } from '@iot/testing';
import { API_ROUTES, type ApiService, buildOpenApiDocument } from '@iot/types';
import { createGetOpenApiHandler } from '../src/handlers/get-openapi';
import { adapters, bodyOf, call, fixture, request, SERVICE_DIR, startTables } from './support';

const SERVICES_DIR = join(SERVICE_DIR, '..');

/** @apidevtools/swagger-parser's verdict on a document (in a Node process of its own, see validate-openapi.mjs). */
function validateOpenApi(document: unknown): Promise<{ valid: boolean; openapi?: string; message?: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [join(__dirname, 'validate-openapi.mjs')],
      { cwd: SERVICE_DIR },
      (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout))),
    );
    child.stdin?.end(JSON.stringify(document));
  });
}

type HttpEvent = { method: string; path: string; authorizer?: { type?: string; authorizerId?: unknown } | string };

/** The http events of a service's serverless.yml, with `${self:custom.x}` references to custom values resolved. */
function httpEvents(service: string): HttpEvent[] {
  const yml = parseServerlessYml(readFileSync(join(SERVICES_DIR, service, 'serverless.yml'), 'utf8')) as ReturnType<
    typeof parseServerlessYml
  > & { custom?: Record<string, unknown> };
  const resolve = (value: unknown) => {
    const reference = typeof value === 'string' ? /^\$\{self:custom\.([\w.]+)\}$/.exec(value)?.[1] : undefined;
    return reference
      ? reference.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)?.[k], yml.custom)
      : value;
  };
  return Object.values(yml.functions ?? {}).flatMap((fn) =>
    // A function's events may be a variable (iot-alerting's stream evaluation, whose events depend on a param): no
    // http event can come from one.
    (Array.isArray(fn.events) ? (fn.events as Array<{ http?: HttpEvent }>) : [])
      .filter((event) => event.http)
      .map(({ http }) => ({
        ...(http as HttpEvent),
        authorizer: resolve(http?.authorizer) as HttpEvent['authorizer'],
      })),
  );
}

const SERVICE_OF_DIRECTORY: Record<string, ApiService> = {
  'device-config-api': 'device-config-api',
  alerting: 'alerting',
  'telemetry-analytics': 'telemetry-analytics',
};

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document (@apidevtools/swagger-parser)', async () => {
    // Prepare
    const document = buildOpenApiDocument({ serverUrl: 'https://api.example.com/dev' });

    // Act
    const verdict = await validateOpenApi(document);

    // Assess
    expect(verdict).toEqual({ valid: true, openapi: '3.1.0' });
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/devices', '/devices/{deviceId}/config']));
  });

  it('is found invalid when it is not (the validator is really consulted)', async () => {
    // Prepare
    const document = buildOpenApiDocument();
    (document.paths['/devices'] as Record<string, Record<string, unknown>>).get = { responses: 'none' };

    // Act
    const verdict = await validateOpenApi(document);

    // Assess
    expect(verdict.valid).toBe(false);
  });

  it('documents every route of the list, secured by the Cognito scheme except itself', () => {
    // Act
    const document = buildOpenApiDocument();

    // Assess
    for (const route of API_ROUTES) {
      const operation = document.paths[route.path]?.[route.method] as { operationId: string; security: unknown[] };
      expect(operation.operationId).toBe(route.operationId);
      expect(operation.security).toEqual(route.path === '/openapi.json' ? [] : [{ cognito: [] }]);
    }
  });

  it.each(Object.keys(SERVICE_OF_DIRECTORY))('lists exactly the routes of services/%s/serverless.yml', (directory) => {
    // Prepare
    const declared = httpEvents(directory).map((e) => `${e.method.toUpperCase()} /${e.path.replace(/^\//, '')}`);

    // Act
    const listed = API_ROUTES.filter((route) => route.service === SERVICE_OF_DIRECTORY[directory]).map(
      (route) => `${route.method.toUpperCase()} ${route.path}`,
    );

    // Assess: a route added to one must be added to the other (packages/types/src/openapi.ts).
    expect(listed.sort()).toEqual(declared.sort());
  });

  it('knows every service that declares http routes', () => {
    // Act
    const withRoutes = readdirSync(SERVICES_DIR).filter((dir) => {
      try {
        return httpEvents(dir).length > 0;
      } catch {
        return false;
      }
    });

    // Assess
    expect(withRoutes.sort()).toEqual(Object.keys(SERVICE_OF_DIRECTORY).sort());
  });

  it('matches the authorizer of each route of this service to the document', () => {
    // Act
    const routes = httpEvents('device-config-api');

    // Assess
    for (const route of routes) {
      const authenticated = API_ROUTES.find(
        (r) => r.path === `/${route.path}` && r.method === route.method,
      )?.authenticated;
      if (authenticated) {
        expect(route.authorizer).toEqual({ type: 'COGNITO_USER_POOLS', authorizerId: { Ref: 'CognitoAuthorizer' } });
      } else {
        expect(route.authorizer).toBeUndefined();
      }
    }
  });
});

describe('GET /openapi.json', () => {
  it('serves the document without a token, with the server it was called through (fixture)', async () => {
    // Prepare
    const tables = await startTables();
    const handler = createGetOpenApiHandler(adapters(tables));

    // Act
    const response = await call(handler, fixture('get-openapi'));
    await tables.dynamo.stop();

    // Assess
    expect(response.statusCode).toBe(200);
    const document = bodyOf(response);
    expect(document.servers).toEqual([{ url: 'https://abc123defg.execute-api.us-east-1.amazonaws.com/local' }]);
    expect(await validateOpenApi(document)).toEqual({ valid: true, openapi: '3.1.0' });
  });

  it('names the local API as plain http', async () => {
    // Prepare
    const tables = await startTables();
    const handler = createGetOpenApiHandler(adapters(tables));
    const event = request(undefined, { method: 'GET', resource: '/openapi.json', headers: { Host: '127.0.0.1:3000' } });

    // Act
    const response = await call(handler, event);
    await tables.dynamo.stop();

    // Assess
    expect(bodyOf(response).servers).toEqual([{ url: 'http://127.0.0.1:3000/local' }]);
  });
});
