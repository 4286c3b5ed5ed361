import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Fleet, startLocalFleet } from '@iot/device-simulator';
import { resolveOutputsOffline } from '../cloudformation';
import { PackagingError, packageServices } from '../compose';
import { DashboardBuildError, ensureDashboardBuild } from '../dashboard';
import {
  DEFAULT_API_PORT,
  DEFAULT_EDGE_PORT,
  DEFAULT_HOST,
  DEFAULT_MQTT_PORT,
  DEFAULT_MQTT_TLS_PORT,
  type LocalCloud,
  type LocalTiming,
  startLocalCloud,
} from '../local-cloud';
import { PortInUseError } from '../runtime/ports';
import { formatStartupReport } from '../runtime/stack-summary';
import { localCloudExtensions } from './extensions';
import { deployedCounts, formatReadySummary } from './start-output';

const USAGE = `Usage: iot-local <command> [options]

Commands:
  start      Run the local cloud: start every emulated AWS service, package each service of serverless-compose.yml
             (unchanged packages are reused) and deploy it, then serve until Ctrl-C.
  package    Package every service of serverless-compose.yml offline, in deployment order, each with its
             upstream services' outputs (derived from their packaged templates) as params.

Options (start):
  --host <address>                 The address every endpoint listens on (default ${DEFAULT_HOST}; env IOT_LOCAL_HOST).
                                   Anything but loopback exposes the whole cloud, unauthenticated, to the network
  --edge-port <port>               Edge endpoint for AWS SDKs and the AWS CLI (default ${DEFAULT_EDGE_PORT}; env IOT_LOCAL_EDGE_PORT)
  --api-port <port>                REST API (default ${DEFAULT_API_PORT}; env IOT_LOCAL_API_PORT)
  --mqtt-tls-port <port>           MQTT over TLS with device certificates (default ${DEFAULT_MQTT_TLS_PORT}; env IOT_LOCAL_MQTT_TLS_PORT)
  --mqtt-port <port>               Plain MQTT, for development only (default ${DEFAULT_MQTT_PORT}; env IOT_LOCAL_MQTT_PORT)
  --no-plain-mqtt                  No plain MQTT port: devices connect over TLS only (env IOT_LOCAL_PLAIN_MQTT=false)
  --data-dir <dir>                 Where data is kept (default <root>/.local; env IOT_LOCAL_DATA_DIR)
  --reset                          Empty the data folder first
  --firehose-buffer-seconds <s>    Deliver Firehose buffers after s seconds (default: as the templates say;
                                   env IOT_LOCAL_FIREHOSE_BUFFER_SECONDS)
  --window-seconds <s>             Cap tumbling windows of stream event sources at s seconds (default: as the
                                   templates say; env IOT_LOCAL_WINDOW_SECONDS)
  --logs                           Function logs on the console too (always in <data-dir>/logs/)
  --quiet                          Function logs only to <data-dir>/logs/ (the default)
  --devices <n>                    Simulated devices (sim-001 ...) registered to the demo user (default 3)
  --no-simulator                   No simulated devices
  --no-dashboard                   Do not build or serve the dashboard (served at <edge>/dashboard/ otherwise)
  --verbose                        Also list what each deployed stack holds

Options (both):
  --stage <name>   Stage (default: local; env IOT_LOCAL_STAGE)
  --region <name>  Region (default: us-east-1; env AWS_REGION)
  --force          Package again even where nothing changed
  --root <dir>     Repository root (default: the current folder)
  -h, --help       Show this help
`;

/** A usage error: the message is shown with a pointer to --help. */
class UsageError extends Error {}

function port(value: string, flag: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number > 65_535)
    throw new UsageError(`${flag} must be a port number (0 to 65535), not "${value}"`);
  return number;
}

function seconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0)
    throw new UsageError(`${flag} must be a number of seconds, not "${value}"`);
  return number;
}

/** Loopback addresses: the only ones where the local cloud's missing authentication cannot be reached from outside. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

function listenAddress(value: string): string {
  if (value !== 'localhost' && isIP(value) === 0) {
    throw new UsageError(`--host must be an IP address (e.g. 127.0.0.1, ::1, 0.0.0.0) or localhost, not "${value}"`);
  }
  if (!isLoopback(value)) {
    console.warn(
      `Warning: listening on ${value}, not loopback. The local cloud checks no AWS credentials and mints tokens for ` +
        'anyone (POST /_local/cognito/tokens): whoever reaches this address can read and change all of its data. ' +
        'Use it only on a network you trust.',
    );
  }
  return value;
}

function simulatedDevices(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 1000)
    throw new UsageError(`--devices must be a number of devices (0 to 1000), not "${value}"`);
  return Number(value);
}

async function packageCommand(options: { root: string; stage: string; region: string; force: boolean }) {
  const started = Date.now();
  const packaged = await packageServices({
    root: options.root,
    stage: options.stage,
    force: options.force,
    onProgress: ({ service, step }) => {
      if (step === 'packaging') process.stdout.write(`  ${service.padEnd(22)} packaging...`);
      else process.stdout.write(step === 'reused' ? ' unchanged, reused\n' : ' packaged\n');
    },
    outputsOf: async ({ template, stackName }) =>
      resolveOutputsOffline(template, {
        stackName,
        region: options.region,
        logger: { info: () => {}, warn: (message) => console.warn(message) },
      }).outputs,
  });
  console.log(
    `\nPackaged ${packaged.length} services for stage ${options.stage} in ${((Date.now() - started) / 1000).toFixed(1)} s:`,
  );
  for (const service of packaged) {
    console.log(
      `  ${service.name.padEnd(22)} ${service.serviceDir}/.serverless/cloudformation-template-update-stack.json`,
    );
  }
}

interface StartOptions {
  root: string;
  host: string;
  stage: string;
  region: string;
  force: boolean;
  edgePort: number;
  apiPort: number;
  mqttPort: number;
  mqttTlsPort: number;
  plainMqtt: boolean;
  dataDir?: string;
  reset: boolean;
  /** Function logs on the console too, not only in the data folder. */
  logs: boolean;
  /** Simulated devices to run once the cloud is ready (0: none). */
  devices: number;
  /** Build (when stale) and serve the dashboard. */
  dashboard: boolean;
  /** Also list what each stack holds. */
  verbose: boolean;
  timing: LocalTiming;
}

/** Runs until SIGINT or SIGTERM, then stops cleanly; resolves with the exit code. */
async function startCommand(options: StartOptions): Promise<number> {
  const aborter = new AbortController();
  let cloud: LocalCloud | undefined;
  let firstSignalAt = 0;
  let stopped: () => void = () => {};
  const stopping = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    const now = Date.now();
    // Ctrl-C reaches this process twice (from the terminal and from the launcher): only a later one forces the exit.
    if (firstSignalAt && now - firstSignalAt > 1000) {
      console.error(`\n${signal} again: exiting without a clean stop.`);
      process.exit(130);
    }
    if (firstSignalAt) return;
    firstSignalAt = now;
    console.log(`\n${signal}: stopping (Firehose buffers, queues, streams and pending events are written out)...`);
    aborter.abort(new Error(`Stopped by ${signal} before the start finished`));
    stopped();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const started = Date.now();
  console.log(`Starting the local cloud (stage ${options.stage})`);
  const column = (name: string) => `  ${name.padEnd(22)}`;
  let dashboardDist: string | undefined;
  if (options.dashboard) {
    const building = Date.now();
    const build = await ensureDashboardBuild({
      root: options.root,
      force: options.force,
      onBuilding: () => process.stdout.write(`${column('dashboard')}building...`),
    });
    console.log(
      build.built
        ? ` built in ${((Date.now() - building) / 1000).toFixed(1)} s`
        : `${column('dashboard')}build unchanged, reused`,
    );
    dashboardDist = build.distDir;
  }
  let packagingSince = 0;
  try {
    cloud = await startLocalCloud({
      root: options.root,
      dataDir: options.dataDir,
      reset: options.reset,
      stage: options.stage,
      region: options.region,
      host: options.host,
      edgePort: options.edgePort,
      apiPort: options.apiPort,
      mqttPort: options.mqttPort,
      mqttTlsPort: options.mqttTlsPort,
      plainMqtt: options.plainMqtt,
      forcePackage: options.force,
      timing: options.timing,
      extensions: localCloudExtensions({ dashboardDist }),
      signal: aborter.signal,
      // The simulated fleet makes functions log several lines a second: on the console only when asked for.
      ...(options.logs ? {} : { functionLogs: false as const }),
      onProgress: (event) => {
        if (event.type === 'packaging') {
          packagingSince = Date.now();
          process.stdout.write(`${column(event.service)}packaging...`);
        } else if (event.type === 'packaged') {
          const seconds = ((Date.now() - packagingSince) / 1000).toFixed(1);
          process.stdout.write(event.reused ? ' unchanged, reused' : ` packaged in ${seconds} s`);
          process.stdout.write(' · deploying...');
        } else if (event.type === 'deployed') {
          console.log(` deployed: ${deployedCounts(event.stack)}`);
        }
      },
    });
  } catch (error) {
    if (aborter.signal.aborted) return 0;
    // The line of the service that failed is still open.
    if (packagingSince) process.stdout.write(' failed\n');
    throw error;
  }
  if (options.verbose) {
    console.log('');
    console.log(
      formatStartupReport({
        endpoints: Object.fromEntries(Object.entries(cloud.endpoints).filter(([, url]) => url !== undefined)) as Record<
          string,
          string
        >,
        stacks: cloud.stacks,
        stage: cloud.stage,
        seconds: (Date.now() - started) / 1000,
        dataDir: cloud.dataDir,
      }),
    );
  }
  const demo = await demoToken(cloud.endpoints.edge);
  let fleet: Fleet | undefined;
  const fleetWarnings: string[] = [];
  if (options.devices > 0 && demo && cloud.endpoints.mqtt) {
    process.stdout.write(`${column('simulator')}registering and connecting ${options.devices} devices...`);
    // A simulator failure is reported and leaves the cloud serving.
    fleet = await startLocalFleet({
      mqttUrl: cloud.endpoints.mqtt,
      apiUrl: cloud.endpoints.api,
      token: demo,
      dataDir: cloud.dataDir,
      devices: options.devices,
      log: { info: () => {}, warn: (message) => void fleetWarnings.push(message) },
    });
    console.log(fleet ? ' running' : ' failed');
    for (const warning of fleetWarnings) console.warn(`  ${warning}`);
  }
  console.log('');
  console.log(
    formatReadySummary({
      endpoints: cloud.endpoints,
      stage: cloud.stage,
      dataDir: cloud.dataDir,
      seconds: (Date.now() - started) / 1000,
      token: demo,
      devices: fleet ? fleet.devices.map((device) => device.deviceId) : [],
      ...(options.logs ? {} : { logsDir: join(cloud.dataDir, 'logs') }),
    }),
  );

  await stopping;
  const closing = Date.now();
  await fleet?.stop().catch(() => undefined);
  await cloud.close();
  console.log(`Stopped in ${((Date.now() - closing) / 1000).toFixed(1)} s; data kept in ${cloud.dataDir}.`);
  return 0;
}

/** An ID token for the demo user from the local Cognito issuer; undefined when no user pool was deployed. */
async function demoToken(edge: string): Promise<string | undefined> {
  const answer = await fetch(`${edge}/_local/cognito/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // The demo user operates the local fleet: the fleet routes (fleet thresholds and metrics) are open to it.
    body: JSON.stringify({
      username: 'demo',
      email: 'demo@example.com',
      expiresIn: 12 * 3600,
      groups: ['fleet-operators'],
    }),
  }).catch(() => undefined);
  if (!answer?.ok) return undefined;
  const body = (await answer.json()) as { token?: string };
  return body.token;
}

/** A module that is not installed (a fresh clone without `pnpm install`, or a stale one). */
function isMissingDependency(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND';
}

async function main(argv: string[]): Promise<number> {
  const env = process.env;
  const { values, positionals } = parseArgs({
    // `pnpm start -- --reset` passes the `--` on: every argument here is an option or the command.
    args: argv.filter((arg) => arg !== '--'),
    allowPositionals: true,
    options: {
      stage: { type: 'string', default: env.IOT_LOCAL_STAGE ?? 'local' },
      region: { type: 'string', default: env.AWS_REGION ?? 'us-east-1' },
      force: { type: 'boolean', default: false },
      root: { type: 'string', default: process.cwd() },
      host: { type: 'string', default: env.IOT_LOCAL_HOST ?? DEFAULT_HOST },
      'edge-port': { type: 'string', default: env.IOT_LOCAL_EDGE_PORT ?? String(DEFAULT_EDGE_PORT) },
      'api-port': { type: 'string', default: env.IOT_LOCAL_API_PORT ?? String(DEFAULT_API_PORT) },
      'mqtt-port': { type: 'string', default: env.IOT_LOCAL_MQTT_PORT ?? String(DEFAULT_MQTT_PORT) },
      'mqtt-tls-port': { type: 'string', default: env.IOT_LOCAL_MQTT_TLS_PORT ?? String(DEFAULT_MQTT_TLS_PORT) },
      'no-plain-mqtt': { type: 'boolean', default: env.IOT_LOCAL_PLAIN_MQTT === 'false' },
      'data-dir': { type: 'string', default: env.IOT_LOCAL_DATA_DIR },
      reset: { type: 'boolean', default: false },
      'firehose-buffer-seconds': { type: 'string', default: env.IOT_LOCAL_FIREHOSE_BUFFER_SECONDS },
      'window-seconds': { type: 'string', default: env.IOT_LOCAL_WINDOW_SECONDS },
      quiet: { type: 'boolean', default: false },
      logs: { type: 'boolean', default: false },
      devices: { type: 'string', default: '3' },
      'no-simulator': { type: 'boolean', default: false },
      'no-dashboard': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 1;
  }
  const root = resolve(values.root);
  const common = { root, stage: values.stage, region: values.region, force: values.force };
  switch (command) {
    case 'package':
      await packageCommand(common);
      return 0;
    case 'start': {
      const firehoseSeconds = seconds(values['firehose-buffer-seconds'], '--firehose-buffer-seconds');
      const windowSeconds = seconds(values['window-seconds'], '--window-seconds');
      return startCommand({
        ...common,
        host: listenAddress(values.host),
        edgePort: port(values['edge-port'], '--edge-port'),
        apiPort: port(values['api-port'], '--api-port'),
        mqttPort: port(values['mqtt-port'], '--mqtt-port'),
        mqttTlsPort: port(values['mqtt-tls-port'], '--mqtt-tls-port'),
        plainMqtt: !values['no-plain-mqtt'],
        dataDir: values['data-dir'] ? resolve(values['data-dir']) : undefined,
        reset: values.reset,
        logs: values.logs && !values.quiet,
        devices: values['no-simulator'] ? 0 : simulatedDevices(values.devices),
        dashboard: !values['no-dashboard'],
        verbose: values.verbose,
        timing: {
          ...(firehoseSeconds !== undefined ? { firehoseBufferIntervalMs: firehoseSeconds * 1000 } : {}),
          ...(windowSeconds !== undefined ? { tumblingWindowSeconds: Math.max(1, Math.round(windowSeconds)) } : {}),
        },
      });
    }
    default:
      console.error(`Unknown command "${command}".\n\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exit(code);
  },
  (error: unknown) => {
    if (error instanceof UsageError) console.error(`${error.message}\n\nSee iot-local --help.`);
    else if (error instanceof PortInUseError || error instanceof DashboardBuildError)
      console.error(`\n${error.message}`);
    else if (error instanceof PackagingError) {
      console.error(
        `\n${error.message}\n\nFix the service, then start again; \`pnpm run package\` packages the services alone.`,
      );
    } else if (isMissingDependency(error)) {
      console.error(
        `\n${error instanceof Error ? error.message : String(error)}\n\nA dependency is missing: run pnpm install, then start again.`,
      );
    } else console.error(`\n${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
