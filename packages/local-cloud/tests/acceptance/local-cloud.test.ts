/**
 * `pnpm start` end to end: the local cloud started once, with the real services of the repository packaged and
 * deployed into it, driven only through real clients (AWS SDK v3 against the edge endpoint, fetch, an HTTP server
 * subscribed to SNS). The last test stops it and starts it again on the same data folder.
 */
import { readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { GetTopicRuleCommand } from '@aws-sdk/client-iot';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { InvokeCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ListSubscriptionsByTopicCommand, PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { LocalCloud } from '../../src/local-cloud';
import {
  ACCEPTANCE_USER,
  type AwsClients,
  awsClients,
  eventually,
  FAST_TIMING,
  proxyEvent,
  type StartedCloud,
  startCloud,
} from './local-cloud-fixture';

jest.setTimeout(60_000);

let started: StartedCloud;
let cloud: LocalCloud;
let aws: AwsClients;
const run = Date.now().toString(36);
const deviceId = `acceptance-${run}`;
/** The device whose window metrics the Kinesis test produced; the restart test reads them again. */
let windowDevice = '';

/** An ID token of the local Cognito user pool, as the mobile app would send it. */
let idToken = '';

/** A request to the REST API of the stage, signed in. */
function api(path: string, init: RequestInit = {}) {
  return fetch(`${cloud.endpoints.api}${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', authorization: idToken, ...init.headers },
  });
}

async function signIn(): Promise<string> {
  const answer = await fetch(`${cloud.endpoints.edge}/_local/cognito/tokens`, {
    method: 'POST',
    // The user of the proxy events too: the functions invoked directly see the same owner as the REST API.
    body: JSON.stringify({ username: 'acceptance', email: 'acceptance@example.com', sub: ACCEPTANCE_USER }),
  });
  if (answer.status !== 200) throw new Error(`No token: ${answer.status} ${await answer.text()}`);
  return ((await answer.json()) as { token: string }).token;
}

/** An output of a deployed service's stack. */
const output = (service: string, name: string): string => {
  const value = cloud.deployed[service]?.outputs[name];
  if (value === undefined) throw new Error(`${service} has no output ${name}`);
  return value;
};
const functionName = (service: string, fn: string) => `${cloud.deployed[service]?.stackName}-${fn}`;

async function invoke(name: string, event: unknown, type: 'RequestResponse' | 'Event' = 'RequestResponse') {
  const answer = await aws.lambda.send(
    new InvokeCommand({ FunctionName: name, InvocationType: type, Payload: JSON.stringify(event) }),
  );
  const text = answer.Payload ? Buffer.from(answer.Payload).toString('utf8') : '';
  return {
    status: answer.StatusCode,
    functionError: answer.FunctionError,
    payload: text ? JSON.parse(text) : undefined,
  };
}

/** The raw archive object (under raw/) whose content holds `marker`, once Firehose delivered it. */
function archivedObject(marker: string) {
  const bucket = output('telemetry-analytics', 'RawArchiveBucketName');
  return eventually(`an archive object with ${marker}`, async () => {
    const listed = await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'raw/' }));
    for (const object of listed.Contents ?? []) {
      const got = await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
      const text = (await got.Body?.transformToString()) ?? '';
      if (text.includes(marker)) return { key: object.Key as string, text };
    }
    return undefined;
  });
}

/** The failure record of the evaluate function for the event with this message id, from its on-failure queue. */
function failureRecord(messageId: string) {
  return eventually(`the failure record of ${messageId}`, async () => {
    const answer = await aws.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: output('alerting', 'EvaluateFailuresQueueUrl'),
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
      }),
    );
    return (answer.Messages ?? [])
      .map((m) => JSON.parse(m.Body ?? '{}'))
      .find((body) => body.requestPayload?.messageId === messageId);
  });
}

/** Each REST route of the deployed templates with the function behind it. */
function routes(): { method: string; resource: string; functionArn: string }[] {
  const found: { method: string; resource: string; functionArn: string }[] = [];
  for (const stack of Object.values(cloud.deployed)) {
    for (const resource of Object.values(stack.resources)) {
      if (resource.type !== 'AWS::ApiGateway::Method') continue;
      const p = resource.properties as {
        HttpMethod: string;
        RestApiId: string;
        ResourceId: string;
        Integration?: { Type?: string; Uri?: string };
      };
      const arn = /functions\/(arn:[^/]+)\/invocations/.exec(p.Integration?.Uri ?? '')?.[1];
      if (p.Integration?.Type !== 'AWS_PROXY' || !arn) continue;
      found.push({
        method: p.HttpMethod,
        resource: cloud.services.restApis.resourcePath(p.RestApiId, p.ResourceId),
        functionArn: arn,
      });
    }
  }
  return found;
}

beforeAll(async () => {
  started = await startCloud();
  cloud = started.cloud;
  aws = awsClients(cloud.endpoints.edge);
  idToken = await signIn();
  // Only a device's owner may use its routes: the devices of these tests are the acceptance user's.
  for (const id of [deviceId, ...[1, 2, 3].map((tries) => `${deviceId}-window-${tries}`)]) {
    const registered = await api('/devices', {
      method: 'POST',
      body: JSON.stringify({ deviceId: id, type: 'sensor' }),
    });
    if (registered.status !== 201) throw new Error(`${id} not registered: ${registered.status}`);
  }
}, 180_000);

afterAll(async () => {
  aws?.destroy();
  await cloud?.close();
  if (started) await rm(started.dataDir, { recursive: true, force: true });
});

describe('starting the local cloud', () => {
  it('answers the health route with 503 and what is pending before the stacks are deployed, 200 after', async () => {
    // Act
    const before = await started.healthBeforeDeploy;
    const after = await fetch(cloud.endpoints.health);

    // Assess
    expect(before.status).toBe(503);
    expect(before.body).toMatchObject({
      status: 'starting',
      pending: ['device-config-api', 'telemetry-analytics', 'alerting', 'ingestion-rules'],
    });
    expect(after.status).toBe(200);
    const report = (await after.json()) as { status: string; stacks: { stackName: string; status: string }[] };
    expect(report.status).toBe('healthy');
    expect(report.stacks.map((s) => [s.stackName, s.status])).toEqual([
      ['iot-device-config-api-local', 'deployed'],
      ['iot-telemetry-analytics-local', 'deployed'],
      ['iot-alerting-local', 'deployed'],
      ['iot-ingestion-rules-local', 'deployed'],
    ]);
  });

  it('writes the endpoints to endpoints.json in the data folder', async () => {
    // Act
    const written = JSON.parse(await readFile(join(started.dataDir, 'endpoints.json'), 'utf8'));

    // Assess
    expect(written).toMatchObject({
      edge: cloud.endpoints.edge,
      api: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/local$/),
      health: `${cloud.endpoints.edge}/_local/health`,
    });
  });

  it('runs the topic rules of the templates: the ingestion rule as the IoT API describes it', async () => {
    // Act
    const { rule } = await aws.iot.send(new GetTopicRuleCommand({ ruleName: 'iot_ingestion_rules_local_telemetry' }));

    // Assess
    expect(rule?.sql).toMatch(/FROM 'devices\/\+\/telemetry'/);
    expect(rule?.awsIotSqlVersion).toBe('2016-03-23');
    expect(rule?.ruleDisabled).toBe(false);
    expect(rule?.actions).toContainEqual({
      lambda: { functionArn: output('alerting', 'EvaluateTelemetryFunctionArn') },
    });
  });

  it('refuses a REST call without a token, as the Cognito authorizer of the templates does', async () => {
    // Act
    const answer = await fetch(`${cloud.endpoints.api}/devices/${deviceId}/thresholds`);

    // Assess
    expect(answer.status).toBe(401);
    expect(await answer.text()).toContain('Unauthorized');
  });
});

describe('every deployed function', () => {
  it('is listed by the Lambda API, one for each function of the templates', async () => {
    // Act
    const listed = await aws.lambda.send(new ListFunctionsCommand({}));

    // Assess
    const names = (listed.Functions ?? []).map((f) => f.FunctionName).sort();
    expect(names).toEqual(cloud.stacks.flatMap((s) => s.functions).sort());
  });

  it('answers Lambda Invoke: HTTP functions with a proxy response under 500, the others without a runtime error', async () => {
    // Prepare
    const httpFunctions = new Map(routes().map((r) => [r.functionArn.split(':').pop() as string, r]));

    // Act
    const answers = await Promise.all(
      cloud.stacks
        .flatMap((s) => s.functions)
        .map(async (name) => {
          const route = httpFunctions.get(name);
          const event = route
            ? proxyEvent({
                method: route.method,
                resource: route.resource,
                // A user of no device, and a device nobody registered: every route answers (404 for a device), and
                // DELETE removes nothing the other tests use.
                sub: '00000000-0000-4000-8000-0000000000aa',
                pathParameters: Object.fromEntries(
                  [...route.resource.matchAll(/\{(\w+)\}/g)].map(([, param]) => [
                    param as string,
                    `${deviceId}-nobody`,
                  ]),
                ),
              })
            : {};
          return { name, http: Boolean(route), ...(await invoke(name, event)) };
        }),
    );

    // Assess
    for (const answer of answers) {
      if (answer.http) {
        expect({ name: answer.name, error: answer.functionError }).toEqual({ name: answer.name, error: undefined });
        expect({ name: answer.name, status: answer.payload.statusCode < 500 }).toEqual({
          name: answer.name,
          status: true,
        });
      } else {
        const errorType = String(answer.payload?.errorType ?? '');
        expect({ name: answer.name, runtimeError: /^(Runtime|Sandbox)\./.test(errorType) }).toEqual({
          name: answer.name,
          runtimeError: false,
        });
      }
    }
  });

  it('answers a bad API event with a 400 problem that names the field (putDeviceThresholds, putDeviceConfig)', async () => {
    // Prepare
    const bad = (resource: string) =>
      proxyEvent({ method: 'PUT', resource, pathParameters: { deviceId }, body: JSON.stringify({ unexpected: 1 }) });

    // Act
    const thresholds = await invoke(
      functionName('alerting', 'putDeviceThresholds'),
      bad('/devices/{deviceId}/thresholds'),
    );
    const config = await invoke(
      functionName('device-config-api', 'putDeviceConfig'),
      bad('/devices/{deviceId}/config'),
    );

    // Assess
    for (const answer of [thresholds, config]) {
      expect(answer.functionError).toBeUndefined();
      expect(answer.payload.statusCode).toBe(400);
      expect(JSON.parse(answer.payload.body)).toMatchObject({
        status: 400,
        title: 'Bad Request',
        detail: expect.stringMatching(/^body/),
      });
    }
  });

  it('runs the replay function over the empty rule-errors queue and reports nothing replayed', async () => {
    // Act
    const answer = await invoke(functionName('ingestion-rules', 'replayRuleErrors'), {});

    // Assess
    expect(answer.functionError).toBeUndefined();
    expect(answer.payload).toEqual({ replayed: {}, unreadable: 0, failed: 0 });
  });

  it('fails the evaluate function on an invalid telemetry event with an error naming the field', async () => {
    // Act
    const answer = await invoke(functionName('alerting', 'evaluateTelemetry'), { deviceId, metrics: 'hot' });

    // Assess
    expect(answer.functionError).toBe('Unhandled');
    expect(answer.payload.errorMessage).toMatch(/metrics|timestamp|receivedAt/);
  });
});

describe('the REST API and DynamoDB', () => {
  const rules = [{ metric: 'temperature', comparison: 'above', value: 80 }];

  it('stores what PUT /devices/{id}/thresholds receives in the thresholds table, readable through the SDK', async () => {
    // Act
    const put = await api(`/devices/${deviceId}/thresholds`, { method: 'PUT', body: JSON.stringify({ rules }) });
    const item = await aws.dynamodb.send(
      new GetItemCommand({
        TableName: output('alerting', 'ThresholdsTableName'),
        Key: { deviceId: { S: deviceId } },
        ConsistentRead: true,
      }),
    );

    // Assess
    expect(put.status).toBe(200);
    expect(item.Item?.deviceId).toEqual({ S: deviceId });
    expect(JSON.stringify(item.Item?.rules)).toContain('temperature');
  });

  it('answers GET /devices/{id}/thresholds with what the handler returns for the same request', async () => {
    // Act
    const viaApi = await api(`/devices/${deviceId}/thresholds`);
    const direct = await invoke(
      functionName('alerting', 'getDeviceThresholds'),
      proxyEvent({ method: 'GET', resource: '/devices/{deviceId}/thresholds', pathParameters: { deviceId } }),
    );

    // Assess
    expect(viaApi.status).toBe(direct.payload.statusCode);
    expect(await viaApi.json()).toEqual(JSON.parse(direct.payload.body));
    expect(JSON.parse(direct.payload.body).rules).toEqual([expect.objectContaining({ ...rules[0], source: 'device' })]);
  });
});

describe('SNS', () => {
  let server: Server;
  const received: Record<string, string>[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('delivers a Publish to the alerts topic to an HTTP subscriber that confirmed its subscription', async () => {
    // Prepare
    const topicArn = output('alerting', 'AlertsTopicArn');
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
    await aws.sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: endpoint }));
    const confirmation = await eventually('the subscription confirmation', async () =>
      received.find((m) => m.Type === 'SubscriptionConfirmation'),
    );
    expect((await fetch(confirmation.SubscribeURL as string)).status).toBe(200);

    // Act
    await aws.sns.send(new PublishCommand({ TopicArn: topicArn, Subject: 'Acceptance', Message: `alarm ${run}` }));

    // Assess
    const notification = await eventually('the notification', async () =>
      received.find((m) => m.Type === 'Notification'),
    );
    expect(notification).toMatchObject({ TopicArn: topicArn, Subject: 'Acceptance', Message: `alarm ${run}` });
  });
});

describe('Firehose', () => {
  it('delivers the records put into the raw archive stream to an S3 object under raw/, in order', async () => {
    // Prepare
    const now = Date.now();
    const records = [1, 2, 3].map((sequence) => ({
      deviceId,
      timestamp: now + sequence,
      metrics: { temperature: 20 + sequence },
      messageId: `${run}-raw-${sequence}`,
      sequence,
      receivedAt: now + sequence,
    }));

    // Act
    await aws.firehose.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: output('telemetry-analytics', 'RawArchiveDeliveryStreamName'),
        Records: records.map((record) => ({ Data: Buffer.from(`${JSON.stringify(record)}\n`) })),
      }),
    );

    // Assess
    const body = await archivedObject(`${run}-raw-`);
    expect(body.key).toMatch(/^raw\/year=\d{4}\/month=\d{2}\/day=\d{2}\/hour=\d{2}\//);
    const lines = body.text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    expect(lines).toEqual(records.map((record) => expect.objectContaining(record)));
  });
});

describe('the Kinesis event source with a tumbling window', () => {
  const windowMs = (FAST_TIMING.tumblingWindowSeconds ?? 60) * 1000;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const aggregatorLog = () =>
    readFile(join(started.dataDir, 'logs', `${functionName('telemetry-analytics', 'aggregateTelemetry')}.log`), 'utf8')
      .catch(() => '')
      .then((text) => (text.match(/ END RequestId: /g) ?? []).length);

  /** Puts readings of one device's humidity as the ingestion rule would, one PutRecords call. */
  const put = (device: string, values: number[]) =>
    aws.kinesis.send(
      new PutRecordsCommand({
        StreamName: output('telemetry-analytics', 'TelemetryStreamName'),
        Records: values.map((value, index) => ({
          PartitionKey: device,
          Data: Buffer.from(
            JSON.stringify({
              deviceId: device,
              timestamp: Date.now() + index,
              receivedAt: Date.now(),
              metrics: { humidity: value },
              messageId: `${device}-${value}`,
            }),
          ),
        })),
      }),
    );

  /**
   * Two PutRecords calls in one window, the second once the first was processed, so the window spans two invocations
   * with records. Undefined when the machine was too slow to fit both in the window (the caller tries again).
   */
  async function twoBatchesInOneWindow(device: string): Promise<{ invocationsBefore: number } | undefined> {
    while (Date.now() % windowMs > 200) await sleep(20);
    const windowStart = Date.now() - (Date.now() % windowMs);
    const invocationsBefore = await aggregatorLog();
    await put(device, [40, 50, 60]);
    await eventually('the first batch to be processed', async () =>
      (await aggregatorLog()) > invocationsBefore ? true : undefined,
    );
    if (Date.now() - windowStart > windowMs - 800) return undefined;
    await put(device, [70, 80]);
    return Date.now() - windowStart < windowMs - 200 ? { invocationsBefore } : undefined;
  }

  it('carries the state of a window across invocations and writes its metric in the final invocation', async () => {
    // Prepare
    let device = '';
    let attempt: { invocationsBefore: number } | undefined;
    for (let tries = 1; !attempt && tries <= 3; tries++) {
      device = `${deviceId}-window-${tries}`;
      attempt = await twoBatchesInOneWindow(device);
    }
    if (!attempt) throw new Error('Could not put two batches within one window three times');
    windowDevice = device;

    // Act
    const page = await eventually('the window metrics', async () => {
      const answer = await api(`/devices/${device}/metrics?metric=humidity`);
      const body = (await answer.json()) as { items: Record<string, number | string>[] };
      return answer.status === 200 && body.items.length > 0 ? body : undefined;
    });

    // Assess
    expect(page.items).toEqual([
      expect.objectContaining({ deviceId: device, metric: 'humidity', count: 5, min: 40, max: 80, sum: 300, mean: 60 }),
    ]);
    const window = page.items[0] as { windowStart: number; windowEnd: number };
    expect(window.windowEnd - window.windowStart).toBe(windowMs);
    const stored = await aws.dynamodb.send(
      new QueryCommand({
        TableName: output('telemetry-analytics', 'MetricsTableName'),
        KeyConditionExpression: 'deviceId = :d',
        ExpressionAttributeValues: { ':d': { S: device } },
      }),
    );
    expect(stored.Items).toHaveLength(1);
    // The two batches and the final invocation of the window, at least. The final invocation's END line reaches the
    // log after its write reached DynamoDB, so it is awaited too.
    const before = attempt.invocationsBefore;
    const invocations = await eventually('the END line of the final invocation', async () => {
      const count = (await aggregatorLog()) - before;
      return count >= 3 ? count : undefined;
    });
    expect(invocations).toBeGreaterThanOrEqual(3);
  });
});

describe('a failing asynchronous invocation', () => {
  it('is retried twice, then its destination record reaches the evaluate-failures queue', async () => {
    // Prepare
    const event = { deviceId, metrics: 'not readings', messageId: `${run}-invalid` };

    // Act
    const accepted = await invoke(functionName('alerting', 'evaluateTelemetry'), event, 'Event');

    // Assess
    expect(accepted.status).toBe(202);
    const record = await failureRecord(event.messageId);
    expect(record).toMatchObject({
      requestContext: {
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
        functionArn: `${output('alerting', 'EvaluateTelemetryFunctionArn')}:$LATEST`,
      },
      requestPayload: event,
      responseContext: { functionError: 'Unhandled' },
    });
  });
});

describe('stopping and starting again on the same data folder', () => {
  it('reuses every package, keeps the data and what was under way at the stop, and is healthy again', async () => {
    // Prepare
    const firstStartMs = cloud.startupMs;
    const firstReused = cloud.stacks.every((s) => s.reused);
    const topicArn = output('alerting', 'AlertsTopicArn');
    // Work still under way at the stop: a record in a Firehose buffer, an asynchronous invocation being retried.
    const atStop = `${run}-at-stop`;
    await aws.firehose.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: output('telemetry-analytics', 'RawArchiveDeliveryStreamName'),
        Records: [
          {
            Data: Buffer.from(
              `${JSON.stringify({ deviceId, timestamp: Date.now(), metrics: { temperature: 1 }, messageId: atStop, receivedAt: Date.now() })}\n`,
            ),
          },
        ],
      }),
    );
    const pending = { deviceId, metrics: 'not readings', messageId: atStop };
    await invoke(functionName('alerting', 'evaluateTelemetry'), pending, 'Event');
    aws.destroy();
    await cloud.close();

    // Act
    started = { ...(await startCloud(started.dataDir)), dataDir: started.dataDir };
    cloud = started.cloud;
    aws = awsClients(cloud.endpoints.edge);
    idToken = await signIn();

    // Assess
    expect(cloud.stacks.map((s) => [s.service, s.reused])).toEqual([
      ['device-config-api', true],
      ['telemetry-analytics', true],
      ['alerting', true],
      ['ingestion-rules', true],
    ]);
    if (!firstReused) expect(cloud.startupMs).toBeLessThan(firstStartMs);
    expect((await fetch(cloud.endpoints.health)).status).toBe(200);
    const thresholds = await api(`/devices/${deviceId}/thresholds`);
    expect(((await thresholds.json()) as { rules: unknown[] }).rules).toHaveLength(1);
    const metrics = await api(`/devices/${windowDevice}/metrics?metric=humidity`);
    expect(((await metrics.json()) as { items: unknown[] }).items).toHaveLength(1);
    const archived = await aws.s3.send(
      new ListObjectsV2Command({ Bucket: output('telemetry-analytics', 'RawArchiveBucketName'), Prefix: 'raw/' }),
    );
    expect(archived.KeyCount).toBeGreaterThan(0);
    const subscriptions = await aws.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
    expect(subscriptions.Subscriptions?.map((s) => s.Protocol)).toContain('http');
    expect((await archivedObject(atStop)).text).toContain(atStop);
    expect(await failureRecord(atStop)).toMatchObject({
      requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: pending,
    });
  });
});
