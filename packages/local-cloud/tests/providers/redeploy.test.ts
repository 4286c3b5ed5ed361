import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deployStack } from '../../src/cloudformation';
import {
  dynamoDbTableProvider,
  eventsRuleProvider,
  firehoseDeliveryStreamProvider,
  iotTopicRuleProvider,
  kinesisStreamProvider,
  RecordingEventRuleSink,
  RecordingTopicRuleSink,
  s3BucketProvider,
  snsResourceProviders,
  sqsQueueProvider,
} from '../../src/providers';
import { DynamoDbService } from '../../src/services/dynamodb';
import { FirehoseService } from '../../src/services/firehose';
import { KinesisService } from '../../src/services/kinesis';
import { S3Service } from '../../src/services/s3';
import { SnsStore } from '../../src/services/sns';
import { SqsStore } from '../../src/services/sqs';

const STACK = 'iot-demo-local';

/** A template with one resource of each type the providers create, wired as the services wire them. */
const template = (keyAttribute = 'deviceId') => ({
  Resources: {
    Table: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        TableName: 'iot-demo-local-metrics',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: keyAttribute, AttributeType: 'S' },
          { AttributeName: 'metric', AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: keyAttribute, KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'by-metric',
            KeySchema: [{ AttributeName: 'metric', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      },
    },
    DeadLetters: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'iot-demo-local-dlq' } },
    Failures: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: 'iot-demo-local-failures',
        VisibilityTimeout: 45,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['DeadLetters', 'Arn'] }, maxReceiveCount: 3 },
      },
    },
    Alerts: {
      Type: 'AWS::SNS::Topic',
      Properties: {
        TopicName: 'iot-demo-local-alerts',
        DisplayName: 'Alerts',
        Subscription: [{ Protocol: 'sqs', Endpoint: { 'Fn::GetAtt': ['Failures', 'Arn'] } }],
      },
    },
    CriticalAlerts: {
      Type: 'AWS::SNS::Subscription',
      Properties: {
        TopicArn: { Ref: 'Alerts' },
        Protocol: 'sqs',
        Endpoint: { 'Fn::GetAtt': ['DeadLetters', 'Arn'] },
        FilterPolicy: { severity: ['critical'] },
        RawMessageDelivery: true,
      },
    },
    Archive: { Type: 'AWS::S3::Bucket', Properties: {} },
    Telemetry: {
      Type: 'AWS::Kinesis::Stream',
      Properties: { Name: 'iot-demo-local-telemetry', StreamModeDetails: { StreamMode: 'ON_DEMAND' } },
    },
    RawArchive: {
      Type: 'AWS::KinesisFirehose::DeliveryStream',
      Properties: {
        DeliveryStreamName: 'iot-demo-local-raw',
        DeliveryStreamType: 'DirectPut',
        ExtendedS3DestinationConfiguration: {
          BucketARN: { 'Fn::GetAtt': ['Archive', 'Arn'] },
          BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 5 },
        },
      },
    },
    Rule: {
      Type: 'AWS::IoT::TopicRule',
      Properties: {
        RuleName: 'iot_demo_local_telemetry',
        TopicRulePayload: {
          Sql: "SELECT * FROM 'devices/+/telemetry'",
          Actions: [{ Firehose: { DeliveryStreamName: { Ref: 'RawArchive' }, Separator: '\n' } }],
        },
      },
    },
    Nightly: {
      Type: 'AWS::Events::Rule',
      Properties: { ScheduleExpression: 'rate(1 day)', State: 'ENABLED', Targets: [] },
    },
  },
});

describe('the providers deploying a stack again over kept data', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'providers-'));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  async function openServices() {
    const dynamodb = new DynamoDbService({ dataDir });
    await dynamodb.start();
    const sqs = new SqsStore({ dataDir, persistDebounceMs: 0 });
    const sns = new SnsStore({ dataDir, queues: sqs, persistDebounceMs: 0 });
    const s3 = new S3Service({ dataDir });
    const kinesis = await KinesisService.open({ dataDir: join(dataDir, 'kinesis'), flushIntervalMs: 0 });
    const firehose = new FirehoseService({ objectWriter: s3.store, dataDir });
    const topicRules = new RecordingTopicRuleSink();
    const eventRules = new RecordingEventRuleSink();
    const providers = {
      'AWS::DynamoDB::Table': dynamoDbTableProvider(dynamodb),
      'AWS::SQS::Queue': sqsQueueProvider(sqs),
      ...snsResourceProviders(sns),
      'AWS::S3::Bucket': s3BucketProvider(s3),
      'AWS::Kinesis::Stream': kinesisStreamProvider(kinesis),
      'AWS::KinesisFirehose::DeliveryStream': firehoseDeliveryStreamProvider(firehose),
      'AWS::IoT::TopicRule': iotTopicRuleProvider(topicRules),
      'AWS::Events::Rule': eventsRuleProvider(eventRules),
    };
    const deploy = (body = template()) => deployStack({ stackName: STACK, template: body, providers });
    const close = async () => {
      await firehose.close();
      await kinesis.close();
      await sns.close();
      await sqs.close();
      await dynamodb.close();
    };
    return { dynamodb, sqs, sns, s3, kinesis, firehose, topicRules, eventRules, deploy, close };
  }

  it('creates every resource with the names and settings of the template', async () => {
    // Prepare
    const local = await openServices();

    // Act
    const stack = await local.deploy();

    // Assess
    const table = await local.dynamodb.request<{ Table: { GlobalSecondaryIndexes: { IndexName: string }[] } }>(
      'DescribeTable',
      { TableName: 'iot-demo-local-metrics' },
    );
    expect(table.Table.GlobalSecondaryIndexes.map((g) => g.IndexName)).toEqual(['by-metric']);
    expect(local.sqs.getQueueAttributes('iot-demo-local-failures', ['VisibilityTimeout', 'RedrivePolicy'])).toEqual({
      VisibilityTimeout: '45',
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:iot-demo-local-dlq',
        maxReceiveCount: 3,
      }),
    });
    const subscriptions = local.sns.listSubscriptions(stack.resources.Alerts?.physicalId);
    expect(subscriptions.map((s) => s.endpoint).sort()).toEqual([
      'arn:aws:sqs:us-east-1:000000000000:iot-demo-local-dlq',
      'arn:aws:sqs:us-east-1:000000000000:iot-demo-local-failures',
    ]);
    expect(await local.s3.store.bucketExists(stack.resources.Archive?.physicalId as string)).toBe(true);
    expect(local.kinesis.listShardIds('iot-demo-local-telemetry')).toHaveLength(4);
    expect(await local.firehose.listDeliveryStreams()).toEqual(['iot-demo-local-raw']);
    expect(local.topicRules.rules.get('iot_demo_local_telemetry')).toEqual({
      stackName: STACK,
      payload: {
        sql: "SELECT * FROM 'devices/+/telemetry'",
        actions: [{ firehose: { deliveryStreamName: 'iot-demo-local-raw', separator: '\n' } }],
      },
    });
    expect([...local.eventRules.rules.values()].map((r) => r.properties.ScheduleExpression)).toEqual(['rate(1 day)']);
    await local.close();
  });

  it('keeps items, messages, subscriptions and records when the stack is deployed again after a restart', async () => {
    // Prepare
    const first = await openServices();
    const stack = await first.deploy();
    await first.dynamodb.request('PutItem', {
      TableName: 'iot-demo-local-metrics',
      Item: { deviceId: { S: 'dev-1' }, metric: { S: 'temperature' } },
    });
    first.sqs.sendMessage('iot-demo-local-dlq', { body: 'kept' });
    first.kinesis.putRecord('iot-demo-local-telemetry', '{"t":1}', 'dev-1');
    await first.close();

    // Act
    const second = await openServices();
    const again = await second.deploy();

    // Assess
    expect(again.outputs).toEqual(stack.outputs);
    const item = await second.dynamodb.request<{ Item?: unknown }>('GetItem', {
      TableName: 'iot-demo-local-metrics',
      Key: { deviceId: { S: 'dev-1' } },
    });
    expect(item.Item).toEqual({ deviceId: { S: 'dev-1' }, metric: { S: 'temperature' } });
    const [message] = await second.sqs.receiveMessages('iot-demo-local-dlq');
    expect(message?.body).toBe('kept');
    expect(second.sns.listSubscriptions()).toHaveLength(2);
    const shards = second.kinesis.listShardIds('iot-demo-local-telemetry');
    const records = shards.flatMap((shard) => second.kinesis.read('iot-demo-local-telemetry', shard, 0, 10).records);
    expect(records.map((r) => r.data.toString())).toEqual(['{"t":1}']);
    await second.close();
  });

  it('refuses to deploy a table whose key schema changed, naming the table, as CloudFormation would', async () => {
    // Prepare
    const local = await openServices();
    await local.deploy();

    // Act
    const deploying = local.deploy(template('thingName'));

    // Assess
    await expect(deploying).rejects.toThrow(/Table iot-demo-local-metrics exists with another key schema/);
    await local.close();
  });
});
