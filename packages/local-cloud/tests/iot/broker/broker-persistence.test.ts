import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeClients, connect, connectForConnack, inbox, startBroker } from './mqtt-fixture';

describe('MQTT broker with a data folder', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'iot-broker-'));
  });

  afterEach(async () => {
    await closeClients();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps retained messages and persistent sessions across a restart', async () => {
    // Prepare
    const first = await startBroker({ dataDir });
    const device = await connect(first.broker.url, { clientId: 'device-p', clean: false });
    await device.subscribeAsync('commands/device-p', { qos: 1 });
    await device.endAsync();
    const app = await connect(first.broker.url, { clientId: 'app-p' });
    await app.publishAsync('devices/p/config', '{"rate":5}', { qos: 1, retain: true });
    await app.publishAsync('commands/device-p', 'reboot', { qos: 1 });
    await app.endAsync();
    await first.broker.close();

    // Act
    const second = await startBroker({ dataDir, port: 0 });
    const { client: back, connack } = await connectForConnack(second.broker.url, {
      clientId: 'device-p',
      clean: false,
    });
    const received = inbox(back);
    await back.subscribeAsync('devices/p/config', { qos: 1 });

    // Assess
    expect(connack.sessionPresent).toBe(true);
    expect((await received.next('commands/device-p')).payload.toString()).toBe('reboot');
    expect((await received.next('devices/p/config')).payload.toString()).toBe('{"rate":5}');
    await closeClients();
    await second.broker.close();
  });

  it('has a QoS 1 retained message on disk by the time it sends the PUBACK', async () => {
    // Prepare
    const { broker } = await startBroker({ dataDir });
    const app = await connect(broker.url, { clientId: 'app-r' });

    // Act: what a crash right after the PUBACK would find in the data folder
    await app.publishAsync('devices/r/config', '{"rate":7}', { qos: 1, retain: true });
    const onDisk = readFileSync(join(dataDir, 'broker.json'), 'utf8');

    // Assess
    const saved = JSON.parse(onDisk) as { retained: { topic: string; payload: string }[] };
    expect(saved.retained).toEqual([
      expect.objectContaining({ topic: 'devices/r/config', payload: Buffer.from('{"rate":7}').toString('base64') }),
    ]);
    await closeClients();
    await broker.close();
  });

  it('has a QoS 1 message for an offline persistent session on disk by the time it sends the PUBACK', async () => {
    // Prepare
    const { broker } = await startBroker({ dataDir });
    const device = await connect(broker.url, { clientId: 'device-q', clean: false });
    await device.subscribeAsync('commands/device-q', { qos: 1 });
    await device.endAsync();
    const app = await connect(broker.url, { clientId: 'app-q' });

    // Act: what a crash right after the PUBACK would find in the data folder
    await app.publishAsync('commands/device-q', 'reboot', { qos: 1 });
    const onDisk = readFileSync(join(dataDir, 'broker.json'), 'utf8');

    // Assess
    const saved = JSON.parse(onDisk) as {
      sessions: { clientId: string; queued: { topic: string; payload: string }[] }[];
    };
    expect(saved.sessions.find((session) => session.clientId === 'device-q')?.queued).toEqual([
      expect.objectContaining({ topic: 'commands/device-q', payload: Buffer.from('reboot').toString('base64') }),
    ]);
    await closeClients();
    await broker.close();
  });

  it('keeps the newest of several retained messages published back to back on one topic', async () => {
    // Prepare
    const first = await startBroker({ dataDir });
    const app = await connect(first.broker.url, { clientId: 'app-n' });

    // Act
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        app.publishAsync('devices/n/config', JSON.stringify({ rate: i }), { qos: 1, retain: true }),
      ),
    );
    await app.publishAsync('devices/n/config', '{"rate":"last"}', { qos: 1, retain: true });
    await closeClients();
    await first.broker.close();
    const second = await startBroker({ dataDir, port: 0 });
    const reader = await connect(second.broker.url, { clientId: 'reader-n' });
    const received = inbox(reader);
    await reader.subscribeAsync('devices/n/config', { qos: 1 });

    // Assess
    expect((await received.next('devices/n/config')).payload.toString()).toBe('{"rate":"last"}');
    await closeClients();
    await second.broker.close();
  });

  it('leaves the state file as it is for messages no persistent session keeps', async () => {
    // Prepare: a persistent session, so the state file exists
    const { broker } = await startBroker({ dataDir });
    const device = await connect(broker.url, { clientId: 'device-q', clean: false });
    await device.subscribeAsync('commands/device-q', { qos: 1 });
    const app = await connect(broker.url, { clientId: 'app-q' });
    const before = statSync(join(dataDir, 'broker.json'));

    // Act
    for (let i = 0; i < 5; i++) await app.publishAsync('devices/q/telemetry', `{"temperature":${i}}`, { qos: 1 });
    const afterTelemetry = statSync(join(dataDir, 'broker.json'));
    await device.subscribeAsync('commands/device-q/reboot', { qos: 1 });
    const afterSubscription = statSync(join(dataDir, 'broker.json'));

    // Assess: every write replaces the file (a new inode); the telemetry caused none, the subscription one
    expect(afterTelemetry.ino).toBe(before.ino);
    expect(afterSubscription.ino).not.toBe(before.ino);
    await closeClients();
    await broker.close();
  });
});
