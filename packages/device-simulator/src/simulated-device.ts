import {
  basicIngestTopic,
  type CommandMessage,
  CommandMessageSchema,
  type CommandResultPayload,
  type DeviceConfiguration,
  shadowTopic,
  type TelemetryPayload,
  topics,
} from '@iot/types';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { applyDelta, reportedConfig, type SimulatedDeviceConfig } from './device-config';
import type { Random } from './random';
import { SENSOR_NAMES, SensorModel } from './sensors';

/** Something that happened on a simulated device, for status lines and tests. */
export type DeviceEvent =
  | { type: 'connected'; deviceId: string; sessionPresent: boolean }
  | { type: 'disconnected'; deviceId: string }
  | { type: 'telemetry'; deviceId: string; topic: string; payload: TelemetryPayload }
  | { type: 'delta'; deviceId: string; delta: Record<string, unknown>; reported: DeviceConfiguration }
  | { type: 'command'; deviceId: string; command: CommandMessage; result: CommandResultPayload }
  | { type: 'error'; deviceId: string; message: string };

/** How a device publishes its telemetry. */
export type TelemetryRoute = { basicIngest: true; ruleName: string } | { basicIngest: false };

/** A device's certificate, its private key and the CA it trusts (PEM), for MQTT over TLS (`mqtts://`). */
export interface DeviceTls {
  cert: string;
  key: string;
  ca: string;
}

export interface SimulatedDeviceOptions {
  deviceId: string;
  url: string;
  /** The device's certificate, for a `mqtts://` broker that requires one (AWS IoT Core, the local cloud's 8883). */
  tls?: DeviceTls;
  /** Seconds between two telemetry messages until the shadow says otherwise (may be fractional). */
  intervalSeconds: number;
  route: TelemetryRoute;
  random: Random;
  excursionProbability?: number;
  /** Delay before the first reading, in ms, so a fleet does not publish in lockstep. */
  firstReadingDelayMs?: number;
  /** Milliseconds between reconnection attempts (mqtt.js `reconnectPeriod`; default 1000). */
  reconnectPeriodMs?: number;
  onEvent?: (event: DeviceEvent) => void;
  /** The clock, in ms since the epoch (default `Date.now`). */
  now?: () => number;
}

/** Counters of one device. */
export interface DeviceStats {
  connected: boolean;
  messagesSent: number;
  deltasApplied: number;
  commandsAnswered: number;
  reconnects: number;
  errors: number;
}

/**
 * One simulated device: an MQTT client whose client id is the device id, with a persistent session (clean: false) so
 * subscriptions and QoS 1 messages survive a reconnection. At every connection it asks for its classic shadow and
 * applies the delta, reports its configuration, follows `/update/delta`, answers commands on `devices/{id}/commands`
 * and publishes readings every reporting interval.
 */
export class SimulatedDevice {
  readonly deviceId: string;
  readonly sensors: SensorModel;
  readonly stats: DeviceStats = {
    connected: false,
    messagesSent: 0,
    deltasApplied: 0,
    commandsAnswered: 0,
    reconnects: 0,
    errors: 0,
  };
  private config: SimulatedDeviceConfig;
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sequence = 0;
  private bootedAt: number;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: SimulatedDeviceOptions) {
    this.deviceId = options.deviceId;
    this.now = options.now ?? Date.now;
    this.bootedAt = this.now();
    this.sensors = new SensorModel(options.random, { excursionProbability: options.excursionProbability });
    this.config = { reportingIntervalSeconds: options.intervalSeconds, enabledSensors: [...SENSOR_NAMES] };
  }

  /** The configuration the device runs with. */
  get configuration(): Readonly<SimulatedDeviceConfig> {
    return this.config;
  }

  /** Connects; resolves at the first connection (mqtt.js keeps reconnecting after that). */
  start(): Promise<void> {
    const id = this.deviceId;
    const clientOptions: IClientOptions = {
      clientId: id,
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: this.options.reconnectPeriodMs ?? 1000,
      connectTimeout: 10_000,
      keepalive: 30,
      ...(this.options.tls ? { ...this.options.tls, rejectUnauthorized: true } : {}),
    };
    const client = connect(this.options.url, clientOptions);
    this.client = client;
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('connect', (connack) => {
      this.stats.connected = true;
      this.emit({ type: 'connected', deviceId: id, sessionPresent: connack.sessionPresent });
      this.onConnected().catch((error: unknown) => this.fail(error));
    });
    client.on('reconnect', () => {
      this.stats.reconnects += 1;
    });
    client.on('close', () => {
      if (this.stats.connected) this.emit({ type: 'disconnected', deviceId: id });
      this.stats.connected = false;
    });
    client.on('error', (error) => this.fail(error));
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => {
        client.removeListener('connect', onConnect);
        client.end(true);
        reject(error);
      };
      const onConnect = () => {
        client.removeListener('error', onError);
        this.schedule(this.options.firstReadingDelayMs ?? 0);
        resolve();
      };
      client.once('connect', onConnect);
      client.once('error', onError);
    });
  }

  /** Disconnects cleanly (the session stays with the broker) and stops publishing. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const client = this.client;
    if (client) {
      // A clean DISCONNECT when the broker answers; without one (it went away first) the socket is just dropped.
      let timeout: NodeJS.Timeout | undefined;
      const ended = await Promise.race([
        client.endAsync().then(
          () => true,
          () => false,
        ),
        new Promise<boolean>((resolve) => {
          timeout = setTimeout(() => resolve(false), 2_000);
        }),
      ]);
      clearTimeout(timeout);
      if (!ended) client.end(true);
    }
    this.stats.connected = false;
  }

  /** Reads the sensors (the enabled ones, or those named) and publishes the readings now. */
  async publishReading(sensors?: readonly string[]): Promise<TelemetryPayload> {
    const client = this.requireClient();
    const now = this.now();
    this.sequence += 1;
    const payload: TelemetryPayload = {
      timestamp: now,
      metrics: this.sensors.read(now, sensors ?? this.config.enabledSensors),
      messageId: `${this.deviceId}-${this.bootedAt.toString(36)}-${this.sequence}`,
      sequence: this.sequence,
    };
    const route = this.options.route;
    const topic = route.basicIngest
      ? basicIngestTopic(route.ruleName, topics.telemetry(this.deviceId))
      : topics.telemetry(this.deviceId);
    await client.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
    this.stats.messagesSent += 1;
    this.emit({ type: 'telemetry', deviceId: this.deviceId, topic, payload });
    return payload;
  }

  private async onConnected(): Promise<void> {
    const client = this.requireClient();
    const id = this.deviceId;
    await client.subscribeAsync(
      {
        [shadowTopic(id, 'update/delta')]: { qos: 1 },
        [shadowTopic(id, 'get/accepted')]: { qos: 1 },
        [shadowTopic(id, 'get/rejected')]: { qos: 1 },
        [topics.commands(id)]: { qos: 1 },
      },
      {},
    );
    await client.publishAsync(shadowTopic(id, 'get'), '{}', { qos: 1 });
  }

  private onMessage(topic: string, payload: Buffer): void {
    const id = this.deviceId;
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
    } catch {
      this.fail(new Error(`${topic}: not JSON`));
      return;
    }
    let handling: Promise<void>;
    if (topic === shadowTopic(id, 'update/delta')) {
      handling = this.applyAndReport(objectAt(body, 'state'), false);
    } else if (topic === shadowTopic(id, 'get/accepted')) {
      handling = this.applyAndReport(objectAt(objectAt(body, 'state'), 'delta'), true);
    } else if (topic === shadowTopic(id, 'get/rejected')) {
      // No shadow yet (404): the device creates it by reporting what it runs with.
      handling = this.report(reportedConfig(this.config));
    } else if (topic === topics.commands(id)) {
      handling = this.answer(body);
    } else {
      return;
    }
    handling.catch((error: unknown) => this.fail(error));
  }

  private async applyAndReport(delta: Record<string, unknown>, wholeConfig: boolean): Promise<void> {
    const before = this.config.reportingIntervalSeconds;
    const applied = applyDelta(this.config, delta);
    this.config = applied.config;
    if (Object.keys(delta).length > 0) {
      this.stats.deltasApplied += 1;
      this.emit({ type: 'delta', deviceId: this.deviceId, delta, reported: applied.reported });
    }
    if (this.config.reportingIntervalSeconds !== before) this.schedule(this.config.reportingIntervalSeconds * 1000);
    // At start the device reports everything it runs with; afterwards only what the delta changed.
    const reported = wholeConfig ? reportedConfig(this.config) : applied.reported;
    if (Object.keys(reported).length > 0) await this.report(reported);
  }

  private async report(reported: DeviceConfiguration): Promise<void> {
    await this.requireClient().publishAsync(
      shadowTopic(this.deviceId, 'update'),
      JSON.stringify({ state: { reported } }),
      { qos: 1 },
    );
  }

  private async answer(body: Record<string, unknown>): Promise<void> {
    const parsed = CommandMessageSchema.safeParse(body);
    if (!parsed.success) {
      this.fail(new Error(`a command that is not a CommandMessage: ${parsed.error.message}`));
      return;
    }
    const command = parsed.data;
    // Past its deadline nobody awaits the answer: a real device would not run it.
    if (this.now() > command.deadline) return;
    const result = await this.run(command);
    await this.requireClient().publishAsync(
      topics.commandResult(this.deviceId, command.commandId),
      JSON.stringify(result),
      { qos: 1 },
    );
    this.stats.commandsAnswered += 1;
    this.emit({ type: 'command', deviceId: this.deviceId, command, result });
  }

  private async run(command: CommandMessage): Promise<CommandResultPayload> {
    const parameters = command.parameters;
    switch (command.name) {
      case 'identify':
        return {
          status: 'succeeded',
          output: { identified: true, durationSeconds: numberOr(parameters.durationSeconds, 5) },
        };
      case 'reboot': {
        const delaySeconds = numberOr(parameters.delaySeconds, 0);
        const uptimeSeconds = Math.round((this.now() - this.bootedAt) / 1000);
        // A reboot restarts the uptime and the sequence after the delay; the connection and session stay.
        setTimeout(() => {
          this.bootedAt = this.now();
          this.sequence = 0;
        }, delaySeconds * 1000).unref();
        return { status: 'succeeded', output: { uptimeSeconds, rebootInSeconds: delaySeconds } };
      }
      case 'sampleNow': {
        const requested = Array.isArray(parameters.sensors)
          ? parameters.sensors.map(String)
          : this.config.enabledSensors;
        const unknown = requested.filter((name) => !(SENSOR_NAMES as readonly string[]).includes(name));
        if (unknown.length > 0) {
          return {
            status: 'rejected',
            error: { code: 'UnknownSensor', message: `This device has no sensor ${unknown.join(', ')}` },
          };
        }
        if (requested.length === 0) {
          return { status: 'rejected', error: { code: 'NoSensorEnabled', message: 'Every sensor is disabled' } };
        }
        const reading = await this.publishReading(requested);
        return {
          status: 'succeeded',
          output: { messageId: reading.messageId, sequence: reading.sequence, metrics: reading.metrics },
        };
      }
      default:
        return {
          status: 'rejected',
          error: { code: 'UnknownCommand', message: `This device does not know ${String(command.name)}` },
        };
    }
  }

  /** Schedules the next reading in `delayMs`, then every reporting interval. */
  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.schedule(this.config.reportingIntervalSeconds * 1000);
      // Offline, the reading is skipped rather than queued: a sensor sample is only worth its moment.
      if (!this.stats.connected || this.config.enabledSensors.length === 0) return;
      this.publishReading().catch((error: unknown) => this.fail(error));
    }, delayMs);
  }

  private requireClient(): MqttClient {
    if (!this.client) throw new Error(`${this.deviceId} is not started`);
    return this.client;
  }

  private fail(error: unknown): void {
    this.stats.errors += 1;
    this.emit({
      type: 'error',
      deviceId: this.deviceId,
      message: error instanceof Error ? error.message : String(error),
    });
  }

  private emit(event: DeviceEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A listener's failure is not the device's.
    }
  }
}

function objectAt(value: unknown, key: string): Record<string, unknown> {
  const inner = (value as Record<string, unknown> | undefined)?.[key];
  return inner && typeof inner === 'object' && !Array.isArray(inner) ? (inner as Record<string, unknown>) : {};
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}
