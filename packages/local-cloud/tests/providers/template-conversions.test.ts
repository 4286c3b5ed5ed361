import {
  createTableInput,
  deliveryStreamInput,
  queueAttributes,
  subscriptionAttributes,
  topicAttributes,
  topicRulePayloadFromTemplate,
  withLocalTiming,
} from '../../src/providers';

describe('CloudFormation properties as the local services take them', () => {
  it('turns an on-demand table with a GSI into CreateTable input without throughput or CloudFormation-only settings', () => {
    // Prepare
    const properties = {
      TableName: 'ignored-the-interpreter-names-it',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'deviceId', AttributeType: 'S' },
        { AttributeName: 'metric', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'deviceId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'by-metric',
          KeySchema: [{ AttributeName: 'metric', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
          ContributorInsightsSpecification: { Enabled: true },
        },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    };

    // Act
    const input = createTableInput('metrics', properties);

    // Assess
    expect(input).toEqual({
      TableName: 'metrics',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: properties.AttributeDefinitions,
      KeySchema: properties.KeySchema,
      GlobalSecondaryIndexes: [
        {
          IndexName: 'by-metric',
          KeySchema: [{ AttributeName: 'metric', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });

  it('gives a provisioned table and its indexes throughput, from the template or a default', () => {
    // Prepare
    const properties = {
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      ProvisionedThroughput: { ReadCapacityUnits: '2', WriteCapacityUnits: 3 },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'g',
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    };

    // Act
    const input = createTableInput('t', properties);

    // Assess
    expect(input.BillingMode).toBe('PROVISIONED');
    expect(input.ProvisionedThroughput).toEqual({ ReadCapacityUnits: 2, WriteCapacityUnits: 3 });
    expect(input.GlobalSecondaryIndexes?.[0]?.ProvisionedThroughput).toEqual({
      ReadCapacityUnits: 5,
      WriteCapacityUnits: 5,
    });
  });

  it('writes queue settings as SQS attribute strings, policies as JSON text, and drops FifoQueue: false', () => {
    // Act
    const attributes = queueAttributes({
      QueueName: 'q',
      MessageRetentionPeriod: 1209600,
      VisibilityTimeout: '45',
      SqsManagedSseEnabled: true,
      FifoQueue: false,
      RedrivePolicy: { deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:dlq', maxReceiveCount: 3 },
      Tags: [{ Key: 'team', Value: 'iot' }],
    });

    // Assess
    expect(attributes).toEqual({
      MessageRetentionPeriod: '1209600',
      VisibilityTimeout: '45',
      SqsManagedSseEnabled: 'true',
      RedrivePolicy: '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":3}',
    });
  });

  it('writes topic settings and delivery status logging as SNS topic attributes', () => {
    // Act
    const attributes = topicAttributes({
      TopicName: 'alerts',
      DisplayName: 'IoT alerts',
      DataProtectionPolicy: { Name: 'p' },
      DeliveryStatusLogging: [
        {
          Protocol: 'http',
          SuccessFeedbackRoleArn: 'arn:role',
          SuccessFeedbackSampleRate: 50,
          FailureFeedbackRoleArn: 'arn:role',
        },
      ],
    });

    // Assess
    expect(attributes).toEqual({
      DisplayName: 'IoT alerts',
      DataProtectionPolicy: '{"Name":"p"}',
      HTTPSuccessFeedbackRoleArn: 'arn:role',
      HTTPSuccessFeedbackSampleRate: '50',
      HTTPFailureFeedbackRoleArn: 'arn:role',
    });
  });

  it('writes a subscription filter policy given as an object as JSON, and raw delivery as text', () => {
    // Act
    const attributes = subscriptionAttributes({
      TopicArn: 'arn:aws:sns:us-east-1:000000000000:alerts',
      Protocol: 'sqs',
      Endpoint: 'arn:aws:sqs:us-east-1:000000000000:q',
      FilterPolicy: { severity: ['critical'] },
      FilterPolicyScope: 'MessageAttributes',
      RawMessageDelivery: true,
    });

    // Assess
    expect(attributes).toEqual({
      FilterPolicy: '{"severity":["critical"]}',
      FilterPolicyScope: 'MessageAttributes',
      RawMessageDelivery: 'true',
    });
  });

  it('names the delivery stream as the interpreter decided and leaves out the encryption setting', () => {
    // Act
    const input = deliveryStreamInput('raw-archive', {
      DeliveryStreamName: 'raw-archive',
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      ExtendedS3DestinationConfiguration: { BucketARN: 'arn:aws:s3:::b' },
    });

    // Assess
    expect(input).toEqual({
      DeliveryStreamName: 'raw-archive',
      DeliveryStreamType: 'DirectPut',
      ExtendedS3DestinationConfiguration: { BucketARN: 'arn:aws:s3:::b' },
    });
  });

  it('shortens tumbling and batching windows to the local timing, never lengthens them', () => {
    // Prepare
    const mapping = {
      EventSourceArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/telemetry',
      FunctionName: 'aggregate',
      TumblingWindowInSeconds: '60',
      MaximumBatchingWindowInSeconds: 1,
    };

    // Act
    const shortened = withLocalTiming(mapping, { tumblingWindowSeconds: 2, maximumBatchingWindowSeconds: 5 });
    const unchanged = withLocalTiming(mapping);

    // Assess
    expect(shortened).toEqual({ ...mapping, TumblingWindowInSeconds: 2 });
    expect(unchanged).toEqual(mapping);
  });

  it('gives a topic rule payload the member names of the IoT API', () => {
    // Prepare
    const payload = {
      Sql: "SELECT * FROM 'devices/+/telemetry'",
      AwsIotSqlVersion: '2016-03-23',
      RuleDisabled: 'false',
      Actions: [
        { Lambda: { FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f' } },
        { DynamoDBv2: { PutItem: { TableName: 't' }, RoleArn: 'arn:role' } },
        {
          Kafka: {
            DestinationArn: 'arn:d',
            Topic: 't',
            ClientProperties: { 'bootstrap.servers': 'b:9092', Acks: '1' },
          },
        },
      ],
      ErrorAction: { Sqs: { QueueUrl: 'http://localhost:4566/000000000000/errors', UseBase64: false } },
    };

    // Act
    const converted = topicRulePayloadFromTemplate(payload);

    // Assess
    expect(converted).toEqual({
      sql: "SELECT * FROM 'devices/+/telemetry'",
      awsIotSqlVersion: '2016-03-23',
      ruleDisabled: false,
      actions: [
        { lambda: { functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f' } },
        { dynamoDBv2: { putItem: { tableName: 't' }, roleArn: 'arn:role' } },
        {
          kafka: {
            destinationArn: 'arn:d',
            topic: 't',
            clientProperties: { 'bootstrap.servers': 'b:9092', Acks: '1' },
          },
        },
      ],
      errorAction: { sqs: { queueUrl: 'http://localhost:4566/000000000000/errors', useBase64: false } },
    });
  });

  it('refuses a topic rule payload without an SQL statement', () => {
    // Act
    const convert = () => topicRulePayloadFromTemplate({ Actions: [] });

    // Assess
    expect(convert).toThrow('TopicRulePayload must be an object with an Sql statement');
  });
});
