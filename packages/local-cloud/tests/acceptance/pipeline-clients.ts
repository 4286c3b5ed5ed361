/**
 * The clients of the telemetry pipeline acceptance tests (alerting, analytics): a signed-in caller of the REST API,
 * devices on the broker with mqtt.js, the stacks' outputs, JSON lines in S3, and deadline-bound waits.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { connectAsync, type MqttClient } from 'mqtt';
import type { LocalCloud } from '../../src/local-cloud';

/** Calls `probe` every `intervalMs` until it returns something other than undefined; fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 15_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** An output of a deployed service's stack; throws naming it when absent. */
export function stackOutput(cloud: LocalCloud, service: string, name: string): string {
  const value = cloud.deployed[service]?.outputs[name];
  if (value === undefined) throw new Error(`${service} has no output ${name}`);
  return value;
}

/** A user signed in to the deployed user pool, through the local cloud's `/_local/cognito/tokens` route. */
export interface SignedInUser {
  username: string;
  /** The user's `sub`, which the routes record as who acted. */
  sub: string;
  token: string;
}

/** `groups`: the user pool groups the user is a member of (e.g. `fleet-operators` for the fleet routes). */
export async function signIn(edgeUrl: string, username: string, groups: string[] = []): Promise<SignedInUser> {
  const answer = await fetch(`${edgeUrl}/_local/cognito/tokens`, {
    method: 'POST',
    body: JSON.stringify({ username, email: `${username}@example.com`, groups }),
  });
  if (answer.status !== 200) throw new Error(`No token for ${username}: ${answer.status} ${await answer.text()}`);
  const { token, sub } = (await answer.json()) as { token: string; sub: string };
  return { username, sub, token };
}

/** What the REST API answered. */
export interface ApiAnswer<Body> {
  status: number;
  body: Body;
}

/** Calls the REST API's stage (`cloud.endpoints.api`) as the mobile app does: JSON, with the user's ID token. */
export function restApi(stageUrl: string, user: SignedInUser) {
  return async <Body = Record<string, unknown>>(
    path: string,
    request: { method?: string; json?: unknown } = {},
  ): Promise<ApiAnswer<Body>> => {
    const answer = await fetch(`${stageUrl}${path}`, {
      method: request.method ?? 'GET',
      headers: { authorization: user.token, 'content-type': 'application/json' },
      ...(request.json === undefined ? {} : { body: JSON.stringify(request.json) }),
    });
    const text = await answer.text();
    return { status: answer.status, body: (text ? JSON.parse(text) : undefined) as Body };
  };
}

export type RestApi = ReturnType<typeof restApi>;

/** Registers devices to the API's user (`POST /devices`): only a device's owner may use its routes. */
export async function registerDevices(api: RestApi, ...deviceIds: string[]): Promise<void> {
  for (const deviceId of deviceIds) {
    const answer = await api('/devices', { method: 'POST', json: { deviceId, type: 'sensor' } });
    if (answer.status !== 201) {
      throw new Error(`${deviceId} not registered: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
  }
}

/** The topic a device publishes its telemetry on. */
export const telemetryTopic = (deviceId: string) => `devices/${deviceId}/telemetry`;

/** The same topic through Basic Ingest: straight to the rule, never to a subscriber, no messaging charge in AWS. */
export const basicIngestTopic = (ruleName: string, deviceId: string) =>
  `$aws/rules/${ruleName}/devices/${deviceId}/telemetry`;

/** A device's telemetry message, as devices publish it. */
export interface TelemetryPayload {
  timestamp: number;
  metrics: Record<string, number>;
  messageId?: string;
  sequence?: number;
}

/** A connection to the local IoT Core's broker with mqtt.js, publishing at QoS 1 (each publish waits for its PUBACK). */
export class MqttPublisher {
  private constructor(private readonly client: MqttClient) {}

  static async connect(brokerUrl: string, clientId: string): Promise<MqttPublisher> {
    const client = await connectAsync(brokerUrl, {
      clientId,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
    });
    return new MqttPublisher(client);
  }

  /** Publishes `payload` as JSON, or a string as it is. */
  async publish(topic: string, payload: TelemetryPayload | Record<string, unknown> | string): Promise<void> {
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    await this.client.publishAsync(topic, body, { qos: 1 });
  }

  async end(): Promise<void> {
    if (this.client.connected) await this.client.endAsync();
  }
}

/**
 * How many invocations of a function have ended, from its log in the data folder (the local CloudWatch log group):
 * one `END RequestId` line each, whatever the outcome.
 */
export async function endedInvocations(dataDir: string, functionName: string): Promise<number> {
  const text = await readFile(join(dataDir, 'logs', `${functionName}.log`), 'utf8').catch(() => '');
  return (text.match(/ END RequestId: /g) ?? []).length;
}

/** One line of a JSON-lines object in S3, with the object's key. */
export interface S3JsonLine {
  key: string;
  line: Record<string, unknown>;
}

/** Every line of every object under `prefix` in `bucket`, parsed as JSON, objects in key order. */
export async function readJsonLines(s3: S3Client, bucket: string, prefix: string): Promise<S3JsonLine[]> {
  const lines: S3JsonLine[] = [];
  let token: string | undefined;
  do {
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }),
    );
    for (const object of listed.Contents ?? []) {
      const key = object.Key as string;
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const text = (await got.Body?.transformToString()) ?? '';
      for (const line of text.split('\n')) if (line.trim() !== '') lines.push({ key, line: JSON.parse(line) });
    }
    token = listed.IsTruncated ? listed.NextContinuationToken : undefined;
  } while (token);
  return lines;
}
