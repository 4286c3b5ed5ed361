import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type FleetStats, fleetDeviceIds, startFleet, telemetryRuleNameFrom } from '../fleet';
import { localCaCertificate, type RegisteredFleet, registerWithCertificates } from '../registration';

const USAGE = `Usage: iot-simulate [options]

A fleet of simulated devices over MQTT: temperature, humidity, battery and signal readings every interval, the
configuration of their shadow (deltas applied and reported), and answers to commands.

Options:
  --devices <n>          How many devices (default 3)
  --interval <time>      Between two readings of a device: 5s, 500ms, 1m or seconds (default 5s)
  --url <url>            The MQTT broker (default: the local cloud's, from <data-dir>/endpoints.json, else
                         mqtt://127.0.0.1:1883)
  --plain-topic          Publish on devices/{id}/telemetry instead of Basic Ingest
  --rule-name <name>     The Basic Ingest rule (default: TelemetryRuleName of <data-dir>/stacks.json, else
                         iot_ingestion_rules_local_telemetry)
  --prefix <prefix>      Device ids are <prefix>-001, <prefix>-002, ... (default sim)
  --seed <n>             Seed of the readings (default 1)
  --excursions <p>       Chance per reading of an excursion past the usual thresholds (default 0.02)
  --tls                  Register each device through POST /devices and connect over TLS with the certificate it
                         answers (the devices must not be registered yet; the keys stay in memory)
  --token <token>        With --tls: an ID token of the user the devices are registered to (env IOT_TOKEN)
  --api-url <url>        With --tls: the REST API (default: the local cloud's, from <data-dir>/endpoints.json)
  --ca <file>            With --tls: the CA of the broker (default: the local cloud's, from its edge endpoint)
  --data-dir <dir>       The local cloud's data folder (default .local)
  -h, --help             Show this help
`;

class UsageError extends Error {}

/** Parses `5s`, `500ms`, `2m` or a bare number of seconds. */
function parseInterval(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match) throw new UsageError(`--interval must be like 5s, 500ms or 1m, not "${text}"`);
  const value = Number(match[1]);
  const seconds = match[2] === 'ms' ? value / 1000 : match[2] === 'm' ? value * 60 : value;
  if (!(seconds > 0)) throw new UsageError(`--interval must be above 0, not "${text}"`);
  return seconds;
}

function wholeNumber(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} must be a whole number, not "${text}"`);
  return Number(text);
}

async function endpointsFrom(dataDir: string): Promise<Record<string, string | undefined>> {
  try {
    return JSON.parse(await readFile(join(dataDir, 'endpoints.json'), 'utf8')) as Record<string, string | undefined>;
  } catch {
    return {};
  }
}

/** Registers the fleet's devices with certificates, for --tls. */
async function registerTls(
  values: { token?: string; 'api-url'?: string; ca?: string },
  endpoints: Record<string, string | undefined>,
  deviceIds: string[],
): Promise<RegisteredFleet> {
  const token = values.token ?? process.env.IOT_TOKEN;
  if (!token) throw new UsageError('--tls needs --token <ID token> (or IOT_TOKEN) to register the devices');
  const apiUrl = values['api-url'] ?? endpoints.api;
  if (!apiUrl) throw new UsageError('--tls needs --api-url, or a running local cloud (<data-dir>/endpoints.json)');
  let ca: string;
  if (values.ca) ca = await readFile(values.ca, 'utf8');
  else if (endpoints.edge) ca = await localCaCertificate(endpoints.edge);
  else throw new UsageError('--tls needs --ca <file>, or a running local cloud (<data-dir>/endpoints.json)');
  return registerWithCertificates({ apiUrl, token, deviceIds, ca });
}

function statusLine(stats: FleetStats): string {
  return (
    `connected ${stats.connected}/${stats.devices}  sent ${stats.messagesSent}  deltas applied ${stats.deltasApplied}` +
    `  commands answered ${stats.commandsAnswered}  reconnects ${stats.reconnects}  errors ${stats.errors}`
  );
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv.filter((arg) => arg !== '--'),
    options: {
      devices: { type: 'string', default: '3' },
      interval: { type: 'string', default: '5s' },
      url: { type: 'string' },
      'plain-topic': { type: 'boolean', default: false },
      'rule-name': { type: 'string' },
      prefix: { type: 'string', default: 'sim' },
      seed: { type: 'string', default: '1' },
      excursions: { type: 'string', default: '0.02' },
      'data-dir': { type: 'string', default: '.local' },
      tls: { type: 'boolean', default: false },
      token: { type: 'string' },
      'api-url': { type: 'string' },
      ca: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const dataDir = resolve(values['data-dir']);
  const excursionProbability = Number(values.excursions);
  if (!(excursionProbability >= 0 && excursionProbability <= 1))
    throw new UsageError(`--excursions must be a number from 0 to 1, not "${values.excursions}"`);
  const endpoints = await endpointsFrom(dataDir);
  const devices = wholeNumber(values.devices, '--devices');
  const registered = values.tls
    ? await registerTls(values, endpoints, fleetDeviceIds(devices, values.prefix))
    : undefined;
  const url = values.url ?? registered?.url ?? endpoints.mqtt ?? 'mqtt://127.0.0.1:1883';
  const basicIngest = !values['plain-topic'];
  const ruleName = values['rule-name'] ?? (await telemetryRuleNameFrom(dataDir));
  const interval = parseInterval(values.interval);

  const interactive = process.stdout.isTTY;
  const fleet = await startFleet({
    url,
    ...(registered ? { tls: registered.tls } : {}),
    devices,
    intervalSeconds: interval,
    prefix: values.prefix,
    basicIngest,
    ruleName,
    seed: wholeNumber(values.seed, '--seed'),
    excursionProbability,
    onEvent: (event) => {
      if (event.type !== 'error') return;
      if (interactive) process.stdout.write('\r\x1b[K');
      console.error(`${event.deviceId}: ${event.message}`);
    },
  });
  console.log(
    `${devices} devices on ${url}${registered ? ' (TLS, each with its certificate)' : ''}, a reading every ${interval} s through ${basicIngest ? `Basic Ingest (rule ${ruleName})` : 'the plain topic'}. Ctrl-C stops.`,
  );
  const show = () => {
    const line = statusLine(fleet.stats());
    if (interactive) process.stdout.write(`\r\x1b[K${line}`);
    else console.log(line);
  };
  const ticker = setInterval(show, interactive ? 500 : 10_000);
  await new Promise<void>((done) => {
    // Listeners that stay: tsx's loader exits at once on a signal that no listener of the program handles.
    process.on('SIGINT', () => done());
    process.on('SIGTERM', () => done());
  });
  clearInterval(ticker);
  show();
  process.stdout.write('\n');
  await fleet.stop();
  console.log('Devices disconnected.');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) console.error(`${error.message}\n\nSee iot-simulate --help.`);
    else console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
