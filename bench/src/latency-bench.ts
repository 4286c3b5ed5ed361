import { rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { loadavg } from 'node:os';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { Aedes } from 'aedes';
import { connectAsync, type MqttClient } from 'mqtt';
import { edgeClientConfig, PIPELINE_TIMING, startBenchCloud } from './bench-cloud';
import { type BenchResult, machine, type SummaryRow } from './results';
import { percentile, ratio } from './stats';
import { loadNote } from './throughput-bench';

const SAMPLES = 40;
const BARE_SAMPLES = 400;
const BACKGROUND_PER_SECOND = 1000;
const TARGET_P99_MS = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Baseline: publish → receive through a bare aedes broker, QoS 1, one message at a time. */
async function bareLatency(): Promise<number[]> {
  const aedes = await Aedes.createBroker();
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const subscriber = await connectAsync(url, { clientId: 'lat-sub', clean: true, reconnectPeriod: 0 });
  const publisher = await connectAsync(url, { clientId: 'lat-pub', clean: true, reconnectPeriod: 0 });
  await subscriber.subscribeAsync('devices/+/telemetry', { qos: 1 });
  const samples: number[] = [];
  let resolveNext: (() => void) | undefined;
  subscriber.on('message', () => resolveNext?.());
  for (let i = 0; i < BARE_SAMPLES; i++) {
    const received = new Promise<void>((resolve) => {
      resolveNext = resolve;
    });
    const sent = process.hrtime.bigint();
    await publisher.publishAsync('devices/lat/telemetry', JSON.stringify({ timestamp: Date.now(), i }), { qos: 1 });
    await received;
    samples.push(Number(process.hrtime.bigint() - sent) / 1e6);
  }
  await Promise.all([subscriber.endAsync(), publisher.endAsync()]);
  await new Promise<void>((resolve) => aedes.close(() => resolve()));
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return samples;
}

interface Notification {
  deviceId?: string;
  state?: string;
  at: bigint;
}

/** An HTTP endpoint subscribed to the alerts topic; confirms its subscription and keeps every notification. */
async function subscribeAlerts(sns: SNSClient, topicArn: string) {
  const notifications: Notification[] = [];
  let confirmUrl: string | undefined;
  const waiters = new Set<() => void>();
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = process.hrtime.bigint();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        Type: string;
        SubscribeURL?: string;
        MessageAttributes?: Record<string, { Value: string }>;
      };
      if (body.Type === 'SubscriptionConfirmation') confirmUrl = body.SubscribeURL;
      if (body.Type === 'Notification') {
        notifications.push({
          deviceId: body.MessageAttributes?.deviceId?.Value,
          state: body.MessageAttributes?.state?.Value,
          at,
        });
      }
      for (const wake of waiters) wake();
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: endpoint }));
  for (let i = 0; i < 100 && !confirmUrl; i++) await sleep(50);
  if (!confirmUrl) throw new Error('no SubscriptionConfirmation reached the alerts endpoint');
  await fetch(confirmUrl);
  const waitFor = async (deviceId: string, state: string, timeoutMs = 10_000): Promise<Notification> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = notifications.find((n) => n.deviceId === deviceId && n.state === state);
      if (found) {
        notifications.splice(notifications.indexOf(found), 1);
        return found;
      }
      if (Date.now() > deadline) throw new Error(`no ${state} notification for ${deviceId}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          waiters.delete(wake);
          resolve();
        };
        waiters.add(wake);
        setTimeout(wake, 100);
      });
    }
  };
  return { waitFor, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Paced background telemetry from devices without thresholds (still evaluated and aggregated). */
function backgroundLoad(clients: MqttClient[], perSecond: number) {
  let running = true;
  let sent = 0;
  const tickMs = 10;
  const loop = (async () => {
    const started = Date.now();
    while (running) {
      const due = Math.floor(((Date.now() - started) / 1000) * perSecond);
      while (sent < due) {
        const client = clients[sent % clients.length] as MqttClient;
        const id = `load-${sent % clients.length}`;
        const payload = { timestamp: Date.now(), metrics: { temperature: 20 }, messageId: `${id}-${sent}` };
        client.publish(`devices/${id}/telemetry`, JSON.stringify(payload), { qos: 1 });
        sent += 1;
      }
      await sleep(tickMs);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return sent;
    },
  };
}

export async function runLatency(): Promise<BenchResult> {
  // The machine's 1-minute load average before and after: runs on a machine busy with other work are not comparable.
  const loadBefore = loadavg()[0];
  const bare = await bareLatency();
  console.log(
    `bare broker publish→receive p50 ${percentile(bare, 50).toFixed(2)} ms p99 ${percentile(bare, 99).toFixed(2)} ms`,
  );
  const { cloud, dataDir } = await startBenchCloud('latency', PIPELINE_TIMING);
  const sns = new SNSClient(edgeClientConfig(cloud));
  const mqttUrl = cloud.endpoints.mqtt as string;
  const clients: MqttClient[] = [];
  try {
    const topicArn = cloud.deployed.alerting?.outputs.AlertsTopicArn;
    if (!topicArn) throw new Error('alerting has no AlertsTopicArn output');
    const alerts = await subscribeAlerts(sns, topicArn);
    const tokenAnswer = await fetch(`${cloud.endpoints.edge}/_local/cognito/tokens`, {
      method: 'POST',
      body: JSON.stringify({ username: 'bench', email: 'bench@example.com' }),
    });
    const { token } = (await tokenAnswer.json()) as { token: string };
    const deviceId = `latency-${Date.now().toString(36)}`;
    // Only a device's owner may set its thresholds: register it to the bench user first.
    const registered = await fetch(`${cloud.endpoints.api}/devices`, {
      method: 'POST',
      headers: { authorization: token, 'content-type': 'application/json' },
      body: JSON.stringify({ deviceId, type: 'sensor' }),
    });
    if (registered.status !== 201) {
      throw new Error(`POST /devices answered ${registered.status}: ${await registered.text()}`);
    }
    const put = await fetch(`${cloud.endpoints.api}/devices/${deviceId}/thresholds`, {
      method: 'PUT',
      headers: { authorization: token, 'content-type': 'application/json' },
      body: JSON.stringify({
        rules: [{ metric: 'temperature', comparison: 'above', value: 30, clearValue: 25, severity: 'critical' }],
      }),
    });
    if (put.status !== 200) throw new Error(`PUT thresholds answered ${put.status}: ${await put.text()}`);
    const device = await connectAsync(mqttUrl, { clientId: deviceId, clean: true, reconnectPeriod: 0 });
    clients.push(device);
    let sequence = 0;
    const publish = (value: number) => {
      sequence += 1;
      const payload = { timestamp: Date.now(), metrics: { temperature: value }, messageId: `${deviceId}-${sequence}` };
      return device.publishAsync(`devices/${deviceId}/telemetry`, JSON.stringify(payload), { qos: 1 });
    };
    // Warm: the first evaluation starts the function's worker; an OK reading first, then one round trip.
    await publish(20);
    await sleep(1000);
    /** Breach then clear: the ALARM notification's latency is the sample; the OK one resets the alarm. */
    const measure = async (count: number): Promise<number[]> => {
      const samples: number[] = [];
      for (let i = 0; i < count; i++) {
        const sent = process.hrtime.bigint();
        await publish(35);
        const raised = await alerts.waitFor(deviceId, 'ALARM');
        samples.push(Number(raised.at - sent) / 1e6);
        await publish(20);
        await alerts.waitFor(deviceId, 'OK');
      }
      return samples;
    };
    // A notification that never comes is a result too (see bench/README.md, alert-latency): kept, not thrown.
    let alone: number[] = [];
    let aloneError: string | undefined;
    try {
      await measure(3);
      alone = await measure(SAMPLES);
    } catch (e) {
      aloneError = (e as Error).message;
    }
    console.log(
      `alert alone p50 ${percentile(alone, 50).toFixed(1)} ms p99 ${percentile(alone, 99).toFixed(1)} ms${aloneError ? ` error: ${aloneError}` : ''}`,
    );
    for (let i = 0; i < 4; i++) {
      clients.push(await connectAsync(mqttUrl, { clientId: `load-${i}`, clean: true, reconnectPeriod: 0 }));
    }
    const load = backgroundLoad(clients.slice(1), BACKGROUND_PER_SECOND);
    await sleep(2000);
    const loadStarted = Date.now();
    let underLoad: number[] = [];
    let error: string | undefined;
    try {
      underLoad = await measure(SAMPLES);
    } catch (e) {
      error = (e as Error).message;
    }
    const loadSeconds = (Date.now() - loadStarted) / 1000 + 2;
    const sentInLoad = await load.stop();
    console.log(
      `alert under load p50 ${percentile(underLoad, 50).toFixed(1)} ms p99 ${percentile(underLoad, 99).toFixed(1)} ms (${Math.round(sentInLoad / loadSeconds)} msg/s offered)${error ? ` error: ${error}` : ''}`,
    );
    await alerts.close();
    const round = (n: number) => Math.round(n * 10) / 10;
    const bareP99 = percentile(bare, 99);
    const summary: SummaryRow[] = [
      {
        benchmark: 'alert-latency',
        measure: `publish → SNS http notification, alone, p50 / p99 (${SAMPLES} alarms)`,
        subject: alone.length
          ? `${round(percentile(alone, 50))} / ${round(percentile(alone, 99))} ms`
          : `failed: ${aloneError}`,
        baseline: `${round(percentile(bare, 50))} / ${round(bareP99)} ms (bare broker publish → receive)`,
        ratio: ratio(percentile(alone, 99), bareP99),
        target: `p99 < ${TARGET_P99_MS} ms under load`,
        met: null,
      },
      {
        benchmark: 'alert-latency',
        measure: `the same under ~${BACKGROUND_PER_SECOND} msg/s of background telemetry, p50 / p99`,
        subject: underLoad.length
          ? `${round(percentile(underLoad, 50))} / ${round(percentile(underLoad, 99))} ms${loadNote(loadBefore)}`
          : `failed: ${error}`,
        baseline: `${round(percentile(bare, 50))} / ${round(bareP99)} ms (bare broker publish → receive)`,
        ratio: ratio(percentile(underLoad, 99), bareP99),
        target: `p99 < ${TARGET_P99_MS} ms`,
        met: underLoad.length === SAMPLES && percentile(underLoad, 99) < TARGET_P99_MS,
      },
    ];
    return {
      name: 'alert-latency',
      measuredAt: new Date().toISOString(),
      machine: machine(),
      summary,
      details: {
        bareMs: bare,
        aloneMs: alone,
        aloneError,
        underLoadMs: underLoad,
        backgroundOfferedPerSecond: sentInLoad / loadSeconds,
        error,
        loadAverage: { before: loadBefore, after: loadavg()[0] },
      },
    };
  } finally {
    await Promise.all(clients.map((c) => c.endAsync().catch(() => {})));
    sns.destroy();
    await cloud.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
