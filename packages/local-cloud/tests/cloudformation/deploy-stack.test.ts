import {
  deployStack,
  ExportNameClashError,
  ExportRegistry,
  MissingExportError,
  MissingProviderError,
  ResourceCreationError,
  recordOnlyProvider,
  resolveOutputsOffline,
  type Template,
} from '../../src/cloudformation';
import { memoryLogger, recordingProviders } from './recording-providers';

const upstream: Template = {
  Resources: {
    Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'iot-alerting-local-alerts' } },
    Table: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      },
    },
  },
  Outputs: {
    TopicArn: { Value: { Ref: 'Topic' }, Export: { Name: { 'Fn::Sub': '${AWS::StackName}-TopicArn' } } },
    TableStream: { Value: { 'Fn::GetAtt': ['Table', 'StreamArn'] }, Export: { Name: 'alerting-TableStream' } },
    TableName: { Value: { Ref: 'Table' } },
  },
};

const downstream: Template = {
  Resources: {
    Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
    Subscription: {
      Type: 'AWS::SNS::Subscription',
      Properties: {
        TopicArn: { 'Fn::ImportValue': 'iot-alerting-local-TopicArn' },
        Protocol: 'sqs',
        Endpoint: { 'Fn::GetAtt': ['Queue', 'Arn'] },
      },
    },
  },
  Outputs: { SubscriptionArn: { Value: { Ref: 'Subscription' } }, QueueUrl: { Value: { Ref: 'Queue' } } },
};

const deploy = (stackName: string, template: Template, options: Partial<Parameters<typeof deployStack>[0]> = {}) =>
  deployStack({
    stackName,
    template,
    providers: recordingProviders().providers,
    logger: memoryLogger().logger,
    ...options,
  });

describe('deployStack', () => {
  it('creates resources in order through their providers, with references resolved', async () => {
    // Prepare
    const { providers, calls } = recordingProviders();
    const exports = new ExportRegistry();
    await deploy('iot-alerting-local', upstream, { exports });

    // Act
    const stack = await deploy('iot-ingestion-local', downstream, { providers, exports });

    // Assess
    expect(calls.map((call) => call.logicalId)).toEqual(['Queue', 'Subscription']);
    const [queue, subscription] = calls;
    expect(queue).toMatchObject({
      type: 'AWS::SQS::Queue',
      stackName: 'iot-ingestion-local',
      region: 'us-east-1',
      accountId: '000000000000',
      name: expect.stringMatching(/^iot-ingestion-local-Queue-[A-Z0-9]{12}$/),
    });
    expect(subscription?.properties).toEqual({
      TopicArn: 'arn:aws:sns:us-east-1:000000000000:iot-alerting-local-alerts',
      Protocol: 'sqs',
      Endpoint: `arn:aws:sqs:us-east-1:000000000000:${queue?.name}`,
    });
    expect(stack.outputs.QueueUrl).toBe(`http://localhost:4566/000000000000/${queue?.name}`);
    expect(stack.outputs.SubscriptionArn).toMatch(
      /^arn:aws:sns:us-east-1:000000000000:iot-alerting-local-alerts:[0-9a-f-]{36}$/,
    );
    expect(stack.order).toEqual(['Queue', 'Subscription']);
    expect(stack.resources.Queue?.provisioned).toBe(true);
  });

  it('resolves outputs and registers exports under their resolved names', async () => {
    // Prepare
    const exports = new ExportRegistry();

    // Act
    const stack = await deploy('iot-alerting-local', upstream, { exports });

    // Assess
    expect(stack.outputs).toEqual({
      TopicArn: 'arn:aws:sns:us-east-1:000000000000:iot-alerting-local-alerts',
      TableStream: expect.stringMatching(
        /^arn:aws:dynamodb:us-east-1:000000000000:table\/iot-alerting-local-Table-\w+\/stream\//,
      ),
      TableName: expect.stringMatching(/^iot-alerting-local-Table-[A-Z0-9]{12}$/),
    });
    expect(stack.exports).toEqual({
      'iot-alerting-local-TopicArn': stack.outputs.TopicArn,
      'alerting-TableStream': stack.outputs.TableStream,
    });
    expect(exports.stackExports('iot-alerting-local')).toEqual(stack.exports);
    expect(exports.owner('alerting-TableStream')).toBe('iot-alerting-local');
  });

  it('refuses an import no earlier stack exports', async () => {
    // Prepare
    const exports = new ExportRegistry();

    // Act
    const attempt = deploy('iot-ingestion-local', downstream, { exports });

    // Assess
    await expect(attempt).rejects.toThrow(MissingExportError);
    await expect(deploy('iot-ingestion-local', downstream, { exports })).rejects.toThrow(
      'iot-ingestion-local: resource Subscription: imports iot-alerting-local-TopicArn, which no stack deployed before it exports',
    );
  });

  it('refuses an export name another stack exports before creating anything', async () => {
    // Prepare
    const exports = new ExportRegistry({ 'alerting-TableStream': { stackName: 'someone-else', value: 'x' } });
    const { providers, calls } = recordingProviders();

    // Act
    const attempt = deploy('iot-alerting-local', upstream, { exports, providers });

    // Assess
    await expect(attempt).rejects.toThrow(ExportNameClashError);
    await expect(attempt).rejects.toThrow(
      'iot-alerting-local: output TableStream: export name alerting-TableStream is already exported by stack someone-else',
    );
    expect(calls).toEqual([]);
    expect(exports.get('iot-alerting-local-TopicArn')).toBeUndefined();
  });

  it('refuses a clashing export name known only once resources exist, registering none of the stack exports', async () => {
    // Prepare
    const template: Template = {
      Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'jobs' } } },
      Outputs: {
        Url: { Value: { Ref: 'Queue' }, Export: { Name: 'first' } },
        Arn: { Value: { 'Fn::GetAtt': 'Queue.Arn' }, Export: { Name: { 'Fn::Sub': '${Queue.QueueName}-arn' } } },
      },
    };
    const exports = new ExportRegistry({ 'jobs-arn': { stackName: 'someone-else', value: 'x' } });

    // Act
    const attempt = deploy('s', template, { exports });

    // Assess
    await expect(attempt).rejects.toThrow(
      's: export jobs-arn: export name jobs-arn is already exported by stack someone-else',
    );
    expect(exports.get('first')).toBeUndefined();
  });

  it('refuses two outputs of one stack exporting the same name', async () => {
    // Prepare
    const template: Template = {
      Resources: { Queue: { Type: 'AWS::SQS::Queue' } },
      Outputs: {
        A: { Value: { Ref: 'Queue' }, Export: { Name: 'same' } },
        B: { Value: { 'Fn::GetAtt': ['Queue', 'Arn'] }, Export: { Name: 'same' } },
      },
    };

    // Act & Assess
    await expect(deploy('s', template)).rejects.toThrow('s: output B: export name same is also exported by output A');
  });

  it('deploys a stack again with the same names, replacing its exports', async () => {
    // Prepare
    const exports = new ExportRegistry();
    const first = await deploy('iot-alerting-local', upstream, { exports });
    const { TableStream: _dropped, ...outputs } = upstream.Outputs ?? {};

    // Act
    const second = await deploy('iot-alerting-local', { ...upstream, Outputs: outputs }, { exports });

    // Assess
    expect(second.resources.Table?.physicalId).toBe(first.resources.Table?.physicalId);
    expect(second.outputs.TopicArn).toBe(first.outputs.TopicArn);
    expect(exports.toJSON()).toEqual({
      'iot-alerting-local-TopicArn': { stackName: 'iot-alerting-local', value: first.outputs.TopicArn },
    });
  });

  it('takes the physical id and attributes a provider returns over the expected ones', async () => {
    // Prepare
    const { providers } = recordingProviders({
      'AWS::DynamoDB::Table': ({ name }) => ({
        physicalId: name as string,
        attributes: {
          StreamArn: `arn:aws:dynamodb:us-east-1:000000000000:table/${name}/stream/2026-05-01T00:00:00.000`,
        },
      }),
    });

    // Act
    const stack = await deploy('iot-alerting-local', upstream, { providers });

    // Assess
    expect(stack.outputs.TableStream).toMatch(/\/stream\/2026-05-01T00:00:00\.000$/);
    expect(stack.resources.Table?.attributes.Arn).toMatch(/^arn:aws:dynamodb:.*:table\/iot-alerting-local-Table-/);
  });

  it('fails before creating anything when a type that must be emulated has no provider', async () => {
    // Prepare
    const { providers, calls } = recordingProviders();
    const { 'AWS::SNS::Subscription': _missing, ...others } = providers;
    const exports = new ExportRegistry({ 'iot-alerting-local-TopicArn': { stackName: 'up', value: 'arn:aws:sns:x' } });

    // Act
    const attempt = deploy('iot-ingestion-local', downstream, { providers: others, exports });

    // Assess
    await expect(attempt).rejects.toThrow(MissingProviderError);
    await expect(attempt).rejects.toThrow(
      'iot-ingestion-local: resource Subscription: no provider is registered to create AWS::SNS::Subscription',
    );
    expect(calls).toEqual([]);
  });

  it('records types with nothing to emulate when no provider is registered', async () => {
    // Prepare
    const template: Template = {
      Resources: {
        Role: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'worker', Path: '/service/' } },
        Logs: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/aws/lambda/worker' } },
      },
      Outputs: { RoleArn: { Value: { 'Fn::GetAtt': 'Role.Arn' } }, LogsArn: { Value: { 'Fn::GetAtt': 'Logs.Arn' } } },
    };

    // Act
    const stack = await deploy('s', template, { providers: {} });

    // Assess
    expect(stack.outputs).toEqual({
      RoleArn: 'arn:aws:iam::000000000000:role/service/worker',
      LogsArn: 'arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/worker:*',
    });
    expect(stack.resources.Role?.provisioned).toBe(false);
  });

  it('names the resource and type when a provider fails', async () => {
    // Prepare
    const template: Template = { Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'jobs' } } } };
    const failing = { create: async () => Promise.reject(new Error('disk full')) };

    // Act
    const attempt = deploy('s', template, { providers: { 'AWS::SQS::Queue': failing } });

    // Assess
    await expect(attempt).rejects.toThrow(ResourceCreationError);
    await expect(deploy('s', template, { providers: { 'AWS::SQS::Queue': failing } })).rejects.toThrow(
      's: resource Queue: creating AWS::SQS::Queue failed: disk full',
    );
  });

  it('names the attributes a resource has when a template reads another', async () => {
    // Prepare
    const template: Template = {
      Resources: { Table: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'plain' } } },
      Outputs: { Stream: { Value: { 'Fn::GetAtt': ['Table', 'StreamArn'] } } },
    };

    // Act & Assess
    await expect(deploy('s', template)).rejects.toThrow(
      's: output Stream: reads attribute StreamArn of Table (AWS::DynamoDB::Table), which has only Arn',
    );
  });

  it('passes resolved pseudo parameters of the chosen region and reports progress', async () => {
    // Prepare
    const { logger, infos } = memoryLogger();
    const template: Template = {
      Resources: {
        Bucket: {
          Type: 'AWS::S3::Bucket',
          Properties: { Tags: [{ Key: 'where', Value: { 'Fn::Sub': '${AWS::Region}/${AWS::StackId}' } }] },
        },
      },
      Outputs: {
        Domain: { Value: { 'Fn::GetAtt': 'Bucket.RegionalDomainName' } },
        Zones: { Value: { 'Fn::GetAZs': '' } },
      },
    };

    // Act
    const stack = await deploy('Iot-Archive', template, { region: 'eu-west-1', logger });

    // Assess
    expect(stack.resources.Bucket?.properties).toEqual({
      Tags: [{ Key: 'where', Value: `eu-west-1/${stack.stackId}` }],
    });
    expect(stack.stackId).toMatch(/^arn:aws:cloudformation:eu-west-1:000000000000:stack\/Iot-Archive\/[0-9a-f-]{36}$/);
    expect(stack.outputs.Domain).toMatch(/^iot-archive-bucket-[a-z0-9]{12}\.s3\.eu-west-1\.amazonaws\.com$/);
    expect(stack.outputs.Zones).toBe('eu-west-1a,eu-west-1b,eu-west-1c');
    expect(infos).toEqual([
      expect.stringMatching(/^Iot-Archive: created Bucket \(AWS::S3::Bucket\) iot-archive-bucket-/),
    ]);
  });

  it('offers a provider that only records the expected names', async () => {
    // Prepare
    const template: Template = { Resources: { Rule: { Type: 'AWS::Events::Rule', Properties: { Name: 'tick' } } } };

    // Act
    const stack = await deploy('s', template, { providers: { 'AWS::Events::Rule': recordOnlyProvider } });

    // Assess
    expect(stack.resources.Rule).toMatchObject({
      physicalId: 'tick',
      attributes: { Arn: 'arn:aws:events:us-east-1:000000000000:rule/tick' },
    });
  });
});

describe('resolveOutputsOffline', () => {
  it('gives the outputs and exports a deployment gives, without creating anything', async () => {
    // Prepare
    const { providers, calls } = recordingProviders();
    const deployed = await deploy('iot-alerting-local', upstream, { providers });
    calls.length = 0;

    // Act
    const offline = resolveOutputsOffline(upstream, { stackName: 'iot-alerting-local' });

    // Assess
    expect(offline.outputs).toEqual(deployed.outputs);
    expect(offline.exports).toEqual(deployed.exports);
    expect(offline.resources.Topic?.physicalId).toBe('arn:aws:sns:us-east-1:000000000000:iot-alerting-local-alerts');
    expect(calls).toEqual([]);
  });

  it('resolves imports from the offline exports of upstream stacks', () => {
    // Prepare
    const up = resolveOutputsOffline(upstream, { stackName: 'iot-alerting-local' });

    // Act
    const down = resolveOutputsOffline(downstream, {
      stackName: 'iot-ingestion-local',
      exports: up.exports,
      endpointUrl: 'http://127.0.0.1:5000/',
    });

    // Assess
    expect(down.outputs.SubscriptionArn).toMatch(/^arn:aws:sns:us-east-1:000000000000:iot-alerting-local-alerts:/);
    expect(down.outputs.QueueUrl).toMatch(/^http:\/\/127\.0\.0\.1:5000\/000000000000\/iot-ingestion-local-Queue-/);
  });

  it('refuses an import it has no export for', () => {
    // Act & Assess
    expect(() => resolveOutputsOffline(downstream, { stackName: 'iot-ingestion-local' })).toThrow(MissingExportError);
  });
});
