import {
  connectAsync,
  connect as connectLater,
  type IClientOptions,
  type IConnackPacket,
  type IPublishPacket,
  type MqttClient,
} from 'mqtt';
import { type BrokerLogger, MqttBroker, type MqttBrokerOptions } from '../../../src/iot/broker';
import type { PublishedMessage } from '../../../src/iot/contracts';

export interface Received {
  topic: string;
  payload: Buffer;
  packet: IPublishPacket;
}

/** A broker on free ports, with a logger that records instead of printing. */
export async function startBroker(options: Partial<MqttBrokerOptions> = {}) {
  const warnings: unknown[][] = [];
  const logger: BrokerLogger = { warn: (...args) => warnings.push(args), error: (...args) => warnings.push(args) };
  const broker = await MqttBroker.start({ port: 0, websocket: { port: 0 }, logger, ...options });
  const observed: PublishedMessage[] = [];
  broker.addObserver({ onPublish: (message) => void observed.push(message) });
  return { broker, warnings, observed };
}

const clients: MqttClient[] = [];

/** An mqtt.js client that never reconnects by itself; closed by {@link closeClients}. */
export async function connect(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const client = await connectAsync(url, { reconnectPeriod: 0, connectTimeout: 2_000, ...options });
  clients.push(client);
  return client;
}

/** Connects and resolves with the CONNACK (session present, MQTT 5 reason code and properties). */
export function connectForConnack(url: string, options: IClientOptions = {}) {
  const client = connectLater(url, { reconnectPeriod: 0, connectTimeout: 2_000, ...options });
  clients.push(client);
  return new Promise<{ client: MqttClient; connack: IConnackPacket }>((resolve, reject) => {
    client.once('connect', (connack) => resolve({ client, connack }));
    client.once('error', reject);
  });
}

export async function closeClients(): Promise<void> {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
}

/** Collects what a client receives. */
export function inbox(client: MqttClient) {
  const messages: Received[] = [];
  const waiters: (() => void)[] = [];
  client.on('message', (topic, payload, packet) => {
    messages.push({ topic, payload, packet });
    for (const wake of waiters.splice(0)) wake();
  });
  return {
    messages,
    /** Resolves with the first message on `topic` (any topic when omitted), rejecting after `ms`. */
    async next(topic?: string, ms = 2_000): Promise<Received> {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = messages.find((m) => topic === undefined || m.topic === topic);
        if (found) return found;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`No message on ${topic ?? 'any topic'} within ${ms} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
  };
}

/** Resolves once the client's connection is closed (by the broker or otherwise). */
export function closed(client: MqttClient, ms = 2_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!client.connected) return resolve();
    const timer = setTimeout(() => reject(new Error('The connection stayed open')), ms);
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
