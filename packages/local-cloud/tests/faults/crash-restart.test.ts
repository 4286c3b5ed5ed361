/**
 * The local cloud killed with SIGKILL while devices publish, then started again on the same data folder: what it
 * acknowledged before the kill is still there (a registered device, DynamoDB items, S3 objects, a shadow, a retained
 * message, a persistent session with the QoS 1 message queued for it), and devices using mqtt.js with reconnection
 * come back and carry on. The local cloud runs as `pnpm start` runs it: `src/cli/main.ts` in a child process, on ports
 * of its own and a data folder of its own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeThingCommand, IoTClient } from '@aws-sdk/client-iot';
import { GetThingShadowCommand, IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { connect, connectAsync, type MqttClient } from 'mqtt';
import { ROOT } from '../acceptance/local-cloud-fixture';
import { waitFor } from '../acceptance/pipeline-clients';

jest.setTimeout(420_000);

const run = Date.now().toString(36);
const MAIN = join(__dirname, '..', '..', 'src', 'cli', 'main.ts');
let dataDir: string;
let ports: { edge: number; api: number; mqtt: number };
let child: ChildProcess | undefined;
const clients: MqttClient[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const edge = () => `http://127.0.0.1:${ports.edge}`;
const api = () => `http://127.0.0.1:${ports.api}/local`;
const mqttUrl = () => `mqtt://127.0.0.1:${ports.mqtt}`;
const config = () => ({
  endpoint: edge(),
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

/** Starts `iot-local start` as a child process and resolves once its health route answers 200. */
async function startLocalCloud(): Promise<ChildProcess> {
  const started = spawn(
    process.execPath,
    [
      '--import',
      require.resolve('tsx'),
      MAIN,
      'start',
      '--root',
      ROOT,
      '--data-dir',
      dataDir,
      '--edge-port',
      String(ports.edge),
      '--api-port',
      String(ports.api),
      '--mqtt-port',
      String(ports.mqtt),
      '--no-simulator',
      '--quiet',
      '--firehose-buffer-seconds',
      '1',
      '--window-seconds',
      '3',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } },
  );
  let output = '';
  started.stdout?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  started.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<never>((_, reject) =>
    started.once('exit', (code, signal) => reject(new Error(`iot-local exited (${code ?? signal}): ${output}`))),
  );
  const healthy = waitFor(
    'the local cloud to answer healthy',
    async () => ((await fetch(`${edge()}/_local/health`)).status === 200 ? true : undefined),
    { timeoutMs: 300_000, intervalMs: 500 },
  );
  await Promise.race([healthy, exited]);
  exited.catch(() => undefined);
  return started;
}

/** An ID token of the local user pool. */
async function token(username: string): Promise<string> {
  const answer = await fetch(`${edge()}/_local/cognito/tokens`, { method: 'POST', body: JSON.stringify({ username }) });
  return ((await answer.json()) as { token: string }).token;
}

/** A device publishing telemetry every 100 ms at QoS 1, reconnecting by itself, counting what the broker acknowledged. */
function telemetryDevice(deviceId: string) {
  const client = connect(mqttUrl(), { clientId: deviceId, clean: false, reconnectPeriod: 500, connectTimeout: 5_000 });
  clients.push(client);
  const state = { acknowledged: 0, connects: 0, afterRestart: 0, restarted: false };
  client.on('connect', () => {
    state.connects += 1;
  });
  client.on('error', () => undefined);
  let sequence = 0;
  const timer = setInterval(() => {
    if (!client.connected) return;
    sequence += 1;
    const payload = { timestamp: Date.now(), metrics: { temperature: 20 + (sequence % 5) }, sequence };
    client.publish(`devices/${deviceId}/telemetry`, JSON.stringify(payload), { qos: 1 }, (error) => {
      if (error) return;
      state.acknowledged += 1;
      if (state.restarted) state.afterRestart += 1;
    });
  }, 100);
  return { client, state, stop: () => clearInterval(timer) };
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'iot-crash-'));
  ports = { edge: await freePort(), api: await freePort(), mqtt: await freePort() };
  child = await startLocalCloud();
}, 360_000);

afterAll(async () => {
  for (const client of clients) client.end(true);
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('what was acknowledged before a SIGKILL is there after a restart, and devices carry on', async () => {
  // Prepare: devices publishing all along.
  const devices = [1, 2, 3].map((n) => telemetryDevice(`crash-${run}-${n}`));
  await waitFor('the devices publishing', () => (devices.every((d) => d.state.acknowledged > 3) ? true : undefined), {
    timeoutMs: 30_000,
  });
  const stacks = (await fetch(`${edge()}/_local/health`).then((r) => r.json())) as { status: string };
  expect(stacks.status).toBe('healthy');
  const dynamodb = new DynamoDBClient(config());
  const s3 = new S3Client({ ...config(), forcePathStyle: true });
  const iot = new IoTClient(config());
  const iotData = new IoTDataPlaneClient(config());
  const appToken = await token(`crash-${run}`);
  const registeredId = `crash-${run}-registered`;
  const table = `crash-table-${run}`;
  const bucket = `crash-bucket-${run}`;
  const thing = `crash-shadow-${run}`;
  const retainedTopic = `crash/${run}/retained`;
  const sessionTopic = `crash/${run}/session`;

  // Act (1): everything acknowledged, then at once the kill.
  const registered = await fetch(`${api()}/devices`, {
    method: 'POST',
    headers: { authorization: appToken, 'content-type': 'application/json' },
    body: JSON.stringify({ deviceId: registeredId, type: 'sensor' }),
  });
  expect(registered.status).toBe(201);
  await dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await dynamodb.send(new PutItemCommand({ TableName: table, Item: { id: { S: 'kept' }, n: { N: '42' } } }));
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'kept/object.json', Body: '{"kept":true}' }));
  const session = await connectAsync(mqttUrl(), { clientId: `crash-${run}-session`, clean: false, reconnectPeriod: 0 });
  await session.subscribeAsync(sessionTopic, { qos: 1 });
  await session.endAsync();
  const other = await connectAsync(mqttUrl(), { clientId: `crash-${run}-other`, clean: true, reconnectPeriod: 0 });
  clients.push(other);
  await other.subscribeAsync(`$aws/things/${thing}/shadow/update/accepted`, { qos: 1 });
  const accepted = new Promise((resolve) => other.once('message', resolve));
  await other.publishAsync(
    `$aws/things/${thing}/shadow/update`,
    JSON.stringify({ state: { desired: { mode: 'eco' } } }),
    {
      qos: 1,
    },
  );
  await accepted;
  // Through the data plane, whose 200 comes once the broker stored the message (as the PUBACK of an MQTT QoS 1
  // publish does: see the README's crash table).
  await iotData.send(
    new PublishCommand({
      topic: retainedTopic,
      payload: Buffer.from('retained before the crash'),
      qos: 1,
      retain: true,
    }),
  );
  await iotData.send(new PublishCommand({ topic: sessionTopic, payload: Buffer.from('queued while away'), qos: 1 }));
  const acknowledgedBefore = devices.map((d) => d.state.acknowledged);
  child?.kill('SIGKILL');
  await new Promise((resolve) => child?.once('exit', resolve));
  for (const d of devices) d.state.restarted = true;

  // Act (2): started again on the same folder and ports.
  child = await startLocalCloud();

  // Assess
  const device = await fetch(`${api()}/devices/${registeredId}`, { headers: { authorization: appToken } });
  expect(device.status).toBe(200);
  expect((await iot.send(new DescribeThingCommand({ thingName: registeredId }))).thingName).toBe(registeredId);
  const item = await dynamodb.send(new GetItemCommand({ TableName: table, Key: { id: { S: 'kept' } } }));
  expect(item.Item?.n).toEqual({ N: '42' });
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'kept/object.json' }));
  expect(await object.Body?.transformToString()).toBe('{"kept":true}');
  const shadow = await iotData.send(new GetThingShadowCommand({ thingName: thing }));
  expect(JSON.parse(Buffer.from(shadow.payload ?? []).toString()).state.desired).toEqual({ mode: 'eco' });
  const reader = await connectAsync(mqttUrl(), { clientId: `crash-${run}-reader`, clean: true, reconnectPeriod: 0 });
  clients.push(reader);
  const retained = new Promise<{ payload: string; retain: boolean }>((resolve) =>
    reader.once('message', (_topic, payload, packet) =>
      resolve({ payload: payload.toString(), retain: packet.retain }),
    ),
  );
  await reader.subscribeAsync(retainedTopic, { qos: 1 });
  expect(await retained).toEqual({ payload: 'retained before the crash', retain: true });
  const back = connect(mqttUrl(), { clientId: `crash-${run}-session`, clean: false, reconnectPeriod: 0 });
  clients.push(back);
  const [connack, queued] = await Promise.all([
    new Promise<{ sessionPresent: boolean }>((resolve) => back.once('connect', resolve)),
    new Promise<string>((resolve) => back.once('message', (_topic, payload) => resolve(payload.toString()))),
  ]);
  expect(connack.sessionPresent).toBe(true);
  expect(queued).toBe('queued while away');
  await waitFor(
    'every device reconnected and publishing again',
    () => (devices.every((d) => d.state.connects >= 2 && d.state.afterRestart >= 5) ? true : undefined),
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  devices.forEach((d, i) => {
    expect(d.state.acknowledged).toBeGreaterThan(acknowledgedBefore[i] as number);
  });
  for (const d of devices) d.stop();
  for (const client of [dynamodb, s3, iot, iotData]) client.destroy();
});
