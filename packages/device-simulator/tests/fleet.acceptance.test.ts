/**
 * A fleet of two simulated devices on the real local cloud: their readings go through Basic Ingest to the alerting
 * service, a configuration change made over the REST API reaches a device through its shadow and comes back as
 * reported, and a command sent over the REST API is answered by the device.
 */
import { rm } from 'node:fs/promises';
import type { Alarm, Command, DeviceConfigView } from '@iot/types';
import { connectAsync } from 'mqtt';
import { type AppUser, type RestApi, restApi, signIn } from '../../local-cloud/tests/acceptance/device-api-clients';
import { eventually, type StartedCloud, startCloud } from '../../local-cloud/tests/acceptance/local-cloud-fixture';
import {
  type Fleet,
  fleetDeviceIds,
  localCaCertificate,
  registerWithCertificates,
  startFleet,
  telemetryRuleNameFrom,
} from '../src';

jest.setTimeout(30_000);

let started: StartedCloud;
let api: RestApi;
let user: AppUser;
let fleet: Fleet;

const prefix = `sim${Date.now().toString(36)}`;
const [first, second] = fleetDeviceIds(2, prefix) as [string, string];

beforeAll(async () => {
  started = await startCloud();
  const { cloud } = started;
  api = restApi(cloud.endpoints.api);
  user = await signIn(cloud.endpoints.edge, 'simulator');
  for (const deviceId of [first, second]) {
    const registered = await api('/devices', { as: user, method: 'POST', json: { deviceId, type: 'sensor' } });
    expect(registered.status).toBe(201);
  }
  // Every reading of the first device is over this limit: its first message raises the alarm.
  const thresholds = await api(`/devices/${first}/thresholds`, {
    as: user,
    method: 'PUT',
    json: { rules: [{ metric: 'battery', comparison: 'above', value: -1, severity: 'warning' }] },
  });
  expect(thresholds.status).toBe(200);
  fleet = await startFleet({
    url: cloud.endpoints.mqtt as string,
    devices: 2,
    intervalSeconds: 1,
    prefix,
    basicIngest: true,
    ruleName: await telemetryRuleNameFrom(started.dataDir),
    seed: 42,
  });
}, 120_000);

afterAll(async () => {
  await fleet?.stop();
  await started?.cloud.close();
  if (started) await rm(started.dataDir, { recursive: true, force: true });
});

const deviceNamed = (deviceId: string) => {
  const device = fleet.devices.find((d) => d.deviceId === deviceId);
  if (!device) throw new Error(`No simulated device ${deviceId}`);
  return device;
};

describe('a simulated fleet on the local cloud', () => {
  it('publishes readings through Basic Ingest that reach the alerting service', async () => {
    // Act
    const alarm = await eventually(`an alarm of ${first}`, async () => {
      const answer = await api<{ alarms: Alarm[] }>(`/devices/${first}/alarms`, { as: user });
      return answer.body.alarms?.find((a) => a.metric === 'battery' && a.state === 'ALARM');
    });

    // Assess
    expect(alarm).toMatchObject({ deviceId: first, metric: 'battery', state: 'ALARM' });
    expect(fleet.stats()).toMatchObject({ devices: 2, connected: 2, errors: 0 });
    expect(fleet.stats().messagesSent).toBeGreaterThanOrEqual(2);
  });

  it('applies a reporting interval set with PUT /devices/{id}/config and reports it', async () => {
    // Act
    const put = await api(`/devices/${second}/config`, {
      as: user,
      method: 'PUT',
      json: { reportingIntervalSeconds: 7 },
    });
    const config = await eventually('the interval reported', async () => {
      const answer = await api<DeviceConfigView>(`/devices/${second}/config`, { as: user });
      return answer.body.reported?.reportingIntervalSeconds === 7 ? answer.body : undefined;
    });

    // Assess
    expect(put.status).toBe(200);
    expect(deviceNamed(second).configuration.reportingIntervalSeconds).toBe(7);
    expect(config.delta ?? {}).toEqual({});
    expect(config.reported).toMatchObject({ enabledSensors: ['temperature', 'humidity', 'battery', 'signalStrength'] });
    expect(fleet.stats().deltasApplied).toBeGreaterThanOrEqual(1);
  });

  it('answers a command sent with POST /devices/{id}/commands', async () => {
    // Prepare
    const sent = await api<Command>(`/devices/${first}/commands`, {
      as: user,
      method: 'POST',
      json: { name: 'sampleNow', parameters: { sensors: ['temperature'] } },
    });
    expect(sent.status).toBe(202);

    // Act
    const command = await eventually('the answer of the command', async () => {
      const answer = await api<Command>(`/devices/${first}/commands/${sent.body.commandId}`, { as: user });
      return answer.body.status === 'succeeded' ? answer.body : undefined;
    });

    // Assess
    expect(command.result?.output).toMatchObject({ metrics: { temperature: expect.any(Number) } });
    expect(fleet.stats().commandsAnswered).toBe(1);
  });

  it('rejects a command for a sensor it does not have, with the reason', async () => {
    // Prepare
    const sent = await api<Command>(`/devices/${first}/commands`, {
      as: user,
      method: 'POST',
      json: { name: 'sampleNow', parameters: { sensors: ['co2'] } },
    });
    expect(sent.status).toBe(202);

    // Act
    const command = await eventually('the refusal of the command', async () => {
      const answer = await api<Command>(`/devices/${first}/commands/${sent.body.commandId}`, { as: user });
      return answer.body.status === 'rejected' ? answer.body : undefined;
    });

    // Assess
    expect(command.result?.error).toEqual({ code: 'UnknownSensor', message: 'This device has no sensor co2' });
  });

  it('reconnects after losing its connection, and still follows its shadow', async () => {
    // Prepare
    const device = deviceNamed(second);
    const reconnectsBefore = device.stats.reconnects;
    // Another client with the device's id takes the connection over, as AWS IoT Core allows, then leaves.
    const intruder = await connectAsync(started.cloud.endpoints.mqtt as string, { clientId: second, clean: true });
    await eventually(`${second} to lose its connection`, async () => (device.stats.connected ? undefined : true));
    await intruder.endAsync();

    // Act
    await eventually(`${second} to reconnect`, async () => (device.stats.connected ? true : undefined));
    const put = await api(`/devices/${second}/config`, {
      as: user,
      method: 'PUT',
      json: { enabledSensors: ['temperature', 'humidity'] },
    });
    const config = await eventually('the sensors reported', async () => {
      const answer = await api<DeviceConfigView>(`/devices/${second}/config`, { as: user });
      const sensors = answer.body.reported?.enabledSensors as string[] | undefined;
      return sensors?.length === 2 ? answer.body : undefined;
    });

    // Assess
    expect(put.status).toBe(200);
    expect(device.stats.reconnects).toBeGreaterThan(reconnectsBefore);
    expect(device.configuration.enabledSensors).toEqual(['temperature', 'humidity']);
    expect(config.reported).toMatchObject({ reportingIntervalSeconds: 7, enabledSensors: ['temperature', 'humidity'] });
  });
});

describe('a simulated fleet over MQTT over TLS, with the certificates POST /devices issued', () => {
  it('registers its devices, connects each with its certificate under the device policy, and its readings raise alarms', async () => {
    // Prepare
    const { cloud } = started;
    const tlsPrefix = `tls${Date.now().toString(36)}`;
    const [device] = fleetDeviceIds(1, tlsPrefix) as [string];
    const registered = await registerWithCertificates({
      apiUrl: cloud.endpoints.api,
      token: user.token,
      deviceIds: [device],
      ca: await localCaCertificate(cloud.endpoints.edge),
    });
    const limit = await api(`/devices/${device}/thresholds`, {
      as: user,
      method: 'PUT',
      json: { rules: [{ metric: 'battery', comparison: 'above', value: -1, severity: 'warning' }] },
    });
    expect(limit.status).toBe(200);

    // Act
    const tlsFleet = await startFleet({
      url: registered.url,
      tls: registered.tls,
      devices: 1,
      intervalSeconds: 1,
      prefix: tlsPrefix,
      basicIngest: true,
      ruleName: await telemetryRuleNameFrom(started.dataDir),
      reconnectPeriodMs: 0,
    });
    try {
      const alarm = await eventually(`an alarm of ${device}`, async () => {
        const answer = await api<{ alarms: Alarm[] }>(`/devices/${device}/alarms`, { as: user });
        return answer.body.alarms?.find((a) => a.metric === 'battery' && a.state === 'ALARM');
      });
      const again = registerWithCertificates({
        apiUrl: cloud.endpoints.api,
        token: user.token,
        deviceIds: [device],
        ca: 'unused',
      });

      // Assess
      expect(registered.url).toBe(cloud.endpoints.mqttTls);
      expect(alarm).toMatchObject({ deviceId: device, state: 'ALARM' });
      expect(tlsFleet.stats()).toMatchObject({ devices: 1, connected: 1, reconnects: 0, errors: 0 });
      await expect(again).rejects.toThrow(/registered already/);
    } finally {
      await tlsFleet.stop();
    }
  });
});
