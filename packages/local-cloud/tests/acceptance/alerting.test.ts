/**
 * Scenario 1 end to end on the running local cloud: thresholds set over the REST API, telemetry published with
 * mqtt.js (plain topic and Basic Ingest), the ingestion rule invoking the alerting service, and its notifications
 * received by an HTTP endpoint subscribed to the alerts topic; then the alarms, their history and an acknowledgement
 * through the REST API, and the missing-data check run through the local scheduler. Only real clients: mqtt.js,
 * fetch, the AWS SDK against the edge endpoint.
 *
 * Thresholds are cached in the evaluate function for `thresholdCacheTtlSeconds` (60 s): every test uses devices of
 * its own, whose rules are set before their first reading, so no cached rule is ever stale.
 */
import { rm } from 'node:fs/promises';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { Alarm, AlarmHistoryPage, AlarmsPage, GetAlarmsResponse } from '@iot/types';
import type { LocalCloud } from '../../src/local-cloud';
import { type AwsClients, awsClients, type StartedCloud, startCloud } from './local-cloud-fixture';
import {
  basicIngestTopic,
  endedInvocations,
  MqttPublisher,
  type RestApi,
  registerDevices,
  restApi,
  type SignedInUser,
  signIn,
  stackOutput,
  type TelemetryPayload,
  telemetryTopic,
  waitFor,
} from './pipeline-clients';
import { type SnsHttpMessage, SnsHttpSubscriber } from './pipeline-sns-subscriber';

jest.setTimeout(30_000);

let started: StartedCloud;
let cloud: LocalCloud;
let aws: AwsClients;
let user: SignedInUser;
let api: RestApi;
let alerts: SnsHttpSubscriber;
let device: MqttPublisher;

const run = Date.now().toString(36);
/** Readings are taken a minute ago and on: in the past, as the broker receives them. */
const t0 = Date.now() - 60_000;

const output = (service: string, name: string) => stackOutput(cloud, service, name);
const evaluateFunction = () => output('alerting', 'EvaluateTelemetryFunctionName');

beforeAll(async () => {
  started = await startCloud();
  cloud = started.cloud;
  aws = awsClients(cloud.endpoints.edge);
  user = await signIn(cloud.endpoints.edge, `operator-${run}`);
  api = restApi(cloud.endpoints.api, user);
  // The devices of every test below, the user's own.
  await registerDevices(api, ...['greenhouse', 'cellar', 'boiler', 'attic'].map((name) => `${name}-${run}`));
  alerts = await SnsHttpSubscriber.subscribe(aws.sns, output('alerting', 'AlertsTopicArn'));
  device = await MqttPublisher.connect(cloud.endpoints.mqtt as string, `alerting-acceptance-${run}`);
}, 180_000);

afterAll(async () => {
  await device?.end();
  await alerts?.close();
  aws?.destroy();
  await cloud?.close();
  if (started) await rm(started.dataDir, { recursive: true, force: true });
});

/** Sets a device's own threshold rules over the REST API. */
async function putThresholds(deviceId: string, rules: Record<string, unknown>[]) {
  const answer = await api<{ rules: Record<string, unknown>[] }>(`/devices/${deviceId}/thresholds`, {
    method: 'PUT',
    json: { rules },
  });
  expect(answer.status).toBe(200);
  expect(answer.body.rules).toEqual(rules.map((rule) => ({ ...rule, source: 'device' })));
}

/** The device's alarm of `metric`, as GET /devices/{id}/alarms answers it. */
async function alarmOf(deviceId: string, metric: string): Promise<Alarm | undefined> {
  const answer = await api<GetAlarmsResponse>(`/devices/${deviceId}/alarms`);
  expect(answer.status).toBe(200);
  return answer.body.alarms.find((alarm) => alarm.metric === metric);
}

/** Waits until the alarm has evaluated the reading taken at `timestamp` (or a later one). */
function evaluated(deviceId: string, metric: string, timestamp: number): Promise<Alarm> {
  return waitFor(`${deviceId} ${metric} to evaluate the reading of ${timestamp}`, async () => {
    const alarm = await alarmOf(deviceId, metric);
    return alarm && (alarm.lastReadingAt ?? 0) >= timestamp ? alarm : undefined;
  });
}

/** Publishes a reading on the plain topic and waits until the alarm has evaluated it. */
async function publishAndEvaluate(deviceId: string, metric: string, payload: TelemetryPayload): Promise<Alarm> {
  await device.publish(telemetryTopic(deviceId), payload);
  return evaluated(deviceId, metric, payload.timestamp);
}

const reading = (deviceId: string, metric: string, value: number, offsetMs: number): TelemetryPayload => ({
  timestamp: t0 + offsetMs,
  metrics: { [metric]: value },
  messageId: `${deviceId}-${offsetMs}`,
});

/** The states of the notifications received for a device, in arrival order. */
const statesOf = (deviceId: string) => alerts.notifications({ deviceId }).map((n) => n.MessageAttributes?.state?.Value);

const attributesOf = (notification: SnsHttpMessage) =>
  Object.fromEntries(Object.entries(notification.MessageAttributes ?? {}).map(([name, a]) => [name, a.Value]));

describe('an alarm on readings published on devices/{id}/telemetry', () => {
  const deviceId = `greenhouse-${run}`;
  const rule = { metric: 'temperature', comparison: 'above', value: 30, clearValue: 25, severity: 'critical' };

  it('is raised once, with one notification naming the device, metric, value and severity', async () => {
    // Prepare
    await putThresholds(deviceId, [rule]);
    const first = await publishAndEvaluate(deviceId, 'temperature', reading(deviceId, 'temperature', 20, 0));
    expect(first).toMatchObject({ state: 'OK', lastValue: 20 });

    // Act
    await device.publish(telemetryTopic(deviceId), reading(deviceId, 'temperature', 35, 1_000));

    // Assess
    const [raised] = await alerts.waitForNotifications({ deviceId, state: 'ALARM' });
    expect(raised).toMatchObject({
      Type: 'Notification',
      TopicArn: output('alerting', 'AlertsTopicArn'),
      Subject: `ALARM (critical): ${deviceId} temperature`,
      Message:
        `ALARM (was OK): temperature 35 is above 30. Device ${deviceId}, metric temperature, value 35, ` +
        `threshold above 30, severity critical, at ${new Date(t0 + 1_000).toISOString()}.`,
    });
    expect(attributesOf(raised as SnsHttpMessage)).toEqual({
      deviceId,
      metric: 'temperature',
      severity: 'critical',
      state: 'ALARM',
    });
    expect(statesOf(deviceId)).toEqual(['ALARM']);
  });

  it('stays quiet for the same message delivered twice, a late reading, a repeated reading and a reading inside the hysteresis band, then clears once', async () => {
    // Prepare
    const invocationsBefore = await endedInvocations(started.dataDir, evaluateFunction());
    const duplicate = reading(deviceId, 'temperature', 35, 1_000);

    // Act
    await device.publish(telemetryTopic(deviceId), duplicate);
    await device.publish(telemetryTopic(deviceId), duplicate);
    // Taken before the reading that raised the alarm: older than the alarm's last reading, it changes nothing.
    await device.publish(telemetryTopic(deviceId), reading(deviceId, 'temperature', 99, 500));
    await device.publish(telemetryTopic(deviceId), reading(deviceId, 'temperature', 36, 2_000));
    const inBand = await publishAndEvaluate(deviceId, 'temperature', reading(deviceId, 'temperature', 27, 3_000));
    await waitFor('the five readings to be evaluated', async () =>
      (await endedInvocations(started.dataDir, evaluateFunction())) >= invocationsBefore + 5 ? true : undefined,
    );
    const quiet = statesOf(deviceId);
    await device.publish(telemetryTopic(deviceId), reading(deviceId, 'temperature', 24, 4_000));

    // Assess
    expect(inBand).toMatchObject({ state: 'ALARM', lastValue: 27, lastReadingAt: t0 + 3_000 });
    expect(quiet).toEqual(['ALARM']);
    const [, cleared] = await alerts.waitForNotifications({ deviceId }, 2);
    expect(cleared).toMatchObject({
      Subject: `OK: ${deviceId} temperature`,
      Message: expect.stringMatching(
        new RegExp(`^OK \\(was ALARM\\): temperature 24 is back at or below 25\\. Device ${deviceId}, .*value 24,`),
      ),
    });
    expect(attributesOf(cleared as SnsHttpMessage)).toMatchObject({ state: 'OK', severity: 'critical' });
    await waitFor('the clearing reading to be evaluated', async () =>
      (await endedInvocations(started.dataDir, evaluateFunction())) >= invocationsBefore + 6 ? true : undefined,
    );
    expect(statesOf(deviceId)).toEqual(['ALARM', 'OK']);
  });

  it('keeps both changes in GET /devices/{id}/alarms/history, newest first', async () => {
    // Act
    const history = await api<AlarmHistoryPage>(`/devices/${deviceId}/alarms/history`);

    // Assess
    expect(history.status).toBe(200);
    expect(history.body.items).toEqual([
      expect.objectContaining({
        metric: 'temperature',
        state: 'OK',
        previousState: 'ALARM',
        value: 24,
        timestamp: t0 + 4_000,
        severity: 'critical',
      }),
      expect.objectContaining({
        metric: 'temperature',
        state: 'ALARM',
        previousState: 'OK',
        value: 35,
        threshold: 30,
        timestamp: t0 + 1_000,
      }),
    ]);
    expect(history.body.nextToken).toBeUndefined();
  });
});

describe('an alarm on readings published through Basic Ingest', () => {
  const deviceId = `cellar-${run}`;

  it('reaches the rule from $aws/rules/<rule>/devices/{id}/telemetry and raises the alarm of its first reading', async () => {
    // Prepare
    await putThresholds(deviceId, [{ metric: 'humidity', comparison: 'below', value: 20, severity: 'warning' }]);
    const topic = basicIngestTopic(output('ingestion-rules', 'TelemetryRuleName'), deviceId);

    // Act
    await device.publish(topic, reading(deviceId, 'humidity', 15, 0));

    // Assess
    const [raised] = await alerts.waitForNotifications({ deviceId });
    expect(raised).toMatchObject({
      Subject: `ALARM (warning): ${deviceId} humidity`,
      Message: expect.stringMatching(/^ALARM \(was INSUFFICIENT_DATA\): humidity 15 is below 20\. /),
    });
    expect(attributesOf(raised as SnsHttpMessage)).toEqual({
      deviceId,
      metric: 'humidity',
      severity: 'warning',
      state: 'ALARM',
    });
    expect(await evaluated(deviceId, 'humidity', t0)).toMatchObject({ state: 'ALARM', lastValue: 15 });
  });
});

describe('an alarm with M of N datapoints (2 of the last 3 readings)', () => {
  const deviceId = `boiler-${run}`;

  it('is raised by the second breaching reading among the last three, not by the first', async () => {
    // Prepare
    await putThresholds(deviceId, [
      {
        metric: 'pressure',
        comparison: 'above',
        value: 100,
        datapointsToAlarm: 2,
        evaluationPeriods: 3,
        severity: 'minor',
      },
    ]);
    const before: Alarm[] = [];
    for (const [value, offset] of [
      [90, 0],
      [101, 1_000],
      [95, 2_000],
    ] as const) {
      before.push(await publishAndEvaluate(deviceId, 'pressure', reading(deviceId, 'pressure', value, offset)));
    }
    const quiet = statesOf(deviceId);

    // Act
    await device.publish(telemetryTopic(deviceId), reading(deviceId, 'pressure', 102, 3_000));

    // Assess
    expect(before.map((alarm) => [alarm.state, alarm.lastValue])).toEqual([
      ['OK', 90],
      ['OK', 101],
      ['OK', 95],
    ]);
    expect(quiet).toEqual([]);
    const [raised] = await alerts.waitForNotifications({ deviceId });
    expect(raised).toMatchObject({
      Subject: `ALARM (minor): ${deviceId} pressure`,
      Message: expect.stringMatching(/^ALARM \(was OK\): .*value 102, threshold above 100, severity minor,/),
    });
    expect(await evaluated(deviceId, 'pressure', t0 + 3_000)).toMatchObject({ state: 'ALARM', lastValue: 102 });
    expect(statesOf(deviceId)).toEqual(['ALARM']);
  });
});

describe('the fleet view and acknowledgements', () => {
  const ingestDevice = `cellar-${run}`;
  const debounceDevice = `boiler-${run}`;

  it('lists the alarms in ALARM in GET /alarms?state=ALARM, and not the one that cleared', async () => {
    // Act
    const page = await api<AlarmsPage>('/alarms?state=ALARM');

    // Assess
    expect(page.status).toBe(200);
    expect(page.body.state).toBe('ALARM');
    expect(page.body.items.map((alarm) => [alarm.deviceId, alarm.metric]).sort()).toEqual(
      [
        [debounceDevice, 'pressure'],
        [ingestDevice, 'humidity'],
      ].sort(),
    );
  });

  it('records who acknowledged an alarm and when (POST /devices/{id}/alarms/{metric}/ack), seen in both views', async () => {
    // Prepare
    const before = Date.now();

    // Act
    const ack = await api<Alarm>(`/devices/${ingestDevice}/alarms/humidity/ack`, { method: 'POST' });

    // Assess
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({
      deviceId: ingestDevice,
      metric: 'humidity',
      state: 'ALARM',
      acknowledgedBy: user.sub,
    });
    expect(ack.body.acknowledgedAt).toBeGreaterThanOrEqual(before);
    expect(await alarmOf(ingestDevice, 'humidity')).toMatchObject({
      acknowledgedBy: user.sub,
      acknowledgedAt: ack.body.acknowledgedAt,
    });
    const fleet = await api<AlarmsPage>('/alarms?state=ALARM');
    expect(fleet.body.items.find((alarm) => alarm.deviceId === ingestDevice)).toMatchObject({
      acknowledgedBy: user.sub,
    });
    expect(fleet.body.items.find((alarm) => alarm.deviceId === debounceDevice)?.acknowledgedBy).toBeUndefined();
    // An acknowledgement is not a change of state: nothing is published.
    expect(statesOf(ingestDevice)).toEqual(['ALARM']);
  });
});

describe('missing data', () => {
  const deviceId = `attic-${run}`;

  /** The EventBridge rule of checkAlarms, found through the scheduler's local route by its target. */
  async function checkAlarmsRule(): Promise<string> {
    const answer = await fetch(`${cloud.endpoints.edge}/_local/schedules`);
    const { rules } = (await answer.json()) as { rules: { name: string; targets: { arn: string }[] }[] };
    const checkAlarms = `:function:${output('alerting', 'CheckAlarmsFunctionName')}`;
    const found = rules.find((rule) => rule.targets.some((target) => target.arn.endsWith(checkAlarms)));
    if (!found) throw new Error(`No schedule targets ${checkAlarms}: ${JSON.stringify(rules)}`);
    return found.name;
  }

  it('moves a device silent for missingDataMinutes to INSUFFICIENT_DATA once, when the scheduled check runs', async () => {
    // Prepare
    await putThresholds(deviceId, [{ metric: 'temperature', comparison: 'above', value: 30, missingDataMinutes: 10 }]);
    await publishAndEvaluate(deviceId, 'temperature', reading(deviceId, 'temperature', 21, 0));
    const ruleName = await checkAlarmsRule();
    // Ten minutes of silence, plus the minute (a tenth of the period) the alarm's last reading written may lag the
    // last reading received (see alarmRefreshSeconds in the alerting README), plus a minute for the event's time,
    // which has whole seconds.
    const twelveMinutesLater = Date.now() + 12 * 60_000;

    // Act: the run of the schedule twelve minutes from now, run now.
    const ran = await fetch(`${cloud.endpoints.edge}/_local/schedules/${encodeURIComponent(ruleName)}/run`, {
      method: 'POST',
      body: JSON.stringify({ time: twelveMinutesLater }),
    });

    // Assess
    expect(ran.status).toBe(200);
    expect(((await ran.json()) as { deliveries: { ok: boolean }[] }).deliveries).toEqual([
      expect.objectContaining({ ok: true }),
    ]);
    const [noData] = await alerts.waitForNotifications({ deviceId });
    expect(noData).toMatchObject({
      Subject: `No data: ${deviceId} temperature`,
      Message: expect.stringMatching(/^INSUFFICIENT_DATA \(was OK\): no temperature reading for 10 minutes\. /),
    });
    expect(attributesOf(noData as SnsHttpMessage)).toEqual({
      deviceId,
      metric: 'temperature',
      severity: 'major',
      state: 'INSUFFICIENT_DATA',
    });
  });

  it('does not notify again on a later run, and keeps the change in the history', async () => {
    // Prepare: the first run has finished once its notification is marked published on the alarm.
    await waitFor('the missing-data change to be marked published', async () => {
      const { Item } = await aws.dynamodb.send(
        new GetItemCommand({
          TableName: output('alerting', 'AlarmsTableName'),
          Key: { deviceId: { S: deviceId }, metric: { S: 'temperature' } },
          ConsistentRead: true,
        }),
      );
      return Item?.state?.S === 'INSUFFICIENT_DATA' && !Item.pendingNotification ? true : undefined;
    });

    // Act: the run of twelve minutes from now, invoked as EventBridge would, waiting for its answer.
    const answer = await aws.lambda.send(
      new InvokeCommand({
        FunctionName: output('alerting', 'CheckAlarmsFunctionName'),
        Payload: JSON.stringify({
          version: '0',
          id: `acceptance-${run}`,
          'detail-type': 'Scheduled Event',
          source: 'aws.events',
          account: '000000000000',
          time: new Date(Date.now() + 13 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          region: 'us-east-1',
          resources: [],
          detail: {},
        }),
      }),
    );

    // Assess
    expect(answer.FunctionError).toBeUndefined();
    const summary = JSON.parse(Buffer.from(answer.Payload ?? new Uint8Array()).toString('utf8'));
    expect(summary).toMatchObject({ failed: 0 });
    expect(summary.outcomes).not.toHaveProperty('insufficient-data');
    expect(summary.outcomes).not.toHaveProperty('renotified');
    expect(statesOf(deviceId)).toEqual(['INSUFFICIENT_DATA']);
    const history = await api<AlarmHistoryPage>(`/devices/${deviceId}/alarms/history`);
    expect(history.body.items).toEqual([
      expect.objectContaining({ metric: 'temperature', state: 'INSUFFICIENT_DATA', previousState: 'OK' }),
    ]);
    expect(history.body.items[0]?.value).toBeUndefined();
    expect(await alarmOf(deviceId, 'temperature')).toMatchObject({ state: 'INSUFFICIENT_DATA', lastValue: 21 });
  });
});
