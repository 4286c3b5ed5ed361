/**
 * The clients of the device API acceptance tests: users signed in through the local Cognito route, the REST API
 * called with fetch as the mobile app calls it, and devices connected to the broker with mqtt.js.
 */
import { connectAsync, type IPublishPacket, type MqttClient } from 'mqtt';

/** An origin a dashboard runs at (the Vite dev server's). */
export const DASHBOARD_ORIGIN = 'http://localhost:5173';
/**
 * What the local stage allows: any origin (its `dashboardOrigin` param is `*`), since the local cloud serves the
 * dashboard on whatever edge port it is given.
 */
export const ALLOWED_ORIGIN = '*';

/** A user of the app with an ID token of the deployed user pool. */
export interface AppUser {
  username: string;
  /** The user's `sub`: the owner of the devices they register. */
  sub: string;
  token: string;
}

/** Mints an ID token for `username` through the local cloud's `/_local/cognito/tokens` route. */
export async function signIn(edgeUrl: string, username: string, extra: { expiresIn?: number } = {}): Promise<AppUser> {
  const answer = await fetch(`${edgeUrl}/_local/cognito/tokens`, {
    method: 'POST',
    body: JSON.stringify({ username, email: `${username}@example.com`, ...extra }),
  });
  if (answer.status !== 200) throw new Error(`No token for ${username}: ${answer.status} ${await answer.text()}`);
  const { token, sub } = (await answer.json()) as { token: string; sub: string };
  return { username, sub, token };
}

/** What the REST API answered: the status, the headers and the body (parsed when JSON). */
export interface ApiAnswer<Body = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: Body;
  /** The body as sent. */
  text: string;
}

export interface ApiRequest {
  /** Signed in as this user; no Authorization header when absent (or the raw header value when a string). */
  as?: AppUser | string;
  method?: string;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as it is. */
  body?: string;
  headers?: Record<string, string>;
}

/** A caller of the REST API's stage (`cloud.endpoints.api`), as the app or the dashboard calls it. */
export function restApi(baseUrl: string) {
  return async function call<Body = Record<string, unknown>>(
    path: string,
    request: ApiRequest = {},
  ): Promise<ApiAnswer<Body>> {
    const headers: Record<string, string> = { origin: DASHBOARD_ORIGIN, ...request.headers };
    if (request.as !== undefined) {
      headers.authorization = typeof request.as === 'string' ? request.as : request.as.token;
    }
    let body = request.body;
    if (request.json !== undefined) {
      body = JSON.stringify(request.json);
      headers['content-type'] ??= 'application/json';
    }
    const answer = await fetch(`${baseUrl}${path}`, {
      method: request.method ?? 'GET',
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await answer.text();
    const type = answer.headers.get('content-type') ?? '';
    const parsed = text && /json/.test(type) ? JSON.parse(text) : text;
    return { status: answer.status, headers: answer.headers, body: parsed as Body, text };
  };
}

export type RestApi = ReturnType<typeof restApi>;

/** Calls `probe` until it returns something other than undefined; fails after `timeoutMs` naming `what`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A message a device received. */
export interface DeviceMessage {
  topic: string;
  payload: Record<string, unknown>;
  qos: number;
}

/**
 * A device on the broker: mqtt.js with the device id as client id (what AWS IoT's lifecycle events and the device
 * presence rule go by), keeping every message it receives.
 */
export class MqttDevice {
  readonly received: DeviceMessage[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(
    readonly deviceId: string,
    readonly client: MqttClient,
  ) {
    client.on('message', (topic: string, payload: Buffer, packet: IPublishPacket) => {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(payload.toString('utf8'));
      } catch {
        parsed = { unparsed: payload.toString('utf8') };
      }
      this.received.push({ topic, payload: parsed, qos: packet.qos });
      for (const wake of this.waiters) wake();
    });
  }

  static async connect(brokerUrl: string, deviceId: string): Promise<MqttDevice> {
    const client = await connectAsync(brokerUrl, {
      clientId: deviceId,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
    });
    return new MqttDevice(deviceId, client);
  }

  async subscribe(topics: string[]): Promise<void> {
    const granted = await this.client.subscribeAsync(topics, { qos: 1 });
    const refused = granted.filter((g) => g.qos !== 1);
    if (refused.length > 0) throw new Error(`Subscriptions not granted with QoS 1: ${JSON.stringify(refused)}`);
  }

  async publish(topic: string, payload: unknown): Promise<void> {
    await this.client.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
  }

  /** The messages received on `topic`, in order. */
  on(topic: string): DeviceMessage[] {
    return this.received.filter((m) => m.topic === topic);
  }

  /** Resolves with the `count`-th message received on `topic` (1 the first), failing after `timeoutMs`. */
  async nth(topic: string, count: number, timeoutMs = 10_000): Promise<DeviceMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.on(topic)[count - 1];
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`${this.deviceId} received ${this.on(topic).length} messages on ${topic}, not ${count}`);
      }
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

  /** Disconnects cleanly (a DISCONNECT packet: AWS's CLIENT_INITIATED_DISCONNECT). */
  async end(): Promise<void> {
    if (this.client.connected) await this.client.endAsync();
  }
}
