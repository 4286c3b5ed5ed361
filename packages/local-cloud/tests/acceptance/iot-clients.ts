/**
 * The clients the IoT Core acceptance tests drive the local broker with, none of them written here: the AWS IoT Device
 * SDK v2 (its native CRT MQTT 3.1.1 client and IotShadowClient), mqtt.js, and Debian's mosquitto_pub / mosquitto_sub.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { io, iotshadow, mqtt as sdkMqtt } from 'aws-iot-device-sdk-v2';
import { connect, type IClientOptions, type IConnackPacket, type IPublishPacket, type MqttClient } from 'mqtt';

/** What a client received, collected so a test can wait for the item it expects and check what never came. */
export class Inbox<T> {
  readonly items: T[] = [];
  private readonly waiters = new Set<() => void>();

  push(item: T): void {
    this.items.push(item);
    for (const wake of this.waiters) wake();
  }

  /** Removes and resolves with the first item that matches, waiting for it up to `timeoutMs`. */
  async take(what: string, match: (item: T) => boolean = () => true, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.items.findIndex(match);
      if (index >= 0) return this.items.splice(index, 1)[0] as T;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Nothing received within ${timeoutMs} ms: ${what}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  /** The items received so far that match. */
  filter(match: (item: T) => boolean): T[] {
    return this.items.filter(match);
  }
}

export interface MqttMessage {
  topic: string;
  payload: Buffer;
  packet: IPublishPacket;
  /** The payload parsed as JSON (undefined when it is not JSON). */
  json: Record<string, unknown> | undefined;
}

function parseJson(payload: Buffer | string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(payload.toString());
  } catch {
    return undefined;
  }
}

export interface MqttJsDevice {
  client: MqttClient;
  connack: IConnackPacket;
  inbox: Inbox<MqttMessage>;
  /** Resolves when the connection is closed, whoever closed it. */
  closed: Promise<void>;
}

/**
 * Every client opened through this module, and the mosquitto processes, so a test file can end them all in `afterAll`.
 */
const openClients = new Set<{ close(): Promise<void> }>();

/**
 * An mqtt.js client (MQTT 3.1.1 unless told otherwise) that never reconnects by itself. Messages are collected from
 * the first packet on, so what a persistent session delivers right after CONNACK is not missed.
 */
export function mqttJsDevice(url: string, clientId: string, options: IClientOptions = {}): Promise<MqttJsDevice> {
  const client = connect(url, {
    clientId,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ...options,
  });
  const inbox = new Inbox<MqttMessage>();
  client.on('message', (topic, payload, packet) => inbox.push({ topic, payload, packet, json: parseJson(payload) }));
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  const handle = { close: () => client.endAsync(true).catch(() => undefined) };
  openClients.add(handle);
  return new Promise((resolve, reject) => {
    client.once('connect', (connack) => resolve({ client, connack, inbox, closed }));
    client.once('error', reject);
  });
}

export interface SdkDevice {
  connection: sdkMqtt.MqttClientConnection;
  shadow: iotshadow.IotShadowClient;
  /** Whether the broker kept a session for the client id. */
  sessionPresent: boolean;
  close(): Promise<void>;
}

/**
 * A device on the AWS IoT Device SDK v2: its CRT MQTT 3.1.1 connection over plain TCP (no TLS context: the local
 * broker has no certificates yet), and the SDK's IotShadowClient on top.
 */
export async function sdkDevice(url: string, clientId: string): Promise<SdkDevice> {
  const { hostname, port } = new URL(url);
  const connection = new sdkMqtt.MqttClient().new_connection({
    client_id: clientId,
    host_name: hostname,
    port: Number(port),
    socket_options: new io.SocketOptions(io.SocketType.STREAM, io.SocketDomain.IPV4, 5_000),
    clean_session: true,
    keep_alive: 30,
  });
  const sessionPresent = await connection.connect();
  let open = true;
  const handle = {
    close: async () => {
      if (!open) return;
      open = false;
      await connection.disconnect();
    },
  };
  openClients.add(handle);
  return { connection, shadow: new iotshadow.IotShadowClient(connection), sessionPresent, close: handle.close };
}

const MOSQUITTO = ['mosquitto_pub', 'mosquitto_sub'];
const onPath = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
let stdbuf: boolean | undefined;
const hasStdbuf = () => {
  stdbuf ??= onPath('stdbuf');
  return stdbuf;
};

/**
 * Makes sure mosquitto_pub and mosquitto_sub are on PATH, installing them through the repository's script when they are
 * not (which needs root or password-less sudo on a Debian-like system). Throws what to install otherwise.
 */
export function ensureMosquittoClients(): void {
  const present = () => MOSQUITTO.every(onPath);
  if (present()) return;
  const script = join(__dirname, '..', '..', 'scripts', 'ensure-test-tools.mjs');
  const result = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  if (result.status !== 0 || !present()) {
    throw new Error(
      `mosquitto_pub and mosquitto_sub are needed (Debian: apt-get install -y mosquitto-clients).\n${result.stderr}`,
    );
  }
}

function hostArgs(url: string, clientId: string): string[] {
  const { hostname, port } = new URL(url);
  return ['-h', hostname, '-p', port, '-i', clientId, '-V', 'mqttv311'];
}

export interface MosquittoSubscriber {
  /** Resolves with the granted QoS of each filter once the SUBACK arrived. */
  subscribed: Promise<number[]>;
  /** Resolves with the messages received when mosquitto_sub exits (after `count` messages, or its time-out). */
  messages: Promise<{ topic: string; payload: string; qos: number; retain: boolean }[]>;
  process: ChildProcessWithoutNullStreams;
  /** What mosquitto_sub printed so far (debug lines and messages), to explain a failure. */
  output(): string;
}

/**
 * Runs `mosquitto_sub` as a device would: subscribed to `topics` with its client id, until `count` messages came or
 * `timeoutSeconds` passed. Its debug output tells when the broker acknowledged the subscription (promptly where
 * coreutils' `stdbuf` can make its output line-buffered; otherwise only when it exits).
 */
export function mosquittoSub(
  url: string,
  clientId: string,
  topics: string[],
  { qos = 1, count = 1, timeoutSeconds = 15 }: { qos?: 0 | 1; count?: number; timeoutSeconds?: number } = {},
): MosquittoSubscriber {
  const args = [
    ...hostArgs(url, clientId),
    '-q',
    String(qos),
    '-C',
    String(count),
    '-W',
    String(timeoutSeconds),
    '-d',
    '-F',
    '%j',
    ...topics.flatMap((topic) => ['-t', topic]),
  ];
  // Through a pipe its output is block-buffered: line buffering shows the SUBACK and each message as they come.
  const child = hasStdbuf() ? spawn('stdbuf', ['-oL', 'mosquitto_sub', ...args]) : spawn('mosquitto_sub', args);
  let stdout = '';
  let stderr = '';
  let onSubscribed: (granted: number[]) => void = () => undefined;
  const subscribed = new Promise<number[]>((resolve, reject) => {
    onSubscribed = resolve;
    child.once('exit', () => reject(new Error(`mosquitto_sub ended before its SUBACK: ${stderr}${stdout}`)));
  });
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    // "Subscribed (mid: 1): 1, 1" lists the granted QoS of each filter.
    const granted = /^Subscribed \(mid: \d+\): ([\d, ]+)$/m.exec(stdout);
    if (granted?.[1]) onSubscribed(granted[1].split(',').map((q) => Number(q.trim())));
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const messages = new Promise<{ topic: string; payload: string; qos: number; retain: boolean }[]>((resolve) => {
    child.once('exit', () =>
      resolve(
        stdout
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as { topic: string; payload: string; qos: number; retain: number })
          .map((m) => ({ topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain === 1 })),
      ),
    );
  });
  const handle = {
    close: async () => {
      if (child.exitCode === null) child.kill();
    },
  };
  openClients.add(handle);
  return { subscribed, messages, process: child, output: () => `${stdout}${stderr}` };
}

/** Runs `mosquitto_pub` once; resolves with its exit code and what it printed. */
export function mosquittoPub(
  url: string,
  clientId: string,
  topic: string,
  message: string,
  { qos = 1, retain = false }: { qos?: 0 | 1; retain?: boolean } = {},
): Promise<{ code: number | null; output: string }> {
  const args = [...hostArgs(url, clientId), '-q', String(qos), '-t', topic, '-m', message, ...(retain ? ['-r'] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn('mosquitto_pub', args);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/** Ends every client and process this module opened. */
export async function closeAllClients(): Promise<void> {
  const all = [...openClients];
  openClients.clear();
  await Promise.all(all.map((client) => client.close().catch(() => undefined)));
}
