import type { StackSummary } from '../runtime/stack-summary';

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** What a deployed stack holds, counted: `10 functions, 9 routes, 3 tables`. */
export function deployedCounts(stack: StackSummary): string {
  const parts = [
    [stack.functions.length, 'function'],
    [stack.routes.length, 'route'],
    [stack.tables.length, 'table'],
    [stack.queues.length, 'queue'],
    [stack.topics.length, 'topic'],
    [stack.streams.length, 'stream'],
    [stack.buckets.length, 'bucket'],
    [stack.topicRules.length, 'topic rule'],
    [stack.schedules.length, 'schedule'],
  ] as const;
  return parts
    .filter(([count]) => count > 0)
    .map(([count, word]) => plural(count, word))
    .join(', ');
}

export interface ReadySummary {
  endpoints: Record<string, string | undefined>;
  stage: string;
  dataDir: string;
  seconds: number;
  /** The demo user's ID token, when a user pool was deployed. */
  token?: string;
  /** The simulated devices, when the simulator runs. */
  devices: string[];
  /** Where the functions' logs are, when they are not printed. */
  logsDir?: string;
}

/** `mqtt://127.0.0.1:1883` as mosquitto's `-h 127.0.0.1 -p 1883`. */
function mosquittoTarget(mqtt: string): string {
  const url = new URL(mqtt);
  return `-h ${url.hostname} -p ${url.port || '1883'}`;
}

/** A reading of a device over the `temperature` threshold a user is likely to set, as a copy-paste line. */
export function mosquittoPublishLine(mqtt: string, deviceId: string): string {
  return (
    `mosquitto_pub ${mosquittoTarget(mqtt)} -q 1 -t devices/${deviceId}/telemetry ` +
    `-m "{\\"timestamp\\":$(date +%s%3N),\\"metrics\\":{\\"temperature\\":42.5}}"`
  );
}

/** The one summary printed once everything runs: where things are, how to sign in, how to publish a reading. */
export function formatReadySummary(summary: ReadySummary): string {
  const { endpoints } = summary;
  const rows: [string, string | undefined, string][] = [
    ['Dashboard', endpoints.dashboard, summary.token ? 'sign in as "demo"' : ''],
    ['REST API', endpoints.api, 'Authorization: Bearer $TOKEN'],
    ['MQTT (TLS)', endpoints.mqttTls, 'the device certificate POST /devices returns; CA at <edge>/_local/iot'],
    [
      'MQTT',
      endpoints.mqtt,
      `plain, development only${endpoints.mqttWebSocket ? `; WebSocket ${endpoints.mqttWebSocket}` : ''}`,
    ],
    ['Edge', endpoints.edge, 'AWS_ENDPOINT_URL for AWS SDKs and the AWS CLI (any credentials)'],
  ];
  const shown = rows.filter(([, url]) => url !== undefined) as [string, string, string][];
  const urlWidth = Math.max(...shown.map(([, url]) => url.length));
  const lines = [
    `Ready in ${summary.seconds.toFixed(1)} s: stage ${summary.stage}, data in ${summary.dataDir}`,
    '',
    ...shown.map(([name, url, note]) => `  ${name.padEnd(11)}${url.padEnd(urlWidth)}${note ? `  ${note}` : ''}`),
  ];
  if (summary.token) {
    lines.push(
      '',
      'Demo user "demo", a fleet operator (token valid 12 h; any other user: POST /_local/cognito/tokens {"username":"..."} on the edge):',
      `  export TOKEN=${summary.token}`,
      `  curl -H "Authorization: Bearer $TOKEN" ${endpoints.api}/devices`,
    );
  }
  if (endpoints.mqtt) {
    const deviceId = summary.devices[0] ?? 'sensor-1';
    lines.push(
      '',
      `Publish a reading as ${deviceId} (Debian: apt-get install mosquitto-clients):`,
      `  ${mosquittoPublishLine(endpoints.mqtt, deviceId)}`,
    );
  }
  if (summary.logsDir)
    lines.push('', `Function logs: ${summary.logsDir}/<function>.log (--logs prints them here too).`);
  lines.push(
    '',
    summary.devices.length > 0
      ? `Simulating ${plural(summary.devices.length, 'device')} (${summary.devices.join(', ')}); --no-simulator turns them off. Ctrl-C stops.`
      : 'No simulated devices (--devices <n> starts some). Ctrl-C stops.',
  );
  return lines.join('\n');
}
