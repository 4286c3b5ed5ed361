import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deriveSeed, seededRandom } from './random';
import { type DeviceEvent, type DeviceTls, SimulatedDevice } from './simulated-device';

/** The telemetry rule of the local stage, when `<dataDir>/stacks.json` does not name it. */
export const DEFAULT_TELEMETRY_RULE_NAME = 'iot_ingestion_rules_local_telemetry';

export interface FleetOptions {
  /** The broker, e.g. `mqtt://127.0.0.1:1883`, or `mqtts://127.0.0.1:8883` with `tls`. */
  url: string;
  /** Each device's certificate, key and CA, for MQTT over TLS (see `registerWithCertificates`). */
  tls?: (deviceId: string) => DeviceTls | undefined;
  /** How many devices (default 3). */
  devices?: number;
  /** Seconds between two readings of a device until its shadow says otherwise (default 5; may be fractional). */
  intervalSeconds?: number;
  /** Device ids are `<prefix>-001`, `<prefix>-002`, ... (default `sim`). */
  prefix?: string;
  /** Publish through Basic Ingest (`$aws/rules/<ruleName>/devices/{id}/telemetry`; default) or the plain topic. */
  basicIngest?: boolean;
  /** The telemetry rule for Basic Ingest (default `iot_ingestion_rules_local_telemetry`). */
  ruleName?: string;
  /** Seed of the sensors' random source: the same seed gives every device the same readings (default 1). */
  seed?: number;
  /** Chance per reading that a device's sensor starts an excursion past the usual thresholds (default 0.02). */
  excursionProbability?: number;
  /** Milliseconds between reconnection attempts (default 1000). */
  reconnectPeriodMs?: number;
  onEvent?: (event: DeviceEvent) => void;
}

/** Counters of the whole fleet. */
export interface FleetStats {
  devices: number;
  connected: number;
  messagesSent: number;
  deltasApplied: number;
  commandsAnswered: number;
  reconnects: number;
  errors: number;
}

export interface Fleet {
  readonly devices: readonly SimulatedDevice[];
  stats(): FleetStats;
  /** Disconnects every device. */
  stop(): Promise<void>;
}

/** The ids of a fleet's devices: `sim-001`, `sim-002`, ... */
export function fleetDeviceIds(count: number, prefix = 'sim'): string[] {
  const width = Math.max(3, String(count).length);
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(width, '0')}`);
}

/**
 * Starts a fleet of simulated devices and resolves once every one is connected. Each device gets a random source
 * derived from the seed and its index, so a seed reproduces the readings; the first readings are spread over one
 * interval so the fleet does not publish in lockstep.
 */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const count = options.devices ?? 3;
  const intervalSeconds = options.intervalSeconds ?? 5;
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`devices must be a whole number, not ${count}`);
  if (!(intervalSeconds > 0)) throw new RangeError(`intervalSeconds must be above 0, not ${intervalSeconds}`);
  const seed = options.seed ?? 1;
  const spread = seededRandom(deriveSeed(seed, -1));
  const devices = fleetDeviceIds(count, options.prefix).map(
    (deviceId, index) =>
      new SimulatedDevice({
        deviceId,
        url: options.url,
        tls: options.tls?.(deviceId),
        intervalSeconds,
        route:
          options.basicIngest === false
            ? { basicIngest: false }
            : { basicIngest: true, ruleName: options.ruleName ?? DEFAULT_TELEMETRY_RULE_NAME },
        random: seededRandom(deriveSeed(seed, index)),
        excursionProbability: options.excursionProbability,
        firstReadingDelayMs: Math.floor(spread() * intervalSeconds * 1000),
        reconnectPeriodMs: options.reconnectPeriodMs,
        onEvent: options.onEvent,
      }),
  );
  const starting = await Promise.allSettled(devices.map((device) => device.start()));
  const failed = starting.find((outcome) => outcome.status === 'rejected');
  if (failed) {
    await Promise.all(devices.map((device) => device.stop()));
    throw new Error(`The fleet could not connect to ${options.url}: ${String(failed.reason)}`);
  }
  return {
    devices,
    stats: () => {
      const stats: FleetStats = {
        devices: devices.length,
        connected: 0,
        messagesSent: 0,
        deltasApplied: 0,
        commandsAnswered: 0,
        reconnects: 0,
        errors: 0,
      };
      for (const { stats: device } of devices) {
        if (device.connected) stats.connected += 1;
        stats.messagesSent += device.messagesSent;
        stats.deltasApplied += device.deltasApplied;
        stats.commandsAnswered += device.commandsAnswered;
        stats.reconnects += device.reconnects;
        stats.errors += device.errors;
      }
      return stats;
    },
    stop: async () => {
      await Promise.all(devices.map((device) => device.stop()));
    },
  };
}

/**
 * The telemetry rule's name from the `TelemetryRuleName` output that the local cloud wrote to
 * `<dataDir>/stacks.json`; the local stage's default when the file or the output is missing.
 */
export async function telemetryRuleNameFrom(dataDir: string): Promise<string> {
  try {
    const stacks = JSON.parse(await readFile(join(dataDir, 'stacks.json'), 'utf8')) as Record<
      string,
      { outputs?: Record<string, unknown> }
    >;
    for (const stack of Object.values(stacks)) {
      const name = stack.outputs?.TelemetryRuleName;
      if (typeof name === 'string' && name) return name;
    }
  } catch {
    // No local cloud has run in this folder yet.
  }
  return DEFAULT_TELEMETRY_RULE_NAME;
}
