import { readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Aedes } from 'aedes';
import { connectAsync, type MqttClient } from 'mqtt';
import { aggregatedReadings, edgeClientConfig, PIPELINE_TIMING, startBenchCloud } from './bench-cloud';
import { type BenchResult, machine, type SummaryRow } from './results';
import { ratio } from './stats';

/** Seconds each side publishes for. */
const PUBLISH_SECONDS = 8;
const PUBLISHERS = 4;
/** Unacknowledged QoS 1 publishes each publisher keeps in flight. */
const IN_FLIGHT = 32;
/** How long the pipeline may take to account for every message after the last publish. */
const DRAIN_TIMEOUT_MS = 90_000;
const TARGET = 0.5;

/** A telemetry message of about 200 bytes of JSON. */
export function telemetryPayload(deviceId: string, sequence: number, now: number): string {
  const body = {
    timestamp: now,
    messageId: `${deviceId}-${sequence}`,
    sequence,
    metrics: { temperature: 21.5 + (sequence % 10) / 10, humidity: 40 + (sequence % 7), pressure: 1013.25 },
  };
  const json = JSON.stringify(body);
  // Pad with a fourth metric to reach 200 bytes.
  const pad = Math.max(0, 200 - json.length - ',"battery":'.length);
  return JSON.stringify({
    ...body,
    metrics: { ...body.metrics, battery: Number(`3.${'7'.repeat(Math.max(1, pad - 2))}`) },
  });
}

interface PublishRun {
  published: number;
  seconds: number;
}

/** Publishes from `PUBLISHERS` clients, each keeping `IN_FLIGHT` QoS 1 publishes unacknowledged, for a while. */
async function publishFor(url: string, prefix: string, topic: (deviceId: string) => string): Promise<PublishRun> {
  const clients: MqttClient[] = [];
  for (let i = 0; i < PUBLISHERS; i++) {
    clients.push(await connectAsync(url, { clientId: `${prefix}-${i}`, clean: true, reconnectPeriod: 0 }));
  }
  const started = Date.now();
  const deadline = started + PUBLISH_SECONDS * 1000;
  let published = 0;
  await Promise.all(
    clients.map(async (client, i) => {
      const deviceId = `${prefix}-${i}`;
      let sequence = 0;
      const lane = async () => {
        while (Date.now() < deadline) {
          sequence += 1;
          await client.publishAsync(topic(deviceId), telemetryPayload(deviceId, sequence, Date.now()), { qos: 1 });
          published += 1;
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  await Promise.all(clients.map((c) => c.endAsync()));
  return { published, seconds };
}

/** Baseline: a bare aedes broker, QoS 1, with one subscriber receiving everything. */
async function bareBroker(): Promise<{ received: number; published: number; seconds: number; perSecond: number }> {
  const aedes = await Aedes.createBroker();
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `mqtt://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const subscriber = await connectAsync(url, { clientId: 'bench-subscriber', clean: true, reconnectPeriod: 0 });
  let received = 0;
  let lastAt = Date.now();
  subscriber.on('message', () => {
    received += 1;
    lastAt = Date.now();
  });
  await subscriber.subscribeAsync('devices/+/telemetry', { qos: 1 });
  const started = Date.now();
  const run = await publishFor(url, 'bare', (id) => `devices/${id}/telemetry`);
  const drainUntil = Date.now() + 10_000;
  while (received < run.published && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 50));
  const seconds = (lastAt - started) / 1000;
  await subscriber.endAsync();
  await new Promise<void>((resolve) => aedes.close(() => resolve()));
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { received, published: run.published, seconds, perSecond: received / seconds };
}

async function endedInvocations(dataDir: string, match: RegExp): Promise<number> {
  const files = (await readdir(join(dataDir, 'logs')).catch(() => [] as string[])).filter((f) => match.test(f));
  let ended = 0;
  for (const file of files) {
    const text = await readFile(join(dataDir, 'logs', file), 'utf8').catch(() => '');
    ended += (text.match(/ END RequestId: /g) ?? []).length;
  }
  return ended;
}

/** Execution environments each function started (its `INIT_START` lines), as `environments.<function>`. */
async function environmentsStarted(dataDir: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const file of await readdir(join(dataDir, 'logs')).catch(() => [] as string[])) {
    const text = await readFile(join(dataDir, 'logs', file), 'utf8').catch(() => '');
    counts[`environments.${file.replace(/\.log$/, '')}`] = (text.match(/\bINIT_START /g) ?? []).length;
  }
  return counts;
}

/**
 * Samples the process's resident set every `intervalMs` from a thread of its own: reading it takes milliseconds in a
 * process with many threads, time the sampler must not take from the event loop that runs the local cloud.
 */
function startRssSampler(intervalMs: number) {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     let peak = 0;
     const sample = () => { peak = Math.max(peak, process.memoryUsage.rss()); };
     sample();
     const timer = setInterval(sample, ${intervalMs});
     parentPort.on('message', () => { sample(); parentPort.postMessage(peak); });`,
    { eval: true },
  );
  const peak = () =>
    new Promise<number>((resolve) => {
      worker.once('message', resolve);
      worker.postMessage('peak');
    });
  return { peak, stop: async () => void (await worker.terminate()) };
}

/** Subject: the same publishers into the local cloud with every service deployed. */
async function pipeline(): Promise<Record<string, number | boolean>> {
  const sampler = startRssSampler(100);
  const { cloud, dataDir } = await startBenchCloud('throughput', PIPELINE_TIMING);
  const dynamodb = new DynamoDBClient(edgeClientConfig(cloud));
  try {
    const rssAtStart = process.memoryUsage().rss;
    const prefix = `bench${Date.now().toString(36)}`;
    const started = Date.now();
    const run = await publishFor(cloud.endpoints.mqtt as string, prefix, (id) => `devices/${id}/telemetry`);
    let aggregated = 0;
    let evaluated = 0;
    let doneAt = Date.now();
    const drainUntil = Date.now() + DRAIN_TIMEOUT_MS;
    while (Date.now() < drainUntil) {
      aggregated = await aggregatedReadings(
        cloud,
        dynamodb,
        Array.from({ length: PUBLISHERS }, (_, i) => `${prefix}-${i}`),
      );
      evaluated = await endedInvocations(dataDir, /evaluate/i);
      doneAt = Date.now();
      if (aggregated >= run.published && evaluated >= run.published) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const seconds = (doneAt - started) / 1000;
    const environments = await environmentsStarted(dataDir);
    const processed = Math.min(aggregated, evaluated);
    return {
      published: run.published,
      publishSeconds: run.seconds,
      publishedPerSecond: run.published / run.seconds,
      aggregated,
      evaluated,
      nothingLost: aggregated === run.published && evaluated === run.published,
      secondsUntilProcessed: seconds,
      processedPerSecond: processed / seconds,
      rssAtStartMiB: rssAtStart / 2 ** 20,
      ...environments,
      peakRssMiB: (await sampler.peak()) / 2 ** 20,
    };
  } finally {
    await sampler.stop();
    dynamodb.destroy();
    await cloud.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** ` (load avg N)` when the machine was busy with other work (a 1-minute load average above its cores). */
export function loadNote(load: number | undefined): string {
  return load !== undefined && load > cpus().length ? ` (load avg ${Math.round(load)})` : '';
}

export async function runThroughput(): Promise<BenchResult> {
  // The machine's 1-minute load average before and after: runs on a machine busy with other work are not comparable.
  const loadBefore = loadavg()[0];
  const bare = await bareBroker();
  console.log(`bare broker: ${Math.round(bare.perSecond)} msg/s (${bare.received}/${bare.published} received)`);
  const subject = await pipeline();
  console.log(`pipeline: ${JSON.stringify(subject)}`);
  const processedPerSecond = subject.processedPerSecond as number;
  const summary: SummaryRow[] = [
    {
      benchmark: 'throughput',
      measure: `messages/s fully processed (evaluated and aggregated), ${PUBLISHERS} publishers QoS 1, 200 B`,
      subject: `${Math.round(processedPerSecond)}/s${subject.nothingLost ? '' : ' (messages missing)'}${loadNote(loadBefore)}`,
      baseline: `${Math.round(bare.perSecond)}/s (bare aedes)`,
      ratio: ratio(processedPerSecond, bare.perSecond),
      target: `≥ ${TARGET}×, nothing lost`,
      met: processedPerSecond / bare.perSecond >= TARGET && subject.nothingLost === true,
    },
    {
      benchmark: 'memory',
      measure: 'peak RSS of the process running the local cloud during throughput',
      subject: `${Math.round(subject.peakRssMiB as number)} MiB`,
      baseline: '1024 MiB (target)',
      ratio: ratio(subject.peakRssMiB as number, 1024),
      target: '< 1 GiB',
      met: (subject.peakRssMiB as number) < 1024,
    },
  ];
  return {
    name: 'throughput',
    measuredAt: new Date().toISOString(),
    machine: machine(),
    summary,
    details: {
      publishSeconds: PUBLISH_SECONDS,
      publishers: PUBLISHERS,
      inFlight: IN_FLIGHT,
      bare,
      pipeline: subject,
      loadAverage: { before: loadBefore, after: loadavg()[0] },
    },
  };
}
