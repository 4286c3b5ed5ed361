import { type Fleet, fleetDeviceIds, startFleet, telemetryRuleNameFrom } from './fleet';

export interface LocalFleetOptions {
  /** The local cloud's MQTT broker. */
  mqttUrl: string;
  /** The REST API's stage base URL, where the devices are registered. */
  apiUrl: string;
  /** An ID token of the user the devices are registered to. */
  token: string;
  /** The local cloud's data folder, whose stacks.json names the telemetry rule. */
  dataDir: string;
  devices: number;
  intervalSeconds?: number;
  prefix?: string;
  seed?: number;
  log: { info(message: string): void; warn(message: string): void };
}

/**
 * Registers `devices` sensors (`sim-001`, ...) to the token's user (an id already registered is fine) and starts a
 * fleet for them through Basic Ingest. Never throws: a failure is logged and leaves the caller running without a
 * fleet (undefined).
 */
export async function startLocalFleet(options: LocalFleetOptions): Promise<Fleet | undefined> {
  try {
    const ids = fleetDeviceIds(options.devices, options.prefix);
    for (const deviceId of ids) {
      const answer = await fetch(`${options.apiUrl}/devices`, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ deviceId, type: 'sensor' }),
      });
      // 409: registered by an earlier run (or by another user, whose dashboard then shows it).
      if (answer.status !== 201 && answer.status !== 409) {
        options.log.warn(`Simulated device ${deviceId} not registered: ${answer.status} ${await answer.text()}`);
      }
    }
    const ruleName = await telemetryRuleNameFrom(options.dataDir);
    const fleet = await startFleet({
      url: options.mqttUrl,
      devices: options.devices,
      intervalSeconds: options.intervalSeconds ?? 5,
      prefix: options.prefix,
      seed: options.seed,
      basicIngest: true,
      ruleName,
      onEvent: (event) => {
        if (event.type === 'error') options.log.warn(`Simulated device ${event.deviceId}: ${event.message}`);
      },
    });
    options.log.info(
      `Simulating ${ids.length} devices (${ids.join(', ')}) through Basic Ingest; pnpm start --no-simulator turns them off.`,
    );
    return fleet;
  } catch (error) {
    options.log.warn(`The device simulator did not start: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}
