import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import { startBenchCloud } from './bench-cloud';
import { type BenchResult, machine, type SummaryRow } from './results';
import { ratio } from './stats';

const TARGET = 10_000;
const KEEP_ALIVE_SECONDS = 60;
/** Seconds the connections are held after the last one opened, to see they stay. */
const HOLD_SECONDS = 10;
const CLIENTS = join(dirname(fileURLToPath(import.meta.url)), 'idle-clients.mjs');

interface Held {
  connected: number;
  failed: number;
  stillConnected: number;
  openMs: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  bytesPerConnection: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Opens the idle clients in a child process and measures this process's resident memory before and after. */
async function holdConnections(port: number): Promise<Held> {
  global.gc?.();
  await sleep(500);
  const rssBefore = process.memoryUsage().rss;
  const child: ChildProcess = spawn(
    process.execPath,
    [CLIENTS, String(port), String(TARGET), String(KEEP_ALIVE_SECONDS)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let last: { connected: number; failed: number; ms: number; done?: boolean } = { connected: 0, failed: 0, ms: 0 };
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (text: string) => {
    for (const line of text.split('\n').filter(Boolean)) last = JSON.parse(line);
  });
  const deadline = Date.now() + 120_000;
  while (!last.done && Date.now() < deadline && child.exitCode === null) await sleep(200);
  const opened = last;
  await sleep(HOLD_SECONDS * 1000);
  global.gc?.();
  const rssAfter = process.memoryUsage().rss;
  const stillConnected = last.connected;
  child.kill();
  await new Promise((r) => child.once('exit', r));
  return {
    connected: opened.connected,
    failed: opened.failed,
    stillConnected,
    openMs: opened.ms,
    rssBeforeMiB: rssBefore / 2 ** 20,
    rssAfterMiB: rssAfter / 2 ** 20,
    bytesPerConnection: opened.connected ? (rssAfter - rssBefore) / opened.connected : Number.NaN,
  };
}

async function bareBroker(): Promise<Held> {
  const aedes = await Aedes.createBroker();
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await holdConnections((server.address() as AddressInfo).port);
  } finally {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function localCloud(): Promise<Held> {
  const { cloud, dataDir } = await startBenchCloud('connections');
  try {
    const port = Number(new URL(cloud.endpoints.mqtt as string).port);
    return await holdConnections(port);
  } finally {
    await cloud.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export async function runConnections(): Promise<BenchResult> {
  const bare = await bareBroker();
  console.log(`bare aedes: ${JSON.stringify(bare)}`);
  const subject = await localCloud();
  console.log(`local cloud: ${JSON.stringify(subject)}`);
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  const summary: SummaryRow[] = [
    {
      benchmark: 'connections',
      measure: `idle MQTT clients held with keep-alive ${KEEP_ALIVE_SECONDS} s (target ${TARGET.toLocaleString('en-US')})`,
      subject: `${subject.stillConnected.toLocaleString('en-US')} held, ${kib(subject.bytesPerConnection)} RSS each`,
      baseline: `${bare.stillConnected.toLocaleString('en-US')} held, ${kib(bare.bytesPerConnection)} each (bare aedes)`,
      ratio: ratio(subject.bytesPerConnection, bare.bytesPerConnection),
      target: `${TARGET.toLocaleString('en-US')} connections`,
      met: subject.stillConnected >= TARGET,
    },
  ];
  return {
    name: 'connections',
    measuredAt: new Date().toISOString(),
    machine: machine(),
    summary,
    details: {
      target: TARGET,
      keepAliveSeconds: KEEP_ALIVE_SECONDS,
      holdSeconds: HOLD_SECONDS,
      bare,
      localCloud: subject,
    },
  };
}
