/**
 * Alerts on the stream (`alerts: stream` for iot-alerting, which the ingestion rules follow through its
 * AlertEvaluation output), end to end on the running local cloud: the telemetry rule keeps only its Kinesis action
 * (the stream also feeds the raw archive), and iot-alerting evaluates the telemetry stream in batches. Thresholds over the REST API,
 * readings with mqtt.js, notifications on an HTTP subscription to the alerts topic, as in alerting.test.ts.
 */
import { rm } from 'node:fs/promises';
import { GetTopicRuleCommand } from '@aws-sdk/client-iot';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { GetQueueUrlCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { GetAlarmsResponse } from '@iot/types';
import type { LocalCloud } from '../../src/local-cloud';
import { type AwsClients, awsClients, type StartedCloud, startCloud } from './local-cloud-fixture';
import {
  MqttPublisher,
  type RestApi,
  registerDevices,
  restApi,
  signIn,
  stackOutput,
  type TelemetryPayload,
  telemetryTopic,
  waitFor,
} from './pipeline-clients';
import { SnsHttpSubscriber } from './pipeline-sns-subscriber';

jest.setTimeout(30_000);

let started: StartedCloud;
let cloud: LocalCloud;
let aws: AwsClients;
let api: RestApi;
let alerts: SnsHttpSubscriber;
let device: MqttPublisher;

const run = Date.now().toString(36);
const t0 = Date.now() - 60_000;
const output = (service: string, name: string) => stackOutput(cloud, service, name);

beforeAll(async () => {
  started = await startCloud(undefined, { params: { alerting: { alerts: 'stream' } } });
  cloud = started.cloud;
  aws = awsClients(cloud.endpoints.edge);
  api = restApi(cloud.endpoints.api, await signIn(cloud.endpoints.edge, `operator-${run}`));
  alerts = await SnsHttpSubscriber.subscribe(aws.sns, output('alerting', 'AlertsTopicArn'));
  device = await MqttPublisher.connect(cloud.endpoints.mqtt as string, `alerting-stream-acceptance-${run}`);
}, 300_000);

afterAll(async () => {
  await device?.end();
  await alerts?.close();
  aws?.destroy();
  await cloud?.close();
  if (started) await rm(started.dataDir, { recursive: true, force: true });
});

const reading = (deviceId: string, value: number, offsetMs: number): TelemetryPayload => ({
  timestamp: t0 + offsetMs,
  metrics: { temperature: value },
  messageId: `${deviceId}-${offsetMs}`,
});

describe('alerts on the stream', () => {
  it('deploys the telemetry rule without its Lambda action', async () => {
    // Act
    const { rule } = await aws.iot.send(
      new GetTopicRuleCommand({ ruleName: output('ingestion-rules', 'TelemetryRuleName') }),
    );

    // Assess
    expect(output('alerting', 'AlertEvaluation')).toBe('stream');
    expect(rule?.actions?.map((action) => Object.keys(action).filter((k) => action[k as keyof typeof action]))).toEqual(
      [['kinesis']],
    );
  });

  it('raises an alarm once from the stream, stays quiet for a repeated and a duplicate reading, then clears once', async () => {
    // Prepare
    const deviceId = `stream-greenhouse-${run}`;
    await registerDevices(api, deviceId);
    const answer = await api(`/devices/${deviceId}/thresholds`, {
      method: 'PUT',
      json: {
        rules: [{ metric: 'temperature', comparison: 'above', value: 30, clearValue: 25, severity: 'critical' }],
      },
    });
    expect(answer.status).toBe(200);

    // Act
    for (const [value, offset] of [
      [20, 0],
      [35, 1_000],
      [36, 2_000],
      [36, 2_000],
    ] as const) {
      await device.publish(telemetryTopic(deviceId), reading(deviceId, value, offset));
    }
    const [raised] = await alerts.waitForNotifications({ deviceId, state: 'ALARM' });
    await device.publish(telemetryTopic(deviceId), reading(deviceId, 24, 3_000));
    const [, cleared] = await alerts.waitForNotifications({ deviceId }, 2);

    // Assess
    expect(raised).toMatchObject({ Subject: `ALARM (critical): ${deviceId} temperature` });
    expect(cleared).toMatchObject({ Subject: `OK: ${deviceId} temperature` });
    const alarms = await api<GetAlarmsResponse>(`/devices/${deviceId}/alarms`);
    expect(alarms.body.alarms).toEqual([
      expect.objectContaining({ metric: 'temperature', state: 'OK', lastValue: 24 }),
    ]);
    expect(alerts.notifications({ deviceId }).map((n) => n.MessageAttributes?.state?.Value)).toEqual(['ALARM', 'OK']);
  });

  it('keeps a record of the stream that is not telemetry in the evaluate failures queue, with the reason', async () => {
    // Prepare
    const deviceId = `stream-broken-${run}`;
    const queueUrl = output('alerting', 'EvaluateFailuresQueueUrl');
    const { QueueUrl } = await aws.sqs.send(new GetQueueUrlCommand({ QueueName: queueUrl.split('/').pop() }));

    // Act
    await aws.kinesis.send(
      new PutRecordCommand({
        StreamName: output('telemetry-analytics', 'TelemetryStreamName'),
        PartitionKey: deviceId,
        Data: Buffer.from(JSON.stringify({ deviceId, receivedAt: Date.now() })),
      }),
    );

    // Assess
    const kept = await waitFor('the invalid record in the evaluate failures queue', async () => {
      const received = await aws.sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      const recordOf = (body: string | undefined) => {
        const data = (JSON.parse(body ?? '{}') as { data?: string }).data ?? '';
        return JSON.parse(Buffer.from(data, 'base64').toString('utf8') || '{}') as { deviceId?: string };
      };
      return (received.Messages ?? []).find((m) => recordOf(m.Body).deviceId === deviceId);
    });
    const body = JSON.parse(kept.Body ?? '{}');
    expect(body).toMatchObject({
      source: 'telemetry-stream',
      reason: expect.stringMatching(/^Invalid telemetry event: .*timestamp/),
      sequenceNumber: expect.stringMatching(/^\d+$/),
    });
    expect(JSON.parse(Buffer.from(body.data, 'base64').toString('utf8'))).toMatchObject({ deviceId });
  });
});
