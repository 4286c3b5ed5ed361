import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployStack, ExportRegistry, type ResourceToCreate, resolveOutputsOffline } from '../../src/cloudformation';
import { memoryLogger, recordingProviders } from './recording-providers';

/**
 * `fixtures/iot-fixture-local.template.json` is what `serverless package --stage local` (osls 4.3.1) wrote for
 * `fixtures/iot-fixture.serverless.yml`: a function behind an http event, one on an IoT rule, one on an SQS queue
 * and a DynamoDB stream, a table, two queues, a topic and a subscription.
 */
const template: unknown = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'iot-fixture-local.template.json'), 'utf8'),
);
const stackName = 'iot-fixture-local';

async function deployFixture() {
  const { providers, calls } = recordingProviders();
  const { logger, warnings } = memoryLogger();
  const exports = new ExportRegistry();
  const stack = await deployStack({ stackName, template, providers, exports, logger });
  const call = (logicalId: string) => calls.find((c) => c.logicalId === logicalId) as ResourceToCreate;
  return { stack, calls, call, warnings, exports };
}

describe('a template packaged by the Serverless Framework', () => {
  it('creates every resource, after everything it refers to, with nothing skipped', async () => {
    // Act
    const { stack, calls, warnings } = await deployFixture();

    // Assess
    expect(warnings).toEqual([]);
    expect(stack.skipped).toEqual([]);
    expect(calls).toHaveLength(Object.keys((template as { Resources: object }).Resources).length);
    const position = (logicalId: string) => calls.findIndex((c) => c.logicalId === logicalId);
    for (const [before, after] of [
      ['IamRoleLambdaExecution', 'GetDeviceLambdaFunction'],
      ['GetDeviceLogGroup', 'GetDeviceLambdaFunction'],
      ['ServerlessDeploymentBucket', 'OnQueueLambdaFunction'],
      ['DevicesTable', 'IamRoleLambdaExecution'],
      ['CommandsDlq', 'CommandsQueue'],
      ['GetDeviceLambdaPermissionApiGateway', 'ApiGatewayMethodDevicesDeviceidVarGet'],
      ['ApiGatewayResourceDevices', 'ApiGatewayResourceDevicesDeviceidVar'],
      ['ApiGatewayMethodDevicesDeviceidVarGet', 'ApiGatewayDeployment1795680415818'],
      ['ApiGatewayMethodDevicesDeviceidVarOptions', 'ApiGatewayDeployment1795680415818'],
      ['OnTelemetryIotTopicRule1', 'OnTelemetryLambdaPermissionIotTopicRule1'],
      ['DevicesTable', 'OnQueueEventSourceMappingDynamodbDevicesTable'],
      ['AlertsTopic', 'AlertsToQueue'],
    ]) {
      expect([before, position(before as string) < position(after as string)]).toEqual([before, true]);
    }
  });

  it('gives functions their environment, role and code location resolved', async () => {
    // Act
    const { call, stack } = await deployFixture();

    // Assess
    const bucket = stack.resources.ServerlessDeploymentBucket?.physicalId as string;
    expect(bucket).toMatch(/^iot-fixture-local-serverlessdeploymentbucket-[a-z0-9]{12}$/);
    expect(call('GetDeviceLambdaFunction')).toMatchObject({
      type: 'AWS::Lambda::Function',
      name: 'iot-fixture-local-getDevice',
      properties: {
        FunctionName: 'iot-fixture-local-getDevice',
        Handler: 'src/handler.getDevice',
        Runtime: 'nodejs22.x',
        Timeout: 10,
        Code: { S3Bucket: bucket },
        Role: 'arn:aws:iam::000000000000:role/iot-fixture-local-us-east-1-lambdaRole',
        Environment: {
          Variables: {
            DEVICES_TABLE: 'iot-fixture-local-devices',
            QUEUE_URL: expect.stringMatching(
              /^http:\/\/localhost:4566\/000000000000\/iot-fixture-local-CommandsQueue-\w{12}$/,
            ),
            TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:iot-fixture-local-alerts',
          },
        },
      },
    });
  });

  it('wires the REST API: resources under the root, the method to its function, the deployment stage', async () => {
    // Act
    const { call, stack } = await deployFixture();

    // Assess
    const api = stack.resources.ApiGatewayRestApi;
    expect(api?.physicalId).toMatch(/^[a-z0-9]{10}$/);
    expect(api?.attributes.RootResourceId).toMatch(/^[a-z0-9]{10}$/);
    expect(call('ApiGatewayResourceDevices').properties).toEqual({
      ParentId: api?.attributes.RootResourceId,
      PathPart: 'devices',
      RestApiId: api?.physicalId,
    });
    expect(call('ApiGatewayResourceDevicesDeviceidVar').properties.ParentId).toBe(
      stack.resources.ApiGatewayResourceDevices?.physicalId,
    );
    expect(call('ApiGatewayMethodDevicesDeviceidVarGet').properties).toMatchObject({
      HttpMethod: 'GET',
      ResourceId: stack.resources.ApiGatewayResourceDevicesDeviceidVar?.physicalId,
      Integration: {
        Type: 'AWS_PROXY',
        Uri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:iot-fixture-local-getDevice/invocations',
      },
    });
    expect(call('ApiGatewayDeployment1795680415818').properties).toEqual({
      RestApiId: api?.physicalId,
      StageName: 'local',
    });
    expect(call('GetDeviceLambdaPermissionApiGateway').properties.SourceArn).toBe(
      `arn:aws:execute-api:us-east-1:000000000000:${api?.physicalId}/*/*`,
    );
  });

  it('wires the IoT rule, the event source mappings and the subscription', async () => {
    // Act
    const { call, stack } = await deployFixture();

    // Assess
    expect(call('OnTelemetryIotTopicRule1')).toMatchObject({
      name: 'iot-fixture_local_telemetry',
      properties: {
        RuleName: 'iot-fixture_local_telemetry',
        TopicRulePayload: {
          Sql: "SELECT deviceId, temperature FROM 'devices/+/telemetry'",
          Actions: [
            { Lambda: { FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:iot-fixture-local-onTelemetry' } },
          ],
        },
      },
    });
    expect(call('OnTelemetryLambdaPermissionIotTopicRule1').properties.SourceArn).toBe(
      'arn:aws:iot:us-east-1:000000000000:rule/iot-fixture_local_telemetry',
    );
    expect(call('OnQueueEventSourceMappingDynamodbDevicesTable').properties).toMatchObject({
      EventSourceArn: stack.resources.DevicesTable?.attributes.StreamArn,
      FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:iot-fixture-local-onQueue',
      StartingPosition: 'LATEST',
    });
    expect(stack.resources.DevicesTable?.attributes.StreamArn).toMatch(
      /^arn:aws:dynamodb:us-east-1:000000000000:table\/iot-fixture-local-devices\/stream\/.+$/,
    );
    expect(call('OnQueueEventSourceMappingSQSCommandsQueue').properties).toMatchObject({
      EventSourceArn: stack.resources.CommandsQueue?.attributes.Arn,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(call('CommandsQueue').properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:iot-fixture-local-commands-dlq',
      maxReceiveCount: 3,
    });
    expect(call('AlertsToQueue').properties).toEqual({
      TopicArn: 'arn:aws:sns:us-east-1:000000000000:iot-fixture-local-alerts',
      Protocol: 'sqs',
      Endpoint: stack.resources.CommandsQueue?.attributes.Arn,
      RawMessageDelivery: true,
    });
  });

  it('resolves the outputs and exports, the same offline as deployed', async () => {
    // Act
    const { stack, exports } = await deployFixture();
    const offline = resolveOutputsOffline(template, { stackName });

    // Assess
    const apiId = stack.resources.ApiGatewayRestApi?.physicalId;
    expect(stack.outputs).toMatchObject({
      ServiceEndpoint: `https://${apiId}.execute-api.us-east-1.amazonaws.com/local`,
      GetDeviceLambdaFunctionQualifiedArn:
        'arn:aws:lambda:us-east-1:000000000000:function:iot-fixture-local-getDevice:1',
      DevicesTableName: 'iot-fixture-local-devices',
      CommandsQueueArn: expect.stringMatching(/^arn:aws:sqs:us-east-1:000000000000:iot-fixture-local-CommandsQueue-/),
      AlertsTopicArn: 'arn:aws:sns:us-east-1:000000000000:iot-fixture-local-alerts',
    });
    expect(Object.keys(stack.exports).sort()).toEqual([
      'iot-fixture-local-CommandsQueueArn',
      'iot-fixture-local-DevicesTableName',
      'sls-iot-fixture-local-GetDeviceLambdaFunctionQualifiedArn',
      'sls-iot-fixture-local-OnQueueLambdaFunctionQualifiedArn',
      'sls-iot-fixture-local-OnTelemetryLambdaFunctionQualifiedArn',
      'sls-iot-fixture-local-ServerlessDeploymentBucketName',
      'sls-iot-fixture-local-ServiceEndpoint',
    ]);
    expect(exports.get('iot-fixture-local-DevicesTableName')).toBe('iot-fixture-local-devices');
    expect(offline.outputs).toEqual(stack.outputs);
    expect(offline.exports).toEqual(stack.exports);
  });

  it('asks the providers for the same resources on every deployment', async () => {
    // Act
    const first = await deployFixture();
    const second = await deployFixture();

    // Assess
    expect(second.calls).toEqual(first.calls);
  });
});
