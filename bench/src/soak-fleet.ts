// The soak benchmark's device fleet, in a process of its own so that the local cloud's memory is measured alone.
// Started by soak-bench.ts through `fork` with a JSON argument; reports its counters over IPC every `reportMs`,
// and on 'stop' stops publishing, disconnects and sends its final counters.
import { type DeviceEvent, type Fleet, type FleetStats, startFleet } from '@iot/device-simulator';
import { CONNECT_ATTEMPTS, combine, groupPrefix, groupSizes } from './soak-devices';

export interface SoakFleetOptions {
  url: string;
  devices: number;
  intervalSeconds: number;
  prefix: string;
  ruleName: string;
  reportMs: number;
}

export type SoakFleetMessage =
  | { type: 'started'; stats: FleetStats }
  | { type: 'stats'; stats: FleetStats; rssBytes: number; errorSamples: string[] }
  | { type: 'stopped'; stats: FleetStats; errorSamples: string[] }
  | { type: 'failed'; message: string };

// With a callback, a send after the parent went away is dropped instead of raising an 'error' event.
const send = (message: SoakFleetMessage) => {
  if (process.connected) process.send?.(message, undefined, {}, () => {});
};

async function run(options: SoakFleetOptions): Promise<void> {
  // The first few distinct error messages, so a run with errors says what they were.
  const errorSamples = new Set<string>();
  const onEvent = (event: DeviceEvent) => {
    if (event.type === 'error' && errorSamples.size < 10) errorSamples.add(`${event.deviceId}: ${event.message}`);
  };
  // Connected a group at a time, each tried again if the broker is too busy to answer within the connect timeout.
  const groups: Fleet[] = [];
  for (const [group, size] of groupSizes(options.devices).entries()) {
    for (let attempt = 1; ; attempt++) {
      try {
        groups.push(
          await startFleet({
            url: options.url,
            devices: size,
            intervalSeconds: options.intervalSeconds,
            prefix: groupPrefix(options.prefix, group),
            ruleName: options.ruleName,
            seed: group + 1,
            // No threshold is set for these devices: excursions would change nothing but the numbers.
            excursionProbability: 0,
            onEvent,
          }),
        );
        break;
      } catch (error) {
        if (attempt === CONNECT_ATTEMPTS) throw error;
      }
    }
  }
  const fleet = combine(groups);
  send({ type: 'started', stats: fleet.stats() });
  const timer = setInterval(() => {
    send({ type: 'stats', stats: fleet.stats(), rssBytes: process.memoryUsage().rss, errorSamples: [...errorSamples] });
  }, options.reportMs);
  process.on('message', (message) => {
    if (message !== 'stop') return;
    clearInterval(timer);
    fleet
      .stop()
      .then(() => send({ type: 'stopped', stats: fleet.stats(), errorSamples: [...errorSamples] }))
      .finally(() => process.disconnect());
  });
}

run(JSON.parse(process.argv[2] ?? '{}') as SoakFleetOptions).catch((error: unknown) => {
  send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.disconnect();
});
