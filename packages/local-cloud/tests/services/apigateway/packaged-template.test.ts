import type { ResourceProvider } from '../../../src/cloudformation';
import {
  apiGatewayResourceProviders,
  lambdaArnFromIntegrationUri,
  RestApiRegistry,
  type RestApiServer,
  startRestApiServer,
} from '../../../src/services/apigateway';
import fixture from './fixtures/packaged-rest-api.json';
import { RecordingInvoker, RecordingLogger } from './support';

interface FixtureResource {
  logicalId: string;
  type: string;
  physicalId: string;
  properties: Record<string, unknown>;
}
const stacks = fixture.stacks as Array<{ stackName: string; resources: FixtureResource[] }>;

const ACCOUNT = '000000000000';
const lambdaArn = (functionName: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${functionName}`;
const resourceOf = (logicalId: string): FixtureResource => {
  const found = stacks.flatMap((stack) => stack.resources).find((r) => r.logicalId === logicalId);
  if (!found) throw new Error(`The fixture has no ${logicalId}`);
  return found;
};

/** Feeds the packaged stacks to the registry, in order, as the CloudFormation interpreter does. */
async function deployFixture(registry: RestApiRegistry) {
  const providers: Partial<Record<string, ResourceProvider>> = apiGatewayResourceProviders(registry);
  for (const stack of stacks) {
    for (const resource of stack.resources) {
      const provider = providers[resource.type];
      if (!provider) throw new Error(`No provider for ${resource.type}`);
      await provider.create({
        logicalId: resource.logicalId,
        type: resource.type,
        properties: structuredClone(resource.properties),
        stackName: stack.stackName,
        region: 'us-east-1',
        accountId: ACCOUNT,
        expected: {
          physicalId: resource.physicalId,
          attributes: resource.type === 'AWS::ApiGateway::RestApi' ? { RootResourceId: fixture.rootResourceId } : {},
        },
      });
    }
  }
}

describe('REST API deployed from packaged templates', () => {
  let registry: RestApiRegistry;
  let invoker: RecordingInvoker;
  let server: RestApiServer;
  const at = (path: string) => `${server.stageUrl('local')}${path}`;

  beforeEach(() => {
    registry = new RestApiRegistry(new RecordingLogger());
    invoker = new RecordingInvoker();
  });

  afterEach(async () => {
    await server?.close();
  });

  it('reads the function ARN out of the Method resource serverless packaged', () => {
    // Prepare
    const method = resourceOf('ApiGatewayMethodDevicesDeviceidVarConfigPut');

    // Act
    const functionArn = lambdaArnFromIntegrationUri((method.properties.Integration as { Uri: string }).Uri);

    // Assess
    expect(functionArn).toBe(lambdaArn('iot-device-config-api-local-putDeviceConfig'));
  });

  it('serves the routes of the owning stack and of the stack that attached to its API', async () => {
    // Prepare
    await deployFixture(registry);
    server = await startRestApiServer({ registry, invoker, logger: new RecordingLogger(), port: 0 });

    // Act
    const put = await fetch(at('/devices/d-1/config'), { method: 'PUT', body: '{"sampleRateSeconds":30}' });
    const metrics = await fetch(at('/devices/d-1/metrics?window=PT5M'));
    const files = await fetch(at('/devices/d-1/files/firmware/v2.bin'), {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from([1, 2, 3]),
    });

    // Assess
    expect([put.status, metrics.status, files.status]).toEqual([200, 200, 200]);
    expect(invoker.calls.map((call) => call.functionArn)).toEqual([
      lambdaArn('iot-device-config-api-local-putDeviceConfig'),
      lambdaArn('iot-telemetry-analytics-local-getDeviceMetrics'),
      lambdaArn('iot-device-config-api-local-deviceFiles'),
    ]);
    const [putEvent, metricsEvent, filesEvent] = invoker.calls.map((call) => call.event);
    expect(putEvent?.requestContext).toMatchObject({
      apiId: resourceOf('ApiGatewayRestApi').physicalId,
      resourceId: resourceOf('ApiGatewayResourceDevicesDeviceidVarConfig').physicalId,
      resourcePath: '/devices/{deviceId}/config',
    });
    expect(metricsEvent).toMatchObject({
      resource: '/devices/{deviceId}/metrics',
      pathParameters: { deviceId: 'd-1' },
      queryStringParameters: { window: 'PT5M' },
    });
    expect(filesEvent).toMatchObject({
      resource: '/devices/{deviceId}/files/{proxy+}',
      pathParameters: { deviceId: 'd-1', proxy: 'firmware/v2.bin' },
      isBase64Encoded: true,
      body: 'AQID',
    });
  });

  it('answers the CORS preflight serverless wrote for each stack', async () => {
    // Prepare
    await deployFixture(registry);
    server = await startRestApiServer({ registry, invoker, logger: new RecordingLogger(), port: 0 });

    // Act
    const config = await fetch(at('/devices/d-1/config'), { method: 'OPTIONS' });
    const metrics = await fetch(at('/devices/d-1/metrics'), { method: 'OPTIONS' });

    // Assess
    expect(config.status).toBe(200);
    expect(config.headers.get('access-control-allow-methods')).toBe('OPTIONS,GET,PUT');
    expect(metrics.headers.get('access-control-allow-methods')).toBe('OPTIONS,GET');
    expect(metrics.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('asks the authorize strategy about the Cognito-protected method, with the packaged authorizer', async () => {
    // Prepare
    await deployFixture(registry);
    const asked: unknown[] = [];
    server = await startRestApiServer({
      registry,
      invoker,
      logger: new RecordingLogger(),
      port: 0,
      authorize: (request, authorizer) => {
        asked.push({ resourcePath: request.resourcePath, authorizer });
        return request.headers.authorization ? { allow: true } : { allow: false, statusCode: 401 };
      },
    });

    // Act
    const anonymous = await fetch(at('/devices/d-1/config'));
    const signedIn = await fetch(at('/devices/d-1/config'), { headers: { authorization: 'Bearer id-token' } });
    const unprotected = await fetch(at('/devices/d-1/config'), { method: 'PUT', body: '{}' });

    // Assess
    expect([anonymous.status, signedIn.status, unprotected.status]).toEqual([401, 200, 200]);
    expect(asked).toEqual([
      {
        resourcePath: '/devices/{deviceId}/config',
        authorizer: {
          id: resourceOf('AppUserAuthorizer').physicalId,
          properties: resourceOf('AppUserAuthorizer').properties,
        },
      },
      expect.anything(),
    ]);
  });

  it('gives the same API when the templates are replayed, as on a restart', async () => {
    // Prepare
    await deployFixture(registry);

    // Act
    await deployFixture(registry);
    server = await startRestApiServer({ registry, invoker, logger: new RecordingLogger(), port: 0 });
    const metrics = await fetch(at('/devices/d-1/metrics'));

    // Assess
    expect(registry.listRestApis()).toEqual([
      {
        id: resourceOf('ApiGatewayRestApi').physicalId,
        rootResourceId: fixture.rootResourceId,
        name: 'local-iot-device-config-api',
        stages: ['local'],
      },
    ]);
    expect(metrics.status).toBe(200);
  });
});
