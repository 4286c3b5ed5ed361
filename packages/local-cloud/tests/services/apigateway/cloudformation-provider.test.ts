import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  deployStack,
  ExportRegistry,
  RESOURCE_TYPES,
  type ResourceProviders,
  recordOnlyProvider,
} from '../../../src/cloudformation';
import {
  API_GATEWAY_RESOURCE_TYPES,
  apiGatewayResourceProviders,
  RestApiRegistry,
  type RestApiServer,
  startRestApiServer,
} from '../../../src/services/apigateway';
import { RecordingInvoker, RecordingLogger } from './support';

const template = (name: string) => readFileSync(join(__dirname, 'fixtures', `${name}.template.json`), 'utf8');

/** The API Gateway providers, and one that records the names for every other type the stacks declare. */
function providersFor(registry: RestApiRegistry): ResourceProviders {
  const providers: Record<string, unknown> = Object.fromEntries(
    Object.keys(RESOURCE_TYPES).map((type) => [type, recordOnlyProvider]),
  );
  return { ...providers, ...apiGatewayResourceProviders(registry) } as ResourceProviders;
}

describe('API Gateway resource providers with the CloudFormation interpreter', () => {
  let server: RestApiServer;

  afterEach(async () => {
    await server?.close();
  });

  it('covers every API Gateway type the interpreter must have a provider for', () => {
    // Act
    const needed = Object.entries(RESOURCE_TYPES)
      .filter(([type, spec]) => type.startsWith('AWS::ApiGateway::') && spec.provisioning === 'provider')
      .map(([type]) => type);

    // Assess
    expect(API_GATEWAY_RESOURCE_TYPES).toEqual(expect.arrayContaining(needed));
  });

  it('serves two packaged stacks deployed in compose order, the second attached through the first one’s outputs', async () => {
    // Prepare
    const registry = new RestApiRegistry(new RecordingLogger());
    const exports = new ExportRegistry();
    const providers = providersFor(registry);
    const owner = await deployStack({
      stackName: 'iot-device-config-api-local',
      template: JSON.parse(template('iot-device-config-api-local')),
      providers,
      exports,
    });
    const api = owner.resources.ApiGatewayRestApi;
    const params: Record<string, unknown> = {
      PARAM_REST_API_ID: api?.physicalId,
      PARAM_ROOT_RESOURCE_ID: api?.attributes.RootResourceId,
      PARAM_DEVICES_RESOURCE_ID: owner.resources.ApiGatewayResourceDevices?.physicalId,
      PARAM_DEVICE_RESOURCE_ID: owner.resources.ApiGatewayResourceDevicesDeviceidVar?.physicalId,
    };
    const attachedTemplate = template('iot-telemetry-analytics-local').replace(/PARAM_[A-Z_]+/g, (name) =>
      String(params[name]),
    );

    // Act
    await deployStack({
      stackName: 'iot-telemetry-analytics-local',
      template: JSON.parse(attachedTemplate),
      providers,
      exports,
    });
    const invoker = new RecordingInvoker();
    server = await startRestApiServer({ registry, invoker, logger: new RecordingLogger(), port: 0 });
    const config = await fetch(`${server.stageUrl('local')}/devices/d-1/config`, { method: 'PUT', body: '{}' });
    const metrics = await fetch(`${server.stageUrl('local')}/devices/d-1/metrics`);
    const preflight = await fetch(`${server.stageUrl('local')}/devices/d-1/metrics`, { method: 'OPTIONS' });

    // Assess
    expect([config.status, metrics.status, preflight.status]).toEqual([200, 200, 200]);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('OPTIONS,GET');
    expect(invoker.calls.map((call) => [call.functionArn, call.event.requestContext.apiId])).toEqual([
      ['arn:aws:lambda:us-east-1:000000000000:function:iot-device-config-api-local-putDeviceConfig', api?.physicalId],
      [
        'arn:aws:lambda:us-east-1:000000000000:function:iot-telemetry-analytics-local-getDeviceMetrics',
        api?.physicalId,
      ],
    ]);
  });
});
