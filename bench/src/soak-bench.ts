import { type ChildProcess, fork } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { FleetStats } from '@iot/device-simulator';
import type { LocalCloud } from '@iot/local-cloud';
import { aggregatedReadings, edgeClientConfig, PIPELINE_TIMING, startBenchCloud } from './bench-cloud';
import { type BenchResult, machine, type SummaryRow } from './results';
import { soakDeviceIds } from './soak-devices';
import type { SoakFleetMessage, SoakFleetOptions } from './soak-fleet';
import { linearTrend, ratio } from './stats';

/**
 * The run the benchmark stands for; `--minutes`, `--devices`, `--rate`, `--sample-seconds` and `--warmup-minutes`
 * change it. The warm-up (start-up, environments starting, buffers filling) is left out of the memory verdict; it is
 * at most half the run.
 */
const DEFAULTS = { minutes: 30, devices: 200, rate: 500, sampleSeconds: 5, warmupMinutes: 5 };
/** How long the pipeline may take to account for every message after the fleet stops. */
const DRAIN_TIMEOUT_MS = 180_000;
/** The fitted line may rise by less than this share of the series' mean across the samples after the warm-up. */
const GROWTH_LIMIT = 0.05;

export interface SoakOptions {
  minutes: number;
  devices: number;
  /** Messages per second from the whole fleet. */
  rate: number;
  sampleSeconds: number;
  /** Minutes at the start left out of the memory verdict (at most half the run). */
  warmupMinutes: number;
}

export function parseSoakOptions(argv: readonly string[]): SoakOptions {
  const options: SoakOptions = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = Number(argv[i + 1]);
    const key = {
      '--minutes': 'minutes',
      '--devices': 'devices',
      '--rate': 'rate',
      '--sample-seconds': 'sampleSeconds',
      '--warmup-minutes': 'warmupMinutes',
    }[flag ?? ''] as keyof SoakOptions | undefined;
    if (!key) {
      throw new Error(`soak: unknown option ${flag}; --minutes, --devices, --rate, --sample-seconds, --warmup-minutes`);
    }
    if (!(value > 0)) throw new Error(`soak: ${flag} needs a number above 0, not ${argv[i + 1]}`);
    options[key] = value;
  }
  return options;
}

interface MemorySample {
  /** Seconds since the fleet started publishing. */
  t: number;
  rssMiB: number;
  /** Linux only: the anonymous part of the resident set (heaps of the main thread and the workers, native memory). */
  rssAnonMiB?: number;
  /** Linux only: the file-backed part (mapped files, e.g. the local DynamoDB's LevelDB tables), reclaimable. */
  rssFileMiB?: number;
  heapUsedMiB: number;
  /** The main heap's live size: heap used right after a full collection forced for the sample. */
  heapLiveMiB: number;
  /** Lambda execution environments running, and the heap reserved plus external memory they last reported (MB). */
  environments?: number;
  environmentsMiB?: number;
  /** The live heap the environments last reported (MB). */
  environmentsHeapMiB?: number;
  /** Per function with environments: [environments, heap reserved plus external MB, live heap MB]. */
  environmentsByFunction?: Record<string, [number, number, number]>;
  heapTotalMiB: number;
  externalMiB: number;
  published: number;
  /** Asynchronous invocations accepted by the local Lambda and not done yet (the evaluate function's backlog). */
  asyncBacklog: number;
  /** Bytes of Kinesis records held in memory (bounded by the streams' memory window). */
  kinesisMiB: number;
  connected: number;
  fleetErrors: number;
}

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

/** Starts the fleet in its own process and resolves once every device is connected. */
function startFleetProcess(
  options: SoakFleetOptions,
  onStats: (message: Extract<SoakFleetMessage, { type: 'stats' }>) => void,
): Promise<{ child: ChildProcess; stop: () => Promise<Extract<SoakFleetMessage, { type: 'stopped' }>> }> {
  const child = fork(join(dirname(fileURLToPath(import.meta.url)), 'soak-fleet.ts'), [JSON.stringify(options)], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let stopped: ((message: Extract<SoakFleetMessage, { type: 'stopped' }>) => void) | undefined;
  return new Promise((resolve, reject) => {
    child.on('message', (message: SoakFleetMessage) => {
      if (message.type === 'started') {
        resolve({
          child,
          stop: () =>
            new Promise((done) => {
              stopped = done;
              child.send('stop');
            }),
        });
      } else if (message.type === 'stats') onStats(message);
      else if (message.type === 'stopped') stopped?.(message);
      else if (message.type === 'failed') reject(new Error(`the fleet failed: ${message.message}`));
    });
    child.on('exit', (code) => reject(new Error(`the fleet process exited with ${code} before it started`)));
  });
}

/** Lines of the functions' logs that match, and the first few of them (files whose name matches). */
async function matchingLogLines(
  dataDir: string,
  fileMatch: RegExp,
  lineMatch: RegExp,
): Promise<{ count: number; samples: string[]; byKind: Record<string, number> }> {
  const files = (await readdir(join(dataDir, 'logs')).catch(() => [] as string[])).filter((f) => fileMatch.test(f));
  let count = 0;
  const samples: string[] = [];
  const byKind: Record<string, number> = {};
  const check = (file: string, line: string) => {
    // Node's warnings on stderr (the AWS SDK's about Node 20) are logged at ERROR level, but are not failures.
    if (!lineMatch.test(line) || /Warning: /.test(line)) return;
    count += 1;
    const kind = `${file.replace(/\.log$/, '')} ${/"errorType":"([^"]+)"/.exec(line)?.[1] ?? 'ERROR'}`;
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    if (samples.length < 5) samples.push(`${file}: ${line.slice(0, 400)}`);
  };
  for (const file of files) {
    let carry = '';
    for await (const chunk of createReadStream(join(dataDir, 'logs', file), 'utf8')) {
      const lines = (carry + chunk).split('\n');
      carry = lines.pop() ?? '';
      for (const line of lines) check(file, line);
    }
    check(file, carry);
  }
  return { count, samples, byKind };
}

/** Records (lines) and objects under a prefix of the archive bucket. */
async function archivedLines(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<{ objects: number; lines: number }> {
  let objects = 0;
  let lines = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      objects += 1;
      const body = await (
        await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }))
      ).Body?.transformToString();
      lines += (body ?? '').split('\n').filter((line) => line.trim() !== '').length;
    }
    token = page.NextContinuationToken;
  } while (token);
  return { objects, lines };
}

/** Messages waiting in each of the pipeline's error destinations (queues), by queue name. */
async function errorQueueDepths(cloud: LocalCloud, sqs: SQSClient): Promise<Record<string, number>> {
  const names = cloud.stacks.flatMap((stack) => stack.queues);
  const depths: Record<string, number> = {};
  for (const name of names) {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    depths[name] =
      Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  }
  return depths;
}

type MemorySeries = 'rssMiB' | 'rssAnonMiB' | 'heapLiveMiB';

/**
 * The trend of one memory series after the warm-up: its least-squares line, and how far that line rises over the
 * span against the series' mean. **growing** when the rise is more than `GROWTH_LIMIT` of the mean.
 */
export function memoryTrend(
  samples: readonly Pick<MemorySample, 't' | MemorySeries>[],
  series: MemorySeries,
  fromSeconds: number,
  toSeconds: number,
) {
  const kept = samples.filter((s) => s.t >= fromSeconds && s.t <= toSeconds && s[series] !== undefined);
  const value = (s: (typeof kept)[number]) => s[series] ?? 0;
  const trend = linearTrend(kept.map((s) => ({ x: s.t, y: value(s) })));
  const meanMiB = kept.reduce((sum, s) => sum + value(s), 0) / Math.max(1, kept.length);
  const span = kept.length > 1 ? (kept.at(-1)?.t ?? 0) - (kept[0]?.t ?? 0) : 0;
  const riseMiB = Number.isNaN(trend.slope) ? 0 : trend.slope * span;
  const round = (value: number, digits: number) =>
    Number.isNaN(value) ? null : Math.round(value * 10 ** digits) / 10 ** digits;
  return {
    series,
    fromSeconds,
    samples: kept.length,
    slopeMiBPerHour: round(trend.slope * 3600, 1),
    r2: round(trend.r2, 3),
    riseMiB: round(riseMiB, 1) ?? 0,
    meanMiB: round(meanMiB, 1) ?? 0,
    minMiB: Math.min(...kept.map(value)),
    maxMiB: Math.max(...kept.map(value)),
    verdict: riseMiB > GROWTH_LIMIT * meanMiB ? ('growing' as const) : ('stable' as const),
  };
}

/**
 * The verdict on memory after the warm-up: the process's own memory — the anonymous part of the resident set (every
 * thread's heap and native allocations) where the platform reports it, else the whole RSS — and the main V8 heap's
 * live size (heap used right after a full collection: a line through the heap between collections fits its
 * sawtooth, not what stays alive); growing if either grows. The whole RSS is reported beside them: it also counts the file-backed pages of the files
 * the process maps (the local DynamoDB's LevelDB tables, which grow with the data the tables keep), which the kernel
 * reclaims and reads again as needed.
 */
export function memoryVerdict(
  samples: readonly Pick<MemorySample, 't' | MemorySeries>[],
  durationSeconds: number,
  warmupSeconds: number,
) {
  const from = Math.min(warmupSeconds, durationSeconds / 2);
  const rss = memoryTrend(samples, 'rssMiB', from, durationSeconds);
  const anonymous = samples.some((s) => s.rssAnonMiB !== undefined)
    ? memoryTrend(samples, 'rssAnonMiB', from, durationSeconds)
    : undefined;
  const heap = memoryTrend(samples, 'heapLiveMiB', from, durationSeconds);
  const own = anonymous ?? rss;
  const verdict = own.verdict === 'growing' || heap.verdict === 'growing' ? ('growing' as const) : ('stable' as const);
  return { afterSeconds: from, rss, anonymous, heap, verdict };
}

/**
 * A full collection of the main heap, so a sample reads what stays alive rather than where the heap's sawtooth
 * happens to be. `gc` is taken from V8 with --expose-gc set at run time, for this benchmark's process only.
 */
function fullCollection(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** The anonymous and file-backed parts of this process's resident set, from /proc (Linux); undefined elsewhere. */
async function residentParts(): Promise<{ rssAnonMiB?: number; rssFileMiB?: number }> {
  try {
    const status = await readFile('/proc/self/status', 'utf8');
    const kib = (name: string) => {
      const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
      return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : undefined;
    };
    return { rssAnonMiB: kib('RssAnon'), rssFileMiB: kib('RssFile') };
  } catch {
    return {};
  }
}

export async function runSoak(argv: readonly string[]): Promise<BenchResult> {
  const options = parseSoakOptions(argv);
  const durationSeconds = options.minutes * 60;
  const { cloud, dataDir } = await startBenchCloud('soak', PIPELINE_TIMING);
  const clientConfig = edgeClientConfig(cloud);
  const dynamodb = new DynamoDBClient(clientConfig);
  const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
  const sqs = new SQSClient(clientConfig);
  const prefix = `soak${Date.now().toString(36)}`;
  const samples: MemorySample[] = [];
  let fleet: Awaited<ReturnType<typeof startFleetProcess>> | undefined;
  /** Failures while stopping, after the measurement: reported with the result rather than losing it. */
  const stopErrors: string[] = [];
  try {
    const ruleName = cloud.deployed['ingestion-rules']?.outputs.TelemetryRuleName;
    if (!ruleName || !cloud.endpoints.mqtt) throw new Error('the local cloud has no telemetry rule or MQTT endpoint');
    const rssAtStartMiB = mib(process.memoryUsage().rss);
    let latest: FleetStats | undefined;
    let fleetRssMiB = 0;
    let errorSamples: string[] = [];
    fleet = await startFleetProcess(
      {
        url: cloud.endpoints.mqtt,
        devices: options.devices,
        intervalSeconds: options.devices / options.rate,
        prefix,
        ruleName,
        reportMs: 1000,
      },
      (message) => {
        latest = message.stats;
        fleetRssMiB = mib(message.rssBytes);
        errorSamples = message.errorSamples;
      },
    );
    const started = Date.now();
    console.log(
      `soak: ${options.devices} devices at ${options.rate} msg/s for ${options.minutes} min, RSS at start ${rssAtStartMiB} MiB`,
    );
    const collect = fullCollection();
    const sample = async () => {
      const memory = process.memoryUsage();
      collect();
      const heapLiveMiB = mib(process.memoryUsage().heapUsed);
      const parts = await residentParts();
      const lambdaMemory = cloud.services.lambda.environmentsMemory();
      samples.push({
        t: Math.round((Date.now() - started) / 100) / 10,
        rssMiB: mib(memory.rss),
        ...parts,
        heapUsedMiB: mib(memory.heapUsed),
        heapLiveMiB,
        heapTotalMiB: mib(memory.heapTotal),
        externalMiB: mib(memory.external),
        published: latest?.messagesSent ?? 0,
        asyncBacklog: cloud.services.lambda.pendingAsyncInvocations(),
        environments: lambdaMemory.environments,
        environmentsMiB: lambdaMemory.memoryUsedMb,
        environmentsHeapMiB: lambdaMemory.heapUsedMb,
        environmentsByFunction: Object.fromEntries(
          Object.entries(lambdaMemory.byFunction).map(([name, m]) => [
            name,
            [m.environments, m.memoryUsedMb, m.heapUsedMb] as [number, number, number],
          ]),
        ),
        kinesisMiB: mib(cloud.services.kinesis.memoryBytes()),
        connected: latest?.connected ?? 0,
        fleetErrors: latest?.errors ?? 0,
      });
    };
    await sample();
    let lastPrint = Date.now();
    while (Date.now() - started < durationSeconds * 1000) {
      await new Promise((resolve) => setTimeout(resolve, options.sampleSeconds * 1000));
      await sample();
      if (Date.now() - lastPrint >= 60_000) {
        lastPrint = Date.now();
        const last = samples.at(-1) as MemorySample;
        console.log(
          `soak: ${Math.round(last.t)} s, ${last.published} published (${Math.round(last.published / last.t)}/s), ` +
            `${last.connected} connected, ${last.fleetErrors} errors, RSS ${last.rssMiB} MiB ` +
            `(anonymous ${last.rssAnonMiB ?? '?'}, file-backed ${last.rssFileMiB ?? '?'}), heap ${last.heapUsedMiB} MiB (live ${last.heapLiveMiB}), ` +
            `${last.environments} environments using ${last.environmentsMiB} MB (live heap ${last.environmentsHeapMiB} MB), ` +
            `${last.asyncBacklog} async invocations pending, Kinesis records in memory ${last.kinesisMiB} MiB`,
        );
      }
    }
    const publishSeconds = (Date.now() - started) / 1000;
    const final = await fleet.stop();
    const published = final.stats.messagesSent;
    errorSamples = final.errorSamples;

    // Accounting: every acknowledged message evaluated, aggregated and archived, and nothing in an error destination.
    const deviceIds = soakDeviceIds(prefix, options.devices);
    const bucket = cloud.deployed['telemetry-analytics']?.outputs.RawArchiveBucketName as string;
    let evaluated = 0;
    let aggregated = 0;
    const drainUntil = Date.now() + DRAIN_TIMEOUT_MS;
    while (Date.now() < drainUntil) {
      evaluated = (await matchingLogLines(dataDir, /evaluateTelemetry/, / END RequestId: /)).count;
      aggregated = await aggregatedReadings(cloud, dynamodb, deviceIds);
      if (evaluated >= published && aggregated >= published) break;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    const drainSeconds = (DRAIN_TIMEOUT_MS - (drainUntil - Date.now())) / 1000;
    const functionErrorLines = await matchingLogLines(
      dataDir,
      /\.log$/,
      /\tERROR\t|"level":"ERROR"|Task timed out|Runtime\.\w+Error/,
    );
    // Let the raw archive's last buffer reach S3.
    await new Promise((resolve) => setTimeout(resolve, 3 * (PIPELINE_TIMING.firehoseBufferIntervalMs ?? 1000)));
    const archive = await archivedLines(s3, bucket, 'raw/');
    const archiveErrors = await archivedLines(s3, bucket, 'raw-errors/');
    const metricsErrors = await archivedLines(s3, bucket, 'metrics-errors/');
    const queues = await errorQueueDepths(cloud, sqs);
    const inErrorQueues = Object.values(queues).reduce((sum, n) => sum + n, 0);
    const memory = memoryVerdict(samples, durationSeconds, options.warmupMinutes * 60);
    const fleetErrors = final.stats.errors;
    const functionErrors = functionErrorLines.count;
    const errors = fleetErrors + functionErrors + inErrorQueues + archiveErrors.lines + metricsErrors.lines;
    const nothingLost = evaluated >= published && aggregated >= published && archive.lines >= published;
    const lost = {
      notEvaluated: Math.max(0, published - evaluated),
      notAggregated: Math.max(0, published - aggregated),
      notArchived: Math.max(0, published - archive.lines),
    };
    const details = {
      options,
      prefix,
      published,
      publishSeconds,
      publishedPerSecond: Math.round((published / publishSeconds) * 10) / 10,
      evaluated,
      aggregated,
      archived: archive.lines,
      archiveObjects: archive.objects,
      drainSeconds,
      nothingLost,
      lost,
      errors: {
        total: errors,
        fleet: fleetErrors,
        fleetSamples: errorSamples,
        functionLogLines: functionErrors,
        functionLogLinesByKind: functionErrorLines.byKind,
        functionLogSamples: functionErrorLines.samples,
        errorQueues: queues,
        archiveErrorRecords: archiveErrors.lines,
        metricsErrorRecords: metricsErrors.lines,
      },
      reconnects: final.stats.reconnects,
      rssAtStartMiB,
      peakRssMiB: Math.max(...samples.map((s) => s.rssMiB)),
      peakHeapUsedMiB: Math.max(...samples.map((s) => s.heapUsedMiB)),
      fleetRssMiB,
      memoryTrend: memory,
      stopErrors,
      samples,
    };
    console.log(`soak: ${JSON.stringify({ ...details, samples: `${samples.length} samples` })}`);
    const heapLabel = 'live heap (after a full collection)';
    const trendText = (trend: typeof memory.rss) =>
      `${trend.riseMiB >= 0 ? '+' : ''}${trend.riseMiB} MiB over ${trend.samples} samples (${trend.slopeMiBPerHour ?? 0} MiB/h, R² ${trend.r2 ?? 'n/a'}, ${trend.minMiB} to ${trend.maxMiB} MiB), ${trend.verdict}`;
    console.log(
      `soak: memory after ${Math.round(memory.afterSeconds)} s of warm-up: RSS ${trendText(memory.rss)}; ` +
        (memory.anonymous ? `anonymous RSS ${trendText(memory.anonymous)}; ` : '') +
        `${heapLabel} ${trendText(memory.heap)}`,
    );
    console.log(
      `soak: ${published} published; lost: ${lost.notEvaluated} not evaluated, ${lost.notAggregated} not aggregated, ` +
        `${lost.notArchived} not archived; ${errors} errors (fleet ${fleetErrors}, function log lines ${functionErrors}, ` +
        `error queues ${inErrorQueues}, raw-errors/ ${archiveErrors.lines}, metrics-errors/ ${metricsErrors.lines})`,
    );
    const label = `${options.devices} devices, ${options.rate} msg/s, ${options.minutes} min`;
    const after = `after ${Math.round(memory.afterSeconds / 6) / 10} min warm-up`;
    const trendRow = (trend: typeof memory.rss, what: string, judged: boolean): SummaryRow => ({
      benchmark: 'soak',
      measure: `${what} trend ${after} (least squares, R² ${trend.r2 ?? 'n/a'}), ${label}`,
      subject: `${trend.riseMiB >= 0 ? '+' : ''}${trend.riseMiB} MiB (${trend.slopeMiBPerHour ?? 0} MiB/h), ${trend.verdict}`,
      baseline: `${trend.meanMiB} MiB (mean ${what})`,
      ratio: ratio(trend.riseMiB, trend.meanMiB),
      target: `rise < ${GROWTH_LIMIT * 100} % of the mean`,
      met: judged ? trend.verdict === 'stable' : null,
    });
    const lostTotal = Math.max(lost.notEvaluated, lost.notAggregated, lost.notArchived);
    const summary: SummaryRow[] = [
      ...(memory.anonymous
        ? [
            trendRow(memory.anonymous, 'anonymous RSS', true),
            trendRow(memory.rss, 'RSS with mapped files (reported)', false),
          ]
        : [trendRow(memory.rss, 'RSS', true)]),
      trendRow(memory.heap, heapLabel, true),
      {
        benchmark: 'soak',
        measure: `messages evaluated / aggregated / archived, lost, errors (${label})`,
        subject: `${evaluated} / ${aggregated} / ${archive.lines}, ${lostTotal} lost, ${errors} errors`,
        baseline: `${published} published (acknowledged)`,
        ratio: ratio(Math.min(evaluated, aggregated, archive.lines), published),
        target: 'nothing lost, no errors',
        met: nothingLost && errors === 0,
      },
    ];
    return { name: 'soak', measuredAt: new Date().toISOString(), machine: machine(), summary, details };
  } finally {
    if (fleet?.child.connected) fleet.child.kill();
    dynamodb.destroy();
    s3.destroy();
    sqs.destroy();
    try {
      await cloud.close();
    } catch (error) {
      stopErrors.push(error instanceof Error ? (error.stack ?? error.message) : String(error));
      console.error(`soak: stopping the local cloud failed: ${stopErrors.at(-1)}`);
    }
    await rm(dataDir, { recursive: true, force: true });
  }
}
