import {
  apiGatewayRestApiArn,
  dynamoDbStreamArn,
  dynamoDbTableArn,
  eventsRuleArn,
  executeApiArn,
  firehoseDeliveryStreamArn,
  generatedId,
  generatedPhysicalName,
  iamRoleArn,
  iotTopicRuleArn,
  kinesisStreamArn,
  lambdaFunctionArn,
  lambdaFunctionName,
  lambdaQualifiedArn,
  resolveOutputsOffline,
  s3BucketArn,
  s3ObjectArn,
  snsTopicArn,
  sqsQueueArn,
  sqsQueueName,
  sqsQueueUrl,
  stableUuid,
} from '../../src/cloudformation';

describe('ARN builders', () => {
  it('build the ARNs of each service in the local account and default region', () => {
    // Act & Assess
    expect({
      sqs: sqsQueueArn('jobs'),
      lambda: lambdaFunctionArn('fn'),
      version: lambdaQualifiedArn('fn', '3'),
      table: dynamoDbTableArn('devices'),
      stream: dynamoDbStreamArn('devices', '2026-01-01T00:00:00.000'),
      kinesis: kinesisStreamArn('telemetry'),
      firehose: firehoseDeliveryStreamArn('archive'),
      bucket: s3BucketArn('raw'),
      object: s3ObjectArn('raw', 'a/b.json'),
      rule: iotTopicRuleArn('telemetry_rule'),
      topic: snsTopicArn('alerts'),
      role: iamRoleArn('worker'),
      events: eventsRuleArn('tick'),
      api: apiGatewayRestApiArn('abc123defg'),
    }).toEqual({
      sqs: 'arn:aws:sqs:us-east-1:000000000000:jobs',
      lambda: 'arn:aws:lambda:us-east-1:000000000000:function:fn',
      version: 'arn:aws:lambda:us-east-1:000000000000:function:fn:3',
      table: 'arn:aws:dynamodb:us-east-1:000000000000:table/devices',
      stream: 'arn:aws:dynamodb:us-east-1:000000000000:table/devices/stream/2026-01-01T00:00:00.000',
      kinesis: 'arn:aws:kinesis:us-east-1:000000000000:stream/telemetry',
      firehose: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/archive',
      bucket: 'arn:aws:s3:::raw',
      object: 'arn:aws:s3:::raw/a/b.json',
      rule: 'arn:aws:iot:us-east-1:000000000000:rule/telemetry_rule',
      topic: 'arn:aws:sns:us-east-1:000000000000:alerts',
      role: 'arn:aws:iam::000000000000:role/worker',
      events: 'arn:aws:events:us-east-1:000000000000:rule/tick',
      api: 'arn:aws:apigateway:us-east-1::/restapis/abc123defg',
    });
  });

  it('take another region and account', () => {
    // Act & Assess
    expect(sqsQueueArn('jobs', { region: 'eu-west-1', accountId: '123456789012' })).toBe(
      'arn:aws:sqs:eu-west-1:123456789012:jobs',
    );
  });

  it('build execute-api ARNs for any or one route', () => {
    // Act & Assess
    expect(executeApiArn('abc123defg')).toBe('arn:aws:execute-api:us-east-1:000000000000:abc123defg/*/*');
    expect(executeApiArn('abc123defg', { stage: 'local', method: 'GET', path: '/devices/d1' })).toBe(
      'arn:aws:execute-api:us-east-1:000000000000:abc123defg/local/GET/devices/d1',
    );
  });

  it('build queue URLs on the edge endpoint and read queue names back', () => {
    // Act
    const url = sqsQueueUrl('jobs', { endpointUrl: 'http://127.0.0.1:4566/' });

    // Assess
    expect(url).toBe('http://127.0.0.1:4566/000000000000/jobs');
    expect(sqsQueueUrl('jobs')).toBe('http://localhost:4566/000000000000/jobs');
    expect([sqsQueueName(url), sqsQueueName(sqsQueueArn('jobs')), sqsQueueName('jobs')]).toEqual([
      'jobs',
      'jobs',
      'jobs',
    ]);
  });

  it('read a function name from a name, an ARN, a qualified ARN or a partial ARN', () => {
    // Act & Assess
    expect(
      ['fn', lambdaFunctionArn('fn'), lambdaQualifiedArn('fn', '2'), '000000000000:function:fn'].map(
        lambdaFunctionName,
      ),
    ).toEqual(['fn', 'fn', 'fn', 'fn']);
  });
});

describe('generated names', () => {
  it('follow CloudFormation: stack, logical id and a 12-character suffix, the same every time', () => {
    // Act
    const name = generatedPhysicalName('iot-alerting-local', 'ThresholdsTable', { maxLength: 255 });

    // Assess
    expect(name).toMatch(/^iot-alerting-local-ThresholdsTable-[A-Z0-9]{12}$/);
    expect(generatedPhysicalName('iot-alerting-local', 'ThresholdsTable', { maxLength: 255 })).toBe(name);
    expect(generatedPhysicalName('iot-alerting-local', 'OtherTable', { maxLength: 255 })).not.toBe(name);
  });

  it('shorten the stack name and logical id to fit the limit', () => {
    // Act
    const name = generatedPhysicalName('a-very-long-stack-name-for-a-service', 'AnEvenLongerLogicalIdForTheFunction', {
      maxLength: 64,
    });

    // Assess
    expect(name).toHaveLength(64);
    expect(name).toMatch(/^a-very-long-stack-name-fo-AnEvenLongerLogicalIdForT-[A-Z0-9]{12}$/);
  });

  it('keep to what each service accepts', () => {
    // Act & Assess
    expect(generatedPhysicalName('Iot-Stack', 'Bucket', { maxLength: 63, lowerCase: true })).toMatch(
      /^iot-stack-bucket-[a-z0-9]{12}$/,
    );
    expect(generatedPhysicalName('iot-stack', 'Rule', { maxLength: 128, allowed: /\w/, separator: '_' })).toMatch(
      /^iot_stack_Rule_[A-Z0-9]{12}$/,
    );
    expect(generatedPhysicalName('iot-stack', 'Queue', { maxLength: 80, ending: '.fifo' })).toMatch(
      /^iot-stack-Queue-[A-Z0-9]{12}\.fifo$/,
    );
  });

  it('give API Gateway style ids and UUIDs from a seed', () => {
    // Act & Assess
    expect(generatedId('stack', 'Api')).toMatch(/^[a-z0-9]{10}$/);
    expect(generatedId('stack', 'Api')).toBe(generatedId('stack', 'Api'));
    expect(generatedId('stack', 'Api', 10, 'root')).not.toBe(generatedId('stack', 'Api'));
    expect(stableUuid('x')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('resource types', () => {
  it('give each supported type the Ref and attributes AWS gives it', () => {
    // Prepare
    const template = {
      Resources: {
        Table: {
          Type: 'AWS::DynamoDB::Table',
          Properties: { TableName: 't', StreamSpecification: { StreamViewType: 'KEYS_ONLY' } },
        },
        Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'alerts.fifo', FifoTopic: true } },
        FifoTopic: { Type: 'AWS::SNS::Topic', Properties: { FifoTopic: 'true' } },
        Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'q' } },
        FifoQueue: { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true } },
        Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'b' } },
        Stream: { Type: 'AWS::Kinesis::Stream', Properties: { Name: 's', ShardCount: 1 } },
        Delivery: { Type: 'AWS::KinesisFirehose::DeliveryStream', Properties: { DeliveryStreamName: 'd' } },
        Rule: { Type: 'AWS::IoT::TopicRule', Properties: { RuleName: 'r' } },
        Function: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'f' } },
        Version: { Type: 'AWS::Lambda::Version', Properties: { FunctionName: { Ref: 'Function' } } },
        Version2: { Type: 'AWS::Lambda::Version', Properties: { FunctionName: { 'Fn::GetAtt': 'Function.Arn' } } },
        Mapping: { Type: 'AWS::Lambda::EventSourceMapping', Properties: {} },
        Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'api' } },
        Authorizer: { Type: 'AWS::ApiGateway::Authorizer', Properties: {} },
        Schedule: { Type: 'AWS::Events::Rule', Properties: {} },
        Role: { Type: 'AWS::IAM::Role', Properties: {} },
        Pool: { Type: 'AWS::Cognito::UserPool', Properties: {} },
        Client: { Type: 'AWS::Cognito::UserPoolClient', Properties: {} },
      },
    };

    // Act
    const { resources } = resolveOutputsOffline(template, { stackName: 'st' });

    // Assess
    const ref = (id: string) => resources[id]?.physicalId;
    const att = (id: string) => resources[id]?.attributes;
    expect(ref('Table')).toBe('t');
    expect(att('Table')).toEqual({
      Arn: dynamoDbTableArn('t'),
      StreamArn: expect.stringMatching(/table\/t\/stream\//),
    });
    expect([ref('Topic'), att('Topic')]).toEqual([
      snsTopicArn('alerts.fifo'),
      { TopicArn: snsTopicArn('alerts.fifo'), TopicName: 'alerts.fifo' },
    ]);
    expect(att('FifoTopic')?.TopicName).toMatch(/^st-FifoTopic-[A-Z0-9]{12}\.fifo$/);
    expect([ref('Queue'), att('Queue')]).toEqual([
      'http://localhost:4566/000000000000/q',
      { Arn: sqsQueueArn('q'), QueueName: 'q', QueueUrl: 'http://localhost:4566/000000000000/q' },
    ]);
    expect(att('FifoQueue')?.QueueName).toMatch(/\.fifo$/);
    expect([ref('Bucket'), att('Bucket')]).toEqual([
      'b',
      {
        Arn: 'arn:aws:s3:::b',
        DomainName: 'b.s3.amazonaws.com',
        RegionalDomainName: 'b.s3.us-east-1.amazonaws.com',
        DualStackDomainName: 'b.s3.dualstack.us-east-1.amazonaws.com',
        WebsiteURL: 'http://b.s3-website-us-east-1.amazonaws.com',
      },
    ]);
    expect([ref('Stream'), att('Stream')]).toEqual(['s', { Arn: kinesisStreamArn('s') }]);
    expect([ref('Delivery'), att('Delivery')]).toEqual(['d', { Arn: firehoseDeliveryStreamArn('d') }]);
    expect([ref('Rule'), att('Rule')]).toEqual(['r', { Arn: iotTopicRuleArn('r') }]);
    expect([ref('Function'), att('Function')]).toEqual(['f', { Arn: lambdaFunctionArn('f') }]);
    expect([ref('Version'), att('Version')]).toEqual([
      lambdaQualifiedArn('f', '1'),
      { Version: '1', FunctionArn: lambdaQualifiedArn('f', '1') },
    ]);
    expect(ref('Version2')).toBe(lambdaQualifiedArn('f', '2'));
    expect(att('Mapping')).toEqual({
      Id: ref('Mapping'),
      EventSourceMappingArn: `arn:aws:lambda:us-east-1:000000000000:event-source-mapping:${ref('Mapping')}`,
    });
    expect(att('Api')).toEqual({ RestApiId: ref('Api'), RootResourceId: expect.stringMatching(/^[a-z0-9]{10}$/) });
    expect(att('Authorizer')).toEqual({ AuthorizerId: expect.stringMatching(/^[a-z0-9]{6}$/) });
    expect(att('Schedule')?.Arn).toMatch(/^arn:aws:events:us-east-1:000000000000:rule\/st-Schedule-[A-Z0-9]{12}$/);
    expect(att('Role')).toEqual({
      Arn: expect.stringMatching(/^arn:aws:iam::000000000000:role\/st-Role-[A-Z0-9]{12}$/),
      RoleId: expect.stringMatching(/^AROA[A-Z0-9]{17}$/),
    });
    expect(ref('Pool')).toMatch(/^us-east-1_[A-Za-z0-9]{9}$/);
    expect(att('Pool')?.ProviderURL).toBe(`https://cognito-idp.us-east-1.amazonaws.com/${ref('Pool')}`);
    expect(ref('Client')).toMatch(/^[a-z0-9]{26}$/);
  });
});
