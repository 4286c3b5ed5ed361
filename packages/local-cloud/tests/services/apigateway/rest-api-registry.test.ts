import { AwsServiceError } from '../../../src/edge/aws-service';
import { apiGatewayId, RestApiRegistry } from '../../../src/services/apigateway';
import { matchRoute } from '../../../src/services/apigateway/resource-router';
import { ensurePath, proxyIntegration, RecordingLogger, route } from './support';

const expectAwsError = (act: () => unknown, code: string, message: RegExp) => {
  let thrown: unknown;
  try {
    act();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(AwsServiceError);
  expect(thrown).toMatchObject({ code, message: expect.stringMatching(message) });
};

describe('RestApiRegistry', () => {
  let logger: RecordingLogger;
  let registry: RestApiRegistry;
  let api: { id: string; rootResourceId: string };

  beforeEach(() => {
    logger = new RecordingLogger();
    registry = new RestApiRegistry(logger);
    api = registry.createRestApi('api0000001', { Name: 'iot' });
  });

  it('derives a stable root resource id from the API id, unless given one', () => {
    // Act
    const derived = new RestApiRegistry().createRestApi('api0000001');
    const given = new RestApiRegistry().createRestApi('api0000001', {}, { rootResourceId: 'root000001' });

    // Assess
    expect(derived.rootResourceId).toBe(api.rootResourceId);
    expect(derived.rootResourceId).toMatch(/^[a-z0-9]{10}$/);
    expect(given.rootResourceId).toBe('root000001');
    expect(apiGatewayId('seed')).toBe(apiGatewayId('seed'));
  });

  it('keeps the resources other stacks attached when the owning stack re-creates the API', () => {
    // Prepare
    const metricsId = ensurePath(registry, api.id, api.rootResourceId, '/devices/{deviceId}/metrics');

    // Act
    const again = registry.createRestApi(api.id, { Name: 'iot', BinaryMediaTypes: ['image/*'] });

    // Assess
    expect(again).toEqual(api);
    expect(registry.resourcePath(api.id, metricsId)).toBe('/devices/{deviceId}/metrics');
  });

  it('accepts the same resource and method created twice', () => {
    // Prepare
    route(registry, api, 'GET', '/devices/{deviceId}', { Integration: proxyIntegration('getDevice') });

    // Act
    route(registry, api, 'GET', '/devices/{deviceId}', { Integration: proxyIntegration('getDeviceV2') });
    const { id } = registry.createDeployment({ RestApiId: api.id, StageName: 'local' });

    // Assess
    const stage = registry.findStage('local');
    expect(stage?.deployment.id).toBe(id);
    const match = stage && matchRoute(stage.deployment.root, '/devices/d-1', 'GET');
    expect(match?.method.Integration?.Uri).toContain('function:getDeviceV2/');
  });

  it.each([
    ['an API that does not exist', { RestApiId: 'nope000001', ParentId: 'x', PathPart: 'a' }, 'NotFoundException'],
    ['a parent that does not exist', { ParentId: 'nope000001', PathPart: 'a' }, 'NotFoundException'],
    ['a path part with a slash', { PathPart: 'a/b' }, 'BadRequestException'],
    ['a path part with an unclosed brace', { PathPart: '{deviceId' }, 'BadRequestException'],
  ])('refuses a resource under %s', (_, properties, code) => {
    // Prepare
    const valid = { RestApiId: api.id, ParentId: api.rootResourceId, PathPart: 'a' };

    // Act + Assess
    expectAwsError(() => registry.createResource('res0000001', { ...valid, ...properties }), code, /./);
  });

  it('refuses a second resource with the same path part under one parent, as another stack re-creating /devices would', () => {
    // Prepare
    registry.createResource('devices001', { RestApiId: api.id, ParentId: api.rootResourceId, PathPart: 'devices' });

    // Act + Assess
    expectAwsError(
      () =>
        registry.createResource('devices002', { RestApiId: api.id, ParentId: api.rootResourceId, PathPart: 'devices' }),
      'ConflictException',
      /same parent already has this name: devices/,
    );
  });

  it('refuses a second variable path part among siblings and a child under a greedy one', () => {
    // Prepare
    registry.createResource('deviceid01', { RestApiId: api.id, ParentId: api.rootResourceId, PathPart: '{deviceId}' });
    registry.createResource('files00001', { RestApiId: api.id, ParentId: api.rootResourceId, PathPart: 'files' });
    registry.createResource('proxy00001', { RestApiId: api.id, ParentId: 'files00001', PathPart: '{proxy+}' });

    // Act + Assess
    expectAwsError(
      () =>
        registry.createResource('thingid001', { RestApiId: api.id, ParentId: api.rootResourceId, PathPart: '{id}' }),
      'BadRequestException',
      /only one is allowed/,
    );
    expectAwsError(
      () => registry.createResource('under00001', { RestApiId: api.id, ParentId: 'proxy00001', PathPart: 'x' }),
      'BadRequestException',
      /greedy path variable/,
    );
  });

  it('refuses a method protected by an authorizer the API does not have', () => {
    // Act + Assess
    expectAwsError(
      () =>
        registry.putMethod({
          RestApiId: api.id,
          ResourceId: api.rootResourceId,
          HttpMethod: 'GET',
          AuthorizationType: 'COGNITO_USER_POOLS',
          AuthorizerId: 'nope01',
          Integration: proxyIntegration('f'),
        }),
      'BadRequestException',
      /Invalid authorizer ID/,
    );
  });

  it('refuses an AWS_PROXY integration whose URI names no function', () => {
    // Act + Assess
    expectAwsError(
      () =>
        registry.putMethod({
          RestApiId: api.id,
          ResourceId: api.rootResourceId,
          HttpMethod: 'GET',
          Integration: { Type: 'AWS_PROXY', Uri: 'arn:aws:apigateway:us-east-1:s3:path/bucket/key' },
        }),
      'BadRequestException',
      /does not name a Lambda function/,
    );
  });

  it('records an integration type it does not emulate, and says so', () => {
    // Act
    route(registry, api, 'GET', '/upstream', { Integration: { Type: 'HTTP_PROXY', Uri: 'https://example.com' } });

    // Assess
    expect(logger.warnings).toEqual([
      expect.objectContaining({
        details: expect.objectContaining({ integrationType: 'HTTP_PROXY', path: '/upstream' }),
      }),
    ]);
  });

  it('refuses a deployment of an API with no methods, or with a method without integration', () => {
    // Act + Assess
    expectAwsError(
      () => registry.createDeployment({ RestApiId: api.id, StageName: 'local' }),
      'BadRequestException',
      /doesn't contain any methods/,
    );
    registry.putMethod({ RestApiId: api.id, ResourceId: api.rootResourceId, HttpMethod: 'GET' });
    expectAwsError(
      () => registry.createDeployment({ RestApiId: api.id, StageName: 'local' }),
      'BadRequestException',
      /No integration defined for method GET \//,
    );
  });

  it('serves what the stage deployment froze, until the next deployment', () => {
    // Prepare
    route(registry, api, 'GET', '/devices', { Integration: proxyIntegration('listDevices') });
    registry.createDeployment({ RestApiId: api.id, StageName: 'local' });

    // Act
    route(registry, api, 'GET', '/alarms', { Integration: proxyIntegration('listAlarms') });
    const frozen = registry.findStage('local');
    registry.createDeployment({ RestApiId: api.id, StageName: 'local' });
    const redeployed = registry.findStage('local');

    // Assess
    expect(frozen && matchRoute(frozen.deployment.root, '/alarms', 'GET')).toBeUndefined();
    expect(redeployed && matchRoute(redeployed.deployment.root, '/alarms', 'GET')).toBeDefined();
  });

  it('points a stage at an earlier deployment with its own variables', () => {
    // Prepare
    route(registry, api, 'GET', '/devices', { Integration: proxyIntegration('listDevices') });
    const first = registry.createDeployment({ RestApiId: api.id }, 'dep001');

    // Act
    registry.createStage({ RestApiId: api.id, StageName: 'demo', DeploymentId: first.id, Variables: { tier: 'demo' } });

    // Assess
    expect(registry.findStage('demo')).toMatchObject({ stageName: 'demo', variables: { tier: 'demo' } });
    expect(registry.findStage('demo')?.deployment.id).toBe('dep001');
    expectAwsError(
      () => registry.createStage({ RestApiId: api.id, StageName: 'x', DeploymentId: 'nope01' }),
      'NotFoundException',
      /deployment/,
    );
  });

  it('deletes a resource with everything under it', () => {
    // Prepare
    const devices = ensurePath(registry, api.id, api.rootResourceId, '/devices');
    route(registry, api, 'GET', '/devices/{deviceId}/config', { Integration: proxyIntegration('getConfig') });
    route(registry, api, 'GET', '/health', { Integration: proxyIntegration('health') });

    // Act
    registry.deleteResource(api.id, devices);
    registry.createDeployment({ RestApiId: api.id, StageName: 'local' });

    // Assess
    const stage = registry.findStage('local');
    expect(stage && matchRoute(stage.deployment.root, '/devices/d-1/config', 'GET')).toBeUndefined();
    expect(stage && matchRoute(stage.deployment.root, '/health', 'GET')).toBeDefined();
    expect(() => registry.resourcePath(api.id, apiGatewayId(`${api.id}/devices/{deviceId}`))).toThrow(AwsServiceError);
  });
});
