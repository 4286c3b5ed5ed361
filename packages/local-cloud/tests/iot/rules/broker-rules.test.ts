import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { MqttBroker } from '../../../src/iot/broker';
import { RulesEngine, TopicRuleRegistry } from '../../../src/iot/rules';
import { closeClients, connect, inbox, startBroker } from '../broker/mqtt-fixture';
import { recordingTargets, waitFor } from './rules-fixture';

const V2 = '2016-03-23';

function onPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, binary);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

describe('broker and rules engine together', () => {
  let broker: MqttBroker;
  let engine: RulesEngine;
  let registry: TopicRuleRegistry;
  let calls: ReturnType<typeof recordingTargets>['calls'];

  beforeEach(async () => {
    ({ broker } = await startBroker());
    registry = new TopicRuleRegistry();
    const recording = recordingTargets();
    calls = recording.calls;
    engine = new RulesEngine({ registry, targets: { ...recording.targets, republish: broker } });
    broker.addObserver(engine);
  });

  afterEach(async () => {
    await closeClients();
    await broker.close();
  });

  it('runs the named rule for a Basic Ingest publish, which no subscriber receives', async () => {
    // Prepare
    await registry.putTopicRule(
      'telemetry_rule',
      {
        sql: "SELECT topic(2) AS deviceId, temperature FROM 'devices/+/telemetry'",
        awsIotSqlVersion: V2,
        actions: [{ kinesis: { streamName: 'telemetry', partitionKey: '${topic(2)}' } }],
      },
      { stackName: 'iot-ingestion-rules-local' },
    );
    const watcher = await connect(broker.url, { clientId: 'watcher' });
    const received = inbox(watcher);
    await watcher.subscribeAsync('#', { qos: 1 });
    const device = await connect(broker.url, { clientId: 'device-4' });

    // Act
    await device.publishAsync('$aws/rules/telemetry_rule/devices/d4/telemetry', '{"temperature":30}', { qos: 1 });
    await device.publishAsync('devices/d4/telemetry', '{"temperature":31}', { qos: 1 });
    await received.next('devices/d4/telemetry');
    await waitFor(() => calls.kinesis.length >= 2);
    await engine.idle();

    // Assess
    expect(calls.kinesis).toEqual([
      { stream: 'telemetry', data: '{"deviceId":"d4","temperature":30}', partitionKey: 'd4' },
      { stream: 'telemetry', data: '{"deviceId":"d4","temperature":31}', partitionKey: 'd4' },
    ]);
    expect(received.messages.map((m) => m.topic)).toEqual(['devices/d4/telemetry']);
  });

  it('republishes through the broker to subscribers', async () => {
    // Prepare
    await registry.putTopicRule(
      'alerts',
      {
        sql: "SELECT temperature FROM 'devices/+/telemetry' WHERE temperature > 50",
        awsIotSqlVersion: V2,
        actions: [{ republish: { topic: 'alerts/${topic(2)}', qos: 1 } }],
      },
      { stackName: 's' },
    );
    const app = await connect(broker.url, { clientId: 'app' });
    const received = inbox(app);
    await app.subscribeAsync('alerts/+', { qos: 1 });
    const device = await connect(broker.url, { clientId: 'd8' });

    // Act
    await device.publishAsync('devices/d8/telemetry', '{"temperature":80}', { qos: 1 });

    // Assess
    const alert = await received.next('alerts/d8');
    expect(alert.payload.toString()).toBe('{"temperature":80}');
  });

  it('receives with mqtt.js what Debian mosquitto_pub publishes, and runs the rules on it', async () => {
    const mosquittoPub = onPath('mosquitto_pub');
    if (!mosquittoPub) {
      console.warn('Skipped: mosquitto_pub is not on PATH (apt-get install -y mosquitto-clients)');
      return;
    }
    // Prepare
    await registry.putTopicRule(
      'from_mosquitto',
      {
        sql: "SELECT * FROM 'legacy/+/status'",
        actions: [{ lambda: { functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f' } }],
      },
      { stackName: 's' },
    );
    const app = await connect(broker.url, { clientId: 'mqttjs-app' });
    const received = inbox(app);
    await app.subscribeAsync('legacy/+/status', { qos: 1 });

    // Act
    await new Promise<void>((resolve, reject) =>
      execFile(
        mosquittoPub,
        [
          '-h',
          broker.host,
          '-p',
          String(broker.port),
          '-i',
          'mosquitto-device',
          '-q',
          '1',
          '-V',
          'mqttv311',
          '-t',
          'legacy/m1/status',
          '-m',
          '{"up":true}',
        ],
        (error) => (error ? reject(error) : resolve()),
      ),
    );

    // Assess
    const message = await received.next('legacy/m1/status');
    expect(message.payload.toString()).toBe('{"up":true}');
    await waitFor(() => calls.lambda.length >= 1);
    await engine.idle();
    expect(calls.lambda.map((c) => c.event)).toEqual([{ up: true }]);
  });

  it('accepts an MQTT 5 publish from mosquitto_pub', async () => {
    const mosquittoPub = onPath('mosquitto_pub');
    if (!mosquittoPub) {
      console.warn('Skipped: mosquitto_pub is not on PATH (apt-get install -y mosquitto-clients)');
      return;
    }
    // Prepare
    const app = await connect(broker.url, { clientId: 'mqttjs-app-5', protocolVersion: 5 });
    const received = inbox(app);
    await app.subscribeAsync('legacy/+/v5', { qos: 1 });

    // Act
    await new Promise<void>((resolve, reject) =>
      execFile(
        mosquittoPub,
        [
          '-h',
          broker.host,
          '-p',
          String(broker.port),
          '-i',
          'mosquitto-v5',
          '-q',
          '1',
          '-V',
          'mqttv5',
          '-t',
          'legacy/m2/v5',
          '-m',
          'five',
        ],
        (error) => (error ? reject(error) : resolve()),
      ),
    );

    // Assess
    expect((await received.next('legacy/m2/v5')).payload.toString()).toBe('five');
  });
});
