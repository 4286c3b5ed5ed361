import { mkdtempSync, rmSync } from 'node:fs';
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
});
