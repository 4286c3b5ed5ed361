import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SqlParseRuleError, TopicRuleRegistry } from '../../../src/iot/rules';
import { rulesWith } from './rules-fixture';

const V2 = '2016-03-23';
const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:evaluate';

describe('rules engine actions', () => {
  it('invokes a Lambda function asynchronously with the SELECT result', async () => {
    // Prepare
    const { calls, publish } = rulesWith({
      telemetry: {
        sql: "SELECT topic(2) AS deviceId, temperature FROM 'devices/+/telemetry'",
        awsIotSqlVersion: V2,
        actions: [{ lambda: { functionArn: ARN } }],
      },
    });

    // Act
    await publish('devices/d1/telemetry', { temperature: 71.5, humidity: 40 });

    // Assess
    expect(calls.lambda).toEqual([{ functionArn: ARN, event: { deviceId: 'd1', temperature: 71.5 }, type: 'Event' }]);
  });

  it('republishes to a templated topic, $$ standing for $, with the QoS asked', async () => {
    // Prepare
    const { calls, publish } = rulesWith({
      mirror: {
        sql: "SELECT state FROM 'devices/+/desired'",
        awsIotSqlVersion: V2,
        actions: [{ republish: { topic: '$$aws/things/${topic(2)}/shadow/update', qos: 1, roleArn: 'r' } }],
      },
    });

    // Act
    await publish('devices/lamp/desired', { state: { desired: { on: true } } });

    // Assess
    expect(calls.republish).toHaveLength(1);
    expect(calls.republish[0]).toMatchObject({ topic: '$aws/things/lamp/shadow/update', qos: 1, retain: false });
    expect(calls.republish[0]?.payload.toString()).toBe('{"state":{"desired":{"on":true}}}');
  });

  it('puts the SELECT result into a stream with a templated partition key (Kinesis)', async () => {
    // Prepare
    const { calls, publish } = rulesWith({
      stream: {
        sql: "SELECT *, topic(2) AS deviceId FROM 'devices/+/telemetry'",
        awsIotSqlVersion: V2,
        actions: [{ kinesis: { streamName: 'telemetry', partitionKey: '${topic(2)}', roleArn: 'r' } }],
      },
    });

    // Act
    await publish('devices/d7/telemetry', { t: 1 });

    // Assess
    expect(calls.kinesis).toEqual([{ stream: 'telemetry', data: '{"t":1,"deviceId":"d7"}', partitionKey: 'd7' }]);
  });

  it('sends one Firehose record with the separator, or one per array element in batch mode', async () => {
    // Prepare
    const { calls, publish } = rulesWith({
      archive: {
        sql: "SELECT * FROM 'raw/#'",
        awsIotSqlVersion: V2,
        actions: [{ firehose: { deliveryStreamName: 'raw-archive', separator: '\n', roleArn: 'r' } }],
      },
      batched: {
        sql: "SELECT VALUE readings FROM 'batch/#'",
        awsIotSqlVersion: V2,
        actions: [{ firehose: { deliveryStreamName: 'readings', separator: ',', batchMode: true, roleArn: 'r' } }],
      },
    });

    // Act
    await publish('raw/d1', { a: 1 });
    await publish('batch/d1', { readings: [{ v: 1 }, { v: 2 }] });

    // Assess
    expect(calls.firehose).toEqual([
      { stream: 'raw-archive', records: ['{"a":1}\n'] },
      { stream: 'readings', records: ['{"v":1},', '{"v":2},'] },
    ]);
  });

  it('publishes to SNS as raw text or as a JSON message structure', async () => {
    // Prepare
    const topicArn = 'arn:aws:sns:us-east-1:000000000000:alerts';
    const { calls, publish } = rulesWith({
      raw: { sql: "SELECT * FROM 'alerts/raw'", actions: [{ sns: { targetArn: topicArn, roleArn: 'r' } }] },
      json: {
        sql: "SELECT 'hot' AS default FROM 'alerts/json'",
        actions: [{ sns: { targetArn: topicArn, messageFormat: 'JSON', roleArn: 'r' } }],
      },
    });

    // Act
    await publish('alerts/raw', { level: 'high' });
    await publish('alerts/json', {});

    // Assess
    expect(calls.sns).toEqual([
      { topicArn, message: '{"level":"high"}', options: undefined },
      { topicArn, message: '{"default":"hot"}', options: { messageStructure: 'json' } },
    ]);
  });

  it('sends to the queue of the queue URL, base64-encoded when asked (SQS)', async () => {
    // Prepare
    const { calls, publish } = rulesWith({
      plain: {
        sql: "SELECT * FROM 'q/plain'",
        actions: [{ sqs: { queueUrl: 'https://sqs.eu-west-1.amazonaws.com/000000000000/commands', roleArn: 'r' } }],
      },
      encoded: {
        sql: "SELECT * FROM 'q/encoded'",
        actions: [{ sqs: { queueUrl: 'http://127.0.0.1:4566/000000000000/errors', useBase64: true, roleArn: 'r' } }],
      },
    });

    // Act
    await publish('q/plain', { n: 1 });
    await publish('q/encoded', { n: 2 });

    // Assess
    expect(calls.sqs).toEqual([
      { queueArn: 'arn:aws:sqs:eu-west-1:000000000000:commands', body: '{"n":1}', attributes: undefined },
      {
        queueArn: 'arn:aws:sqs:us-east-1:000000000000:errors',
        body: Buffer.from('{"n":2}').toString('base64'),
        attributes: undefined,
      },
    ]);
  });

  it('writes an S3 object under a templated key', async () => {
    // Prepare
    const { calls, publish } = rulesWith({
      archive: {
        sql: "SELECT * FROM 'devices/+/logs'",
        awsIotSqlVersion: V2,
        actions: [{ s3: { bucketName: 'logs', key: '${topic(2)}/${timestamp()}.json', roleArn: 'r' } }],
      },
    });

    // Act
    await publish('devices/d3/logs', { line: 'boot' });

    // Assess
    expect(calls.s3).toEqual([{ bucket: 'logs', key: 'd3/1700000000123.json', body: '{"line":"boot"}' }]);
  });

  it('puts the SELECT result as an item (DynamoDBv2) and writes key columns and a payload column (DynamoDB)', async () => {
    // Prepare
    const { calls, publish } = rulesWith({
      v2: {
        sql: "SELECT topic(2) AS deviceId, temperature, tags FROM 'devices/+/telemetry'",
        awsIotSqlVersion: V2,
        actions: [{ dynamoDBv2: { putItem: { tableName: 'readings-${topic(1)}' }, roleArn: 'r' } }],
      },
      v1: {
        sql: "SELECT temperature FROM 'devices/+/telemetry'",
        awsIotSqlVersion: V2,
        actions: [
          {
            dynamoDB: {
              tableName: 'history',
              hashKeyField: 'deviceId',
              hashKeyValue: '${topic(2)}',
              rangeKeyField: 'at',
              rangeKeyValue: '${timestamp()}',
              rangeKeyType: 'NUMBER',
              payloadField: 'data',
              roleArn: 'r',
            },
          },
        ],
      },
    });

    // Act
    await publish('devices/d9/telemetry', { temperature: 20, tags: ['a'], other: true });

    // Assess
    expect(calls.dynamodb).toEqual(
      expect.arrayContaining([
        {
          command: 'PutItemCommand',
          input: {
            TableName: 'readings-devices',
            Item: { deviceId: { S: 'd9' }, temperature: { N: '20' }, tags: { L: [{ S: 'a' }] } },
          },
        },
        {
          command: 'PutItemCommand',
          input: {
            TableName: 'history',
            Item: { deviceId: { S: 'd9' }, at: { N: '1700000000123' }, data: { M: { temperature: { N: '20' } } } },
          },
        },
      ]),
    );
  });

  it('posts the SELECT result to an HTTP endpoint with templated headers', async () => {
    // Prepare
    const requests: { headers: IncomingMessage['headers']; body: string; url?: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        requests.push({ headers: req.headers, body, url: req.url });
        res.writeHead(req.url === '/fail' ? 500 : 200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { publish, engine } = rulesWith({
      webhook: {
        sql: "SELECT * FROM 'hooks/+'",
        awsIotSqlVersion: V2,
        actions: [{ http: { url: `${base}/\${topic(2)}`, headers: [{ key: 'x-device', value: '${clientid()}' }] } }],
      },
    });

    try {
      // Act
      await publish('hooks/ok', { n: 1 }, 'client-9');
      await publish('hooks/fail', { n: 2 });

      // Assess
      expect(requests[0]).toMatchObject({ url: '/ok', body: '{"n":1}', headers: { 'x-device': 'client-9' } });
      expect(engine.stats().webhook).toMatchObject({ messages: 2, matched: 2, failed: 1 });
    } finally {
      server.close();
    }
  });
});

describe('rules engine behaviour', () => {
  it('runs only when WHERE holds', async () => {
    // Prepare
    const { calls, publish, engine } = rulesWith({
      hot: {
        sql: "SELECT * FROM 'devices/+/telemetry' WHERE temperature > 50",
        awsIotSqlVersion: V2,
        actions: [{ lambda: { functionArn: ARN } }],
      },
    });

    // Act
    await publish('devices/d1/telemetry', { temperature: 20 });
    await publish('devices/d1/telemetry', { temperature: 70 });

    // Assess
    expect(calls.lambda.map((c) => c.event)).toEqual([{ temperature: 70 }]);
    expect(engine.stats().hot).toMatchObject({ messages: 2, matched: 1, failed: 0 });
  });

  it('sends a Basic Ingest message to the named rule only, with topic() leaving out the prefix', async () => {
    // Prepare
    const { calls, publish } = rulesWith({
      ingest_rule: {
        sql: "SELECT topic() AS t, topic(2) AS deviceId FROM 'devices/+/telemetry'",
        awsIotSqlVersion: V2,
        actions: [{ lambda: { functionArn: `${ARN}-ingest` } }],
      },
      other_rule: {
        sql: "SELECT * FROM 'devices/+/telemetry'",
        awsIotSqlVersion: V2,
        actions: [{ lambda: { functionArn: `${ARN}-other` } }],
      },
    });

    // Act
    await publish('$aws/rules/ingest_rule/devices/d5/telemetry', { v: 1 });

    // Assess
    expect(calls.lambda).toEqual([
      { functionArn: `${ARN}-ingest`, event: { t: 'devices/d5/telemetry', deviceId: 'd5' }, type: 'Event' },
    ]);
  });

  it('sends the documented error payload to the error action when an action fails', async () => {
    // Prepare
    const { calls, failing, publish, engine } = rulesWith({
      telemetry: {
        sql: "SELECT * FROM 'devices/+/telemetry'",
        awsIotSqlVersion: V2,
        actions: [
          { kinesis: { streamName: 'telemetry', partitionKey: '${topic(2)}', roleArn: 'r' } },
          { lambda: { functionArn: ARN } },
          { firehose: { deliveryStreamName: 'raw', separator: '\n', roleArn: 'r' } },
        ],
        errorAction: { sqs: { queueUrl: 'http://127.0.0.1:4566/000000000000/rule-errors', roleArn: 'r' } },
      },
    });
    failing.add('kinesis');
    failing.add('lambda');

    // Act
    await publish('devices/d2/telemetry', { t: 5 }, 'device-2');

    // Assess
    expect(calls.firehose).toHaveLength(1);
    expect(calls.sqs).toHaveLength(1);
    const payload = JSON.parse(calls.sqs[0]?.body as string);
    expect(payload).toEqual({
      ruleName: 'telemetry',
      topic: 'devices/d2/telemetry',
      cloudwatchTraceId: expect.any(String),
      clientId: 'device-2',
      base64OriginalPayload: Buffer.from('{"t":5}').toString('base64'),
      failures: [
        {
          failedAction: 'KinesisAction',
          failedResource: 'telemetry',
          errorMessage: expect.stringContaining('kinesis is unavailable'),
        },
        {
          failedAction: 'LambdaAction',
          failedResource: ARN,
          errorMessage: expect.stringContaining('lambda is unavailable'),
        },
      ],
    });
    expect(calls.sqs[0]?.queueArn).toBe('arn:aws:sqs:us-east-1:000000000000:rule-errors');
    expect(engine.stats().telemetry).toMatchObject({
      failed: 1,
      actionFailures: 2,
      errorActions: 1,
      errorActionFailures: 0,
    });
  });

  it('logs when the error action fails too', async () => {
    // Prepare
    const { failing, publish, engine, warnings } = rulesWith({
      fragile: {
        sql: "SELECT * FROM 'x'",
        actions: [{ kinesis: { streamName: 's', roleArn: 'r' } }],
        errorAction: { sqs: { queueUrl: 'http://127.0.0.1:4566/000000000000/errors', roleArn: 'r' } },
      },
    });
    failing.add('kinesis');
    failing.add('sqs');

    // Act
    await publish('x', { a: 1 });

    // Assess
    expect(engine.stats().fragile).toMatchObject({ errorActions: 1, errorActionFailures: 1 });
    expect(warnings.some((w) => String(w[0]).includes('error action'))).toBe(true);
  });

  it('does not run a disabled rule, and runs it again once enabled', async () => {
    // Prepare
    const { calls, publish, registry } = rulesWith({
      paused: { sql: "SELECT * FROM 'p/#'", ruleDisabled: true, actions: [{ lambda: { functionArn: ARN } }] },
    });

    // Act
    await publish('p/1', { n: 1 });
    registry.enableTopicRule('paused');
    await publish('p/2', { n: 2 });
    registry.disableTopicRule('paused');
    await publish('p/3', { n: 3 });

    // Assess
    expect(calls.lambda.map((c) => c.event)).toEqual([{ n: 2 }]);
  });

  it('evaluates with the rule SQL version', async () => {
    // Prepare
    const { calls, publish } = rulesWith({
      v1: {
        sql: "SELECT 10.0 / 4 AS q FROM 'math'",
        awsIotSqlVersion: '2015-10-08',
        actions: [{ kinesis: { streamName: 'v1', partitionKey: 'k' } }],
      },
      v2: {
        sql: "SELECT 10.0 / 4 AS q FROM 'math'",
        awsIotSqlVersion: V2,
        actions: [{ kinesis: { streamName: 'v2', partitionKey: 'k' } }],
      },
    });

    // Act
    await publish('math', {});

    // Assess
    expect(calls.kinesis.map((c) => [c.stream, c.data])).toEqual(
      expect.arrayContaining([
        ['v1', '{"q":2.5}'],
        ['v2', '{"q":2}'],
      ]),
    );
  });
});

describe('topic rule registry', () => {
  it('refuses invalid SQL with the parser message naming the position', async () => {
    // Prepare
    const registry = new TopicRuleRegistry();

    // Act
    const put = registry.putTopicRule('bad', { sql: "SELECT a b c FROM 'x'", actions: [] }, { stackName: 'stack' });

    // Assess
    await expect(put).rejects.toBeInstanceOf(SqlParseRuleError);
    await expect(put).rejects.toThrow(/line 1, column \d+ \(offset \d+\)/);
    expect(registry.get('bad')).toBeUndefined();
  });

  it('replaces a deployed rule when the template is deployed again, keeping its creation time', async () => {
    // Prepare
    let now = 1_000_000;
    const registry = new TopicRuleRegistry({ now: () => now });
    await registry.putTopicRule('r', { sql: "SELECT * FROM 'a'", actions: [] }, { stackName: 's' });

    // Act
    now = 2_000_000;
    await registry.putTopicRule('r', { sql: "SELECT * FROM 'b'", actions: [] }, { stackName: 's' });

    // Assess
    const rule = registry.getTopicRule('r');
    expect(rule.compiled.topicFilter).toBe('b');
    expect(rule.createdAt).toBe(1_000);
    expect(rule.source).toEqual({ type: 'template', stackName: 's' });
  });
});
