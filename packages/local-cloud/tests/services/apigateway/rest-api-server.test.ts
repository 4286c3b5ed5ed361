import {
  type AuthorizeStrategy,
  MAX_REQUEST_PAYLOAD_BYTES,
  RestApiRegistry,
  type RestApiServer,
  startRestApiServer,
} from '../../../src/services/apigateway';
import {
  ensurePath,
  functionArn,
  proxyIntegration,
  RecordingInvoker,
  RecordingLogger,
  rawRequest,
  route,
} from './support';

/** The OPTIONS method serverless writes for `cors: true`, resolved. */
const corsPreflight = (allowMethods: string) => ({
  Type: 'MOCK',
  RequestTemplates: { 'application/json': '{statusCode:200}' },
  ContentHandling: 'CONVERT_TO_TEXT',
  IntegrationResponses: [
    {
      StatusCode: '200',
      ResponseParameters: {
        'method.response.header.Access-Control-Allow-Origin': "'*'",
        'method.response.header.Access-Control-Allow-Headers':
          "'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Amz-User-Agent,X-Amzn-Trace-Id'",
        'method.response.header.Access-Control-Allow-Methods': `'${allowMethods}'`,
      },
      ResponseTemplates: { 'application/json': '' },
    },
  ],
});

describe('REST API server', () => {
  let registry: RestApiRegistry;
  let invoker: RecordingInvoker;
  let logger: RecordingLogger;
  let server: RestApiServer;
  let api: { id: string; rootResourceId: string };

  const start = async (options: { authorize?: AuthorizeStrategy } = {}) => {
    server = await startRestApiServer({ registry, invoker, logger, port: 0, ...options });
  };
  const deploy = (stageName = 'local', variables?: Record<string, string>) =>
    registry.createDeployment({ RestApiId: api.id, StageName: stageName, StageDescription: { Variables: variables } });
  const at = (path: string) => `${server.stageUrl('local')}${path}`;

  beforeEach(async () => {
    registry = new RestApiRegistry();
    invoker = new RecordingInvoker();
    logger = new RecordingLogger();
    api = registry.createRestApi('api0000001', {
      Name: 'local-iot-device-config-api',
      BinaryMediaTypes: ['application/octet-stream', 'image/*'],
    });
  });

  afterEach(async () => {
    await server?.close();
  });

  describe('the proxy event', () => {
    it('carries path parameters as sent, and the query string decoded with every value of a repeated name', async () => {
      // Prepare
      route(registry, api, 'GET', '/devices/{deviceId}/config', { Integration: proxyIntegration('getConfig') });
      deploy();
      await start();

      // Act
      const response = await fetch(at('/devices/sensor%40home/config?tag=a&tag=b&q=a%2Bb+c&flag'));

      // Assess
      expect(response.status).toBe(200);
      const event = invoker.lastEvent();
      expect(invoker.calls[0]).toMatchObject({ functionArn: functionArn('getConfig'), type: 'RequestResponse' });
      expect(event).toMatchObject({
        resource: '/devices/{deviceId}/config',
        path: '/devices/sensor%40home/config',
        httpMethod: 'GET',
        pathParameters: { deviceId: 'sensor%40home' },
        queryStringParameters: { tag: 'b', q: 'a+b c', flag: '' },
        multiValueQueryStringParameters: { tag: ['a', 'b'], q: ['a+b c'], flag: [''] },
        stageVariables: null,
        body: null,
        isBase64Encoded: false,
      });
    });

    it('has null query, path parameters and stage variables when there are none', async () => {
      // Prepare
      route(registry, api, 'GET', '/devices', { Integration: proxyIntegration('listDevices') });
      deploy();
      await start();

      // Act
      await fetch(at('/devices'));

      // Assess
      expect(invoker.lastEvent()).toMatchObject({
        queryStringParameters: null,
        multiValueQueryStringParameters: null,
        pathParameters: null,
        stageVariables: null,
      });
    });

    it('fills the request context as API Gateway does', async () => {
      // Prepare
      const resourceId = route(registry, api, 'POST', '/devices/{deviceId}/config', {
        Integration: proxyIntegration('putConfig'),
      });
      const { id: deploymentId } = deploy();
      await start();

      // Act
      const response = await fetch(at('/devices/d-1/config'), {
        method: 'POST',
        headers: { 'user-agent': 'iot-app/1.0', 'content-type': 'application/json' },
        body: '{"sampleRateSeconds":30}',
      });

      // Assess
      const { requestContext, body } = invoker.lastEvent();
      expect(body).toBe('{"sampleRateSeconds":30}');
      expect(requestContext).toMatchObject({
        accountId: '000000000000',
        apiId: api.id,
        resourceId,
        resourcePath: '/devices/{deviceId}/config',
        httpMethod: 'POST',
        path: '/local/devices/d-1/config',
        stage: 'local',
        deploymentId,
        requestId: response.headers.get('x-amzn-requestid'),
        protocol: 'HTTP/1.1',
        domainName: new URL(server.url).host,
        identity: { sourceIp: '127.0.0.1', userAgent: 'iot-app/1.0', cognitoIdentityId: null, user: null },
      });
      expect(requestContext.requestTimeEpoch).toBeGreaterThan(Date.now() - 60_000);
      expect(requestContext.requestTime).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
      expect(requestContext).not.toHaveProperty('authorizer');
    });

    it('keeps the last value of a repeated header in headers and all of them in multiValueHeaders', async () => {
      // Prepare
      route(registry, api, 'GET', '/devices', { Integration: proxyIntegration('listDevices') });
      deploy();
      await start();

      // Act
      await rawRequest(at('/devices'), {
        headers: [
          'X-Device-Tag',
          'kitchen',
          'X-Device-Tag',
          'garage',
          'authorization',
          'Bearer t0k3n',
          'Connection',
          'close',
        ],
      });

      // Assess
      const { headers, multiValueHeaders } = invoker.lastEvent();
      expect(headers['X-Device-Tag']).toBe('garage');
      expect(multiValueHeaders['X-Device-Tag']).toEqual(['kitchen', 'garage']);
      expect(headers.Authorization).toBe('Bearer t0k3n');
      expect(headers['X-Forwarded-For']).toBe('127.0.0.1');
      expect(headers['X-Forwarded-Proto']).toBe('http');
      expect(headers['X-Amzn-Trace-Id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
      expect(headers).not.toHaveProperty('Connection');
    });

    it('base64-encodes a body whose Content-Type is a binary media type, and passes text as text', async () => {
      // Prepare
      route(registry, api, 'POST', '/devices/{deviceId}/files/{proxy+}', { Integration: proxyIntegration('files') });
      deploy();
      await start();
      const firmware = Buffer.from([0x00, 0xff, 0x10, 0x80, 0xfe]);

      // Act
      await fetch(at('/devices/d-1/files/firmware/v2.bin'), {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: firmware,
      });
      const binaryEvent = invoker.lastEvent();
      await fetch(at('/devices/d-1/files/notes.txt'), {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: 'température',
      });
      const textEvent = invoker.lastEvent();

      // Assess
      expect(binaryEvent).toMatchObject({ isBase64Encoded: true, body: firmware.toString('base64') });
      expect(binaryEvent.pathParameters).toEqual({ deviceId: 'd-1', proxy: 'firmware/v2.bin' });
      expect(textEvent).toMatchObject({ isBase64Encoded: false, body: 'température' });
    });

    it('passes stage variables, and lets them choose the function', async () => {
      // Prepare
      route(registry, api, 'GET', '/devices', {
        Integration: proxyIntegration('x', {
          Uri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:${stageVariables.listFunction}/invocations',
        }),
      });
      deploy('local', { listFunction: 'listDevicesV2' });
      await start();

      // Act
      await fetch(at('/devices'));

      // Assess
      expect(invoker.calls[0]?.functionArn).toBe(functionArn('listDevicesV2'));
      expect(invoker.lastEvent().stageVariables).toEqual({ listFunction: 'listDevicesV2' });
    });
  });

  describe('the proxy response', () => {
    it('gives the status, headers, multi-value headers and body the function returned', async () => {
      // Prepare
      route(registry, api, 'PUT', '/devices/{deviceId}/config', { Integration: proxyIntegration('putConfig') });
      invoker.answer('putConfig', () => ({
        ok: true,
        payload: {
          statusCode: 202,
          headers: { 'Access-Control-Allow-Origin': '*', 'X-Cache': true },
          multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] },
          body: '{"accepted":true}',
        },
      }));
      deploy();
      await start();

      // Act
      const response = await fetch(at('/devices/d-1/config'), { method: 'PUT', body: '{}' });

      // Assess
      expect(response.status).toBe(202);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('x-cache')).toBe('true');
      expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(response.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
      expect(await response.json()).toEqual({ accepted: true });
    });

    it('sends a base64 body as bytes when the first Accept type is binary, and as base64 text otherwise', async () => {
      // Prepare
      const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]);
      route(registry, api, 'GET', '/devices/{deviceId}/files/{proxy+}', { Integration: proxyIntegration('files') });
      invoker.answer('files', () => ({
        ok: true,
        payload: {
          statusCode: 200,
          headers: { 'Content-Type': 'image/png' },
          body: png.toString('base64'),
          isBase64Encoded: true,
        },
      }));
      deploy();
      await start();

      // Act
      const binary = await fetch(at('/devices/d-1/files/photo.png'), { headers: { accept: 'image/png, */*' } });
      const text = await fetch(at('/devices/d-1/files/photo.png'), { headers: { accept: 'application/json' } });

      // Assess
      expect(Buffer.from(await binary.arrayBuffer())).toEqual(png);
      expect(await text.text()).toBe(png.toString('base64'));
    });

    it.each([
      ['a body that is not a string', { statusCode: 200, body: { hello: 'world' } }],
      ['a field API Gateway does not know', { statusCode: 200, body: '{}', cookies: ['a=1'] }],
      ['a status code that is not a number', { statusCode: 'OK', body: '{}' }],
      ['a header value that is a number', { statusCode: 200, headers: { 'X-Count': 3 }, body: '{}' }],
      ['something that is not an object', 'hello'],
    ])('answers 502 Internal server error to %s', async (_, payload) => {
      // Prepare
      route(registry, api, 'GET', '/devices', { Integration: proxyIntegration('listDevices') });
      invoker.answer('listDevices', () => ({ ok: true, payload }));
      deploy();
      await start();

      // Act
      const response = await fetch(at('/devices'));

      // Assess
      expect(response.status).toBe(502);
      expect(response.headers.get('x-amzn-errortype')).toBe('InternalServerErrorException');
      expect(await response.json()).toEqual({ message: 'Internal server error' });
      expect(logger.warnings[0]?.message).toMatch(/Malformed Lambda proxy response/);
    });

    it('answers 200 with an empty body to a function that returns an empty object', async () => {
      // Prepare
      route(registry, api, 'GET', '/devices', { Integration: proxyIntegration('listDevices') });
      invoker.answer('listDevices', () => ({ ok: true, payload: {} }));
      deploy();
      await start();

      // Act
      const response = await fetch(at('/devices'));

      // Assess
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('');
    });

    it('answers 502 Internal server error when the function fails', async () => {
      // Prepare
      route(registry, api, 'GET', '/devices', { Integration: proxyIntegration('listDevices') });
      invoker.answer('listDevices', () => ({
        ok: false,
        functionError: 'Unhandled',
        error: { errorType: 'TypeError', errorMessage: "Cannot read properties of undefined (reading 'id')" },
      }));
      deploy();
      await start();

      // Act
      const response = await fetch(at('/devices'));

      // Assess
      expect(response.status).toBe(502);
      expect(await response.json()).toEqual({ message: 'Internal server error' });
      expect(logger.warnings[0]).toMatchObject({ details: { errorType: 'TypeError' } });
    });

    it('answers 504 when the function outlasts the integration timeout', async () => {
      // Prepare
      route(registry, api, 'GET', '/devices', {
        Integration: proxyIntegration('listDevices', { TimeoutInMillis: 50 }),
      });
      invoker.answer(
        'listDevices',
        () => new Promise((resolve) => setTimeout(() => resolve({ ok: true, payload: { statusCode: 200 } }), 300)),
      );
      deploy();
      await start();

      // Act
      const response = await fetch(at('/devices'));

      // Assess
      expect(response.status).toBe(504);
      expect(await response.json()).toEqual({ message: 'Endpoint request timed out' });
    });

    it('answers 500 when the function cannot be invoked at all', async () => {
      // Prepare
      route(registry, api, 'GET', '/devices', { Integration: proxyIntegration('listDevices') });
      invoker.answer('listDevices', () => Promise.reject(new Error('Function not found')));
      deploy();
      await start();

      // Act
      const response = await fetch(at('/devices'));

      // Assess
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ message: 'Internal server error' });
    });
  });

  describe('routing', () => {
    it('answers 403 Missing Authentication Token to an unknown path and to a known path with an unknown method', async () => {
      // Prepare
      route(registry, api, 'GET', '/devices', { Integration: proxyIntegration('listDevices') });
      deploy();
      await start();

      // Act
      const unknownPath = await fetch(at('/gadgets'));
      const unknownMethod = await fetch(at('/devices'), { method: 'DELETE' });

      // Assess
      for (const response of [unknownPath, unknownMethod]) {
        expect(response.status).toBe(403);
        expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
        expect(await response.json()).toEqual({ message: 'Missing Authentication Token' });
      }
      expect(invoker.calls).toHaveLength(0);
    });

    it('answers 403 Forbidden to a stage that is not deployed', async () => {
      // Prepare
      route(registry, api, 'GET', '/devices', { Integration: proxyIntegration('listDevices') });
      deploy();
      await start();

      // Act
      const response = await fetch(`${server.url}/prod/devices`);

      // Assess
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ message: 'Forbidden' });
    });

    it('prefers a literal part to a {param}, and a {param} to a {proxy+}', async () => {
      // Prepare
      route(registry, api, 'GET', '/devices/mine', { Integration: proxyIntegration('mine') });
      route(registry, api, 'GET', '/devices/{deviceId}', { Integration: proxyIntegration('oneDevice') });
      route(registry, api, 'ANY', '/{proxy+}', { Integration: proxyIntegration('catchAll') });
      deploy();
      await start();

      // Act
      await fetch(at('/devices/mine'));
      await fetch(at('/devices/d-7/'));
      await fetch(at('/devices/d-7/history'));
      await fetch(at('/devices/mine'), { method: 'POST', body: '{}' });

      // Assess
      expect(invoker.calls.map((call) => [call.functionArn, call.event.pathParameters])).toEqual([
        [functionArn('mine'), null],
        [functionArn('oneDevice'), { deviceId: 'd-7' }],
        [functionArn('catchAll'), { proxy: 'devices/d-7/history' }],
        [functionArn('catchAll'), { proxy: 'devices/mine' }],
      ]);
    });

    it('prefers an explicit method to ANY on the same resource', async () => {
      // Prepare
      route(registry, api, 'ANY', '/devices', { Integration: proxyIntegration('anyDevices') });
      route(registry, api, 'GET', '/devices', { Integration: proxyIntegration('listDevices') });
      deploy();
      await start();

      // Act
      await fetch(at('/devices'));
      await fetch(at('/devices'), { method: 'PATCH', body: '{}' });

      // Assess
      expect(invoker.calls.map((call) => [call.functionArn, call.event.httpMethod])).toEqual([
        [functionArn('listDevices'), 'GET'],
        [functionArn('anyDevices'), 'PATCH'],
      ]);
    });

    it('serves routes attached by two stacks to one API once each has deployed', async () => {
      // Prepare: the owning stack exports the id of /devices/{deviceId}; the other stack attaches /metrics under it.
      const deviceResourceId = ensurePath(registry, api.id, api.rootResourceId, '/devices/{deviceId}');
      route(registry, api, 'PUT', '/devices/{deviceId}/config', { Integration: proxyIntegration('putConfig') });
      deploy();
      await start();
      registry.createResource('metrics001', { RestApiId: api.id, ParentId: deviceResourceId, PathPart: 'metrics' });
      registry.putMethod({
        RestApiId: api.id,
        ResourceId: 'metrics001',
        HttpMethod: 'GET',
        AuthorizationType: 'NONE',
        Integration: proxyIntegration('getMetrics'),
      });

      // Act
      const beforeSecondDeployment = await fetch(at('/devices/d-1/metrics'));
      deploy();
      const afterSecondDeployment = await fetch(at('/devices/d-1/metrics'));
      const firstStackRoute = await fetch(at('/devices/d-1/config'), { method: 'PUT', body: '{}' });

      // Assess
      expect(beforeSecondDeployment.status).toBe(403);
      expect(afterSecondDeployment.status).toBe(200);
      expect(firstStackRoute.status).toBe(200);
      expect(invoker.calls.map((call) => call.functionArn)).toEqual([
        functionArn('getMetrics'),
        functionArn('putConfig'),
      ]);
    });

    it('answers for the API the Host header names when two APIs deploy the same stage name', async () => {
      // Prepare
      route(registry, api, 'GET', '/devices', { Integration: proxyIntegration('listDevices') });
      deploy();
      const other = registry.createRestApi('otherapi01', { Name: 'other' });
      route(registry, other, 'GET', '/devices', { Integration: proxyIntegration('otherDevices') });
      registry.createDeployment({ RestApiId: other.id, StageName: 'local' });
      await start();

      // Act
      await rawRequest(at('/devices'), { headers: ['Host', `otherapi01.execute-api.localhost:${server.port}`] });
      await rawRequest(at('/devices'));

      // Assess
      expect(invoker.calls.map((call) => call.functionArn)).toEqual([
        functionArn('otherDevices'),
        functionArn('listDevices'),
      ]);
    });
  });

  describe('MOCK integrations', () => {
    it('answers a CORS preflight with the headers of the integration response, quotes stripped', async () => {
      // Prepare
      route(registry, api, 'PUT', '/devices/{deviceId}/config', { Integration: proxyIntegration('putConfig') });
      route(registry, api, 'OPTIONS', '/devices/{deviceId}/config', { Integration: corsPreflight('OPTIONS,PUT') });
      deploy();
      await start();

      // Act
      const response = await fetch(at('/devices/d-1/config'), {
        method: 'OPTIONS',
        headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'PUT' },
      });

      // Assess
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('access-control-allow-methods')).toBe('OPTIONS,PUT');
      expect(response.headers.get('access-control-allow-headers')).toContain('Authorization');
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.text()).toBe('');
      expect(invoker.calls).toHaveLength(0);
    });
  });

  describe('limits', () => {
    it(`answers 413 to a body over ${MAX_REQUEST_PAYLOAD_BYTES} bytes without calling the function`, async () => {
      // Prepare
      route(registry, api, 'POST', '/devices', { Integration: proxyIntegration('createDevice') });
      deploy();
      await start();

      // Act
      const response = await fetch(at('/devices'), {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.alloc(MAX_REQUEST_PAYLOAD_BYTES + 1),
      });

      // Assess
      expect(response.status).toBe(413);
      expect(await response.text()).toBe('HTTP content length exceeded 10485760 bytes.');
      expect(invoker.calls).toHaveLength(0);
    });
  });

  describe('authorization', () => {
    const withAuthorizer = () => {
      registry.createAuthorizer('authz00001', {
        RestApiId: api.id,
        Name: 'app-users',
        Type: 'COGNITO_USER_POOLS',
        IdentitySource: 'method.request.header.Authorization',
        ProviderARNs: ['arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_local'],
      });
      route(registry, api, 'GET', '/devices', {
        AuthorizationType: 'COGNITO_USER_POOLS',
        AuthorizerId: 'authz00001',
        Integration: proxyIntegration('listDevices'),
      });
      deploy();
    };

    it('lets every request through with no claims unless given a strategy', async () => {
      // Prepare
      withAuthorizer();
      await start();

      // Act
      const response = await fetch(at('/devices'));

      // Assess
      expect(response.status).toBe(200);
      expect(invoker.lastEvent().requestContext).not.toHaveProperty('authorizer');
    });

    it('answers as the strategy decides and hands its claims to the function', async () => {
      // Prepare
      withAuthorizer();
      const seen: Array<{ authorization?: string; authorizer: string }> = [];
      await start({
        authorize: (request, authorizer) => {
          seen.push({ authorization: request.headers.authorization, authorizer: authorizer.id });
          return request.headers.authorization === 'valid'
            ? { allow: true, authorizerContext: { claims: { sub: 'user-1', email: 'a@example.com' } } }
            : { allow: false, statusCode: 401 };
        },
      });

      // Act
      const refused = await fetch(at('/devices'));
      const allowed = await fetch(at('/devices'), { headers: { authorization: 'valid' } });

      // Assess
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({ message: 'Unauthorized' });
      expect(allowed.status).toBe(200);
      expect(invoker.calls).toHaveLength(1);
      expect(invoker.lastEvent().requestContext.authorizer).toEqual({
        claims: { sub: 'user-1', email: 'a@example.com' },
      });
      expect(seen).toEqual([
        { authorization: undefined, authorizer: 'authz00001' },
        { authorization: 'valid', authorizer: 'authz00001' },
      ]);
    });
  });

  describe('gateway responses and request validation', () => {
    it('adds the headers of a DEFAULT_4XX gateway response to the errors it gives', async () => {
      // Prepare
      route(registry, api, 'GET', '/devices', { Integration: proxyIntegration('listDevices') });
      registry.putGatewayResponse({
        RestApiId: api.id,
        ResponseType: 'DEFAULT_4XX',
        ResponseParameters: { 'gatewayresponse.header.Access-Control-Allow-Origin': "'*'" },
      });
      deploy();
      await start();

      // Act
      const response = await fetch(at('/nowhere'));

      // Assess
      expect(response.status).toBe(403);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(await response.json()).toEqual({ message: 'Missing Authentication Token' });
    });

    it('answers 400 when a validator requires a request parameter that is missing', async () => {
      // Prepare
      registry.createRequestValidator('valid00001', {
        RestApiId: api.id,
        ValidateRequestBody: true,
        ValidateRequestParameters: true,
      });
      route(registry, api, 'GET', '/devices', {
        RequestValidatorId: 'valid00001',
        RequestParameters: { 'method.request.querystring.owner': true, 'method.request.querystring.page': false },
        Integration: proxyIntegration('listDevices'),
      });
      deploy();
      await start();

      // Act
      const missing = await fetch(at('/devices?page=2'));
      const present = await fetch(at('/devices?owner=me'));

      // Assess
      expect(missing.status).toBe(400);
      expect(await missing.json()).toEqual({ message: 'Missing required request parameters: [owner]' });
      expect(present.status).toBe(200);
    });
  });
});
