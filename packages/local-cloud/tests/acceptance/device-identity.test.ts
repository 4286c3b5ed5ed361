/**
 * Device identity end to end: a device registered through `POST /devices` gets its certificate and key, connects
 * over MQTT over TLS (mqtt.js and Debian's mosquitto_pub with the key, the certificate and the local CA), publishes
 * telemetry that reaches the pipeline (the raw archive in S3), and is refused (connection closed) on another device's
 * topic. A certificate made INACTIVE or REVOKED, or no client certificate at all, cannot connect.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeCertificateCommand, UpdateCertificateCommand } from '@aws-sdk/client-iot';
import { type RegisteredDevice, RegisteredDeviceSchema } from '@iot/types';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import type { LocalCloud } from '../../src/local-cloud';
import { type AppUser, restApi, signIn } from './device-api-clients';
import { ensureMosquittoClients } from './iot-clients';
import { type AwsClients, awsClients, eventually, type StartedCloud, startCloud } from './local-cloud-fixture';
import { readJsonLines } from './pipeline-clients';

jest.setTimeout(60_000);

let started: StartedCloud;
let cloud: LocalCloud;
let aws: AwsClients;
let user: AppUser;
let caCertificatePem: string;
let caCertificateFile: string;
const runId = Date.now().toString(36);
const clients: MqttClient[] = [];

async function register(deviceId: string): Promise<RegisteredDevice> {
  const answer = await restApi(cloud.endpoints.api)('/devices', {
    as: user,
    method: 'POST',
    json: { deviceId, type: 'sensor' },
  });
  if (answer.status !== 201) throw new Error(`POST /devices ${deviceId}: ${answer.status} ${answer.text}`);
  return RegisteredDeviceSchema.parse(answer.body);
}

/** mqtt.js over TLS to where `POST /devices` said, trusting the local CA; rejects when the connection is refused. */
async function connectTls(device: RegisteredDevice, options: IClientOptions = {}): Promise<MqttClient> {
  const client = await connectAsync(
    `mqtts://${device.mqtt.host}:${device.mqtt.port}`,
    {
      clientId: device.mqtt.clientId,
      cert: device.certificate.certificatePem,
      key: device.certificate.privateKey,
      ca: caCertificatePem,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      ...options,
    },
    false,
  );
  clients.push(client);
  return client;
}

const refusal = (attempt: Promise<unknown>) =>
  attempt.then(
    () => 'connected',
    (error: Error) => `refused: ${error.message}`,
  );

function closedConnection(client: MqttClient): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!client.connected) return resolve();
    const timer = setTimeout(() => reject(new Error('The connection stayed open')), 5_000);
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Runs a program to its end: its exit code and what it wrote to stderr. */
function run(file: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8', timeout: 15_000 }, (error, _stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
    );
  });
}

const rawArchive = () =>
  readJsonLines(aws.s3, cloud.deployed['telemetry-analytics']?.outputs.RawArchiveBucketName as string, 'raw/');

beforeAll(async () => {
  started = await startCloud();
  cloud = started.cloud;
  aws = awsClients(cloud.endpoints.edge);
  user = await signIn(cloud.endpoints.edge, `identity-${runId}`);
  const ca = await fetch(`${cloud.endpoints.edge}/_local/iot`);
  ({ caCertificatePem, caCertificateFile } = (await ca.json()) as {
    caCertificatePem: string;
    caCertificateFile: string;
  });
}, 180_000);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.endAsync(true).catch(() => undefined)));
  aws?.destroy();
  await cloud?.close();
  if (started) await rm(started.dataDir, { recursive: true, force: true });
});

describe('a device registered through POST /devices, over MQTT over TLS', () => {
  it('gets its certificate and key once, the device policy, and the TLS endpoint the local cloud serves', async () => {
    // Act
    const device = await register(`tls-${runId}-a`);
    const described = await aws.iot.send(
      new DescribeCertificateCommand({ certificateId: device.certificate.certificateId }),
    );

    // Assess
    expect(described.certificateDescription?.status).toBe('ACTIVE');
    expect(device.certificate.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(`mqtts://${device.mqtt.host}:${device.mqtt.port}`).toBe(cloud.endpoints.mqttTls);
    expect(device.mqtt.clientId).toBe(device.deviceId);
    expect(caCertificateFile.startsWith(started.dataDir)).toBe(true);
  });

  it('publishes telemetry with its certificate that reaches the pipeline (the raw archive)', async () => {
    // Prepare
    const device = await register(`tls-${runId}-b`);
    const client = await connectTls(device);
    const messageId = randomUUID();

    // Act
    await client.publishAsync(
      `devices/${device.deviceId}/telemetry`,
      JSON.stringify({ timestamp: Date.now(), metrics: { temperature: 21.5 }, messageId }),
      { qos: 1 },
    );
    const archived = await eventually('the message in the raw archive', async () => {
      const lines = await rawArchive();
      return lines.find(({ line }) => line.messageId === messageId);
    });

    // Assess
    expect(archived.line).toMatchObject({ deviceId: device.deviceId, metrics: { temperature: 21.5 } });
    expect(client.connected).toBe(true);
  });

  it("is refused, its connection closed, when it publishes on another device's topic; nothing gets through", async () => {
    // Prepare
    const device = await register(`tls-${runId}-c`);
    const other = await register(`tls-${runId}-d`);
    const client = await connectTls(device);
    const messageId = randomUUID();

    // Act
    client.publish(
      `devices/${other.deviceId}/telemetry`,
      JSON.stringify({ timestamp: Date.now(), metrics: { temperature: 99 }, messageId }),
      { qos: 1 },
    );
    await closedConnection(client);
    const impostor = await refusal(connectTls(device, { clientId: other.deviceId }));
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    // Assess
    expect(client.connected).toBe(false);
    expect(impostor).toMatch(/^refused/);
    expect((await rawArchive()).some(({ line }) => line.messageId === messageId)).toBe(false);
  });

  it.each(['INACTIVE', 'REVOKED'] as const)('cannot connect once its certificate is %s', async (status) => {
    // Prepare
    const device = await register(`tls-${runId}-${status.toLowerCase()}`);
    const first = await refusal(connectTls(device));

    // Act
    await aws.iot.send(
      new UpdateCertificateCommand({ certificateId: device.certificate.certificateId, newStatus: status }),
    );
    const after = await refusal(connectTls(device));

    // Assess
    expect(first).toBe('connected');
    expect(after).toMatch(/^refused/);
  });

  it('cannot connect without a client certificate', async () => {
    // Prepare
    const device = await register(`tls-${runId}-nocert`);

    // Act
    const attempt = await refusal(connectTls(device, { cert: undefined, key: undefined }));

    // Assess
    expect(attempt).toMatch(/^refused/);
  });

  it("publishes with Debian's mosquitto_pub given --cafile, --cert and --key", async () => {
    // Prepare
    ensureMosquittoClients();
    const device = await register(`tls-${runId}-mosquitto`);
    const folder = await mkdtemp(join(tmpdir(), 'iot-device-'));
    await writeFile(join(folder, 'device.pem.crt'), device.certificate.certificatePem);
    await writeFile(join(folder, 'private.pem.key'), device.certificate.privateKey as string, { mode: 0o600 });
    const messageId = randomUUID();

    // Act
    // Asynchronously: the broker runs in this process.
    const result = await run('mosquitto_pub', [
      ...['-h', device.mqtt.host, '-p', String(device.mqtt.port), '-i', device.mqtt.clientId, '-V', 'mqttv311'],
      ...[
        '--cafile',
        caCertificateFile,
        '--cert',
        join(folder, 'device.pem.crt'),
        '--key',
        join(folder, 'private.pem.key'),
      ],
      ...['-q', '1', '-t', `devices/${device.deviceId}/telemetry`],
      ...['-m', JSON.stringify({ timestamp: Date.now(), metrics: { humidity: 40 }, messageId })],
    ]);
    expect(result).toEqual({ code: 0, stderr: '' });
    const archived = await eventually('the mosquitto_pub message in the raw archive', async () =>
      (await rawArchive()).find(({ line }) => line.messageId === messageId),
    );
    await rm(folder, { recursive: true, force: true });

    // Assess
    expect(archived.line).toMatchObject({ deviceId: device.deviceId, metrics: { humidity: 40 } });
  });
});

describe('a local cloud with plain MQTT switched off (plainMqtt: false, --no-plain-mqtt)', () => {
  let tlsOnly: StartedCloud;
  let plainPort: number;

  beforeAll(async () => {
    // A port known to be free, asked for and then switched off: nothing may listen on it.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    plainPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    tlsOnly = await startCloud(undefined, { plainMqtt: false, mqttPort: plainPort });
  }, 180_000);

  afterAll(async () => {
    await tlsOnly?.cloud.close();
    if (tlsOnly) await rm(tlsOnly.dataDir, { recursive: true, force: true });
  });

  it('serves MQTT over TLS only: no plain endpoint, nothing listening on the plain port', async () => {
    // Act
    const plain = await refusal(
      connectAsync(`mqtt://127.0.0.1:${plainPort}`, { reconnectPeriod: 0, connectTimeout: 3_000 }, false),
    );
    const written = JSON.parse(await readFile(join(tlsOnly.dataDir, 'endpoints.json'), 'utf8')) as Record<
      string,
      string
    >;

    // Assess
    expect(plain).toMatch(/^refused/);
    expect(tlsOnly.cloud.endpoints.mqtt).toBeUndefined();
    expect(written.mqtt).toBeUndefined();
    expect(written.mqttTls).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
  });
});
