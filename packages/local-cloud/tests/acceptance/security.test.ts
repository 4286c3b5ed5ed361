/**
 * The REST API's authentication and the ownership of devices, on every route of every service, end to end on one
 * local cloud: the routes come from the OpenAPI route list of `@iot/types` (so a new route is covered as soon as it is
 * listed), the users sign in through the local Cognito user pool, and the requests go over HTTP with fetch. Then what
 * an operator must be able to rely on: every listener of the process is bound to loopback, and no secret (the user
 * pool's signing key, a token) ends up in a log.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile, readlink, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { API_ROUTES, type ApiRoute } from '@iot/types';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, importJWK, type JWK, type KeyLike, SignJWT } from 'jose';
import type { LocalCloud } from '../../src/local-cloud';
import { SIGNING_KEY_FILE } from '../../src/services/cognito';
import { type ApiAnswer, type AppUser, type RestApi, restApi, signIn, until } from './device-api-clients';
import { type StartedCloud, startCloud } from './local-cloud-fixture';
import { MqttPublisher, telemetryTopic } from './pipeline-clients';

jest.setTimeout(60_000);

let started: StartedCloud;
let cloud: LocalCloud;
let api: RestApi;
let alice: AppUser;
let bob: AppUser;
let privateJwk: JWK;
let devicePrivateKey: string;

const run = Date.now().toString(36);
const aliceDevice = `${run}-alice-1`;
const unknownDevice = `${run}-nobody`;

/** Every line the cloud printed, and everything written to this process's stdout and stderr meanwhile. */
const printed: string[] = [];
const writes: jest.SpyInstance[] = [];

/** The routes that need a token: all but `/openapi.json`. */
const authenticated = API_ROUTES.filter((route) => route.authenticated);
const deviceRoutes = authenticated.filter((route) => route.path.includes('{deviceId}'));
/** The routes that answer across devices (lists, fleet views): they must never show another user's device. */
const collectionReads = authenticated.filter((route) => route.method === 'get' && !route.path.includes('{'));

const describeRoute = (route: ApiRoute) => `${route.method.toUpperCase()} ${route.path}`;

/** The route's path for a device; every path parameter needs a value here, or the test says which is missing. */
function pathOf(route: ApiRoute, deviceId: string): string {
  const values: Record<string, string> = { deviceId, commandId: randomUUID(), metric: 'temperature' };
  return route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`${describeRoute(route)}: give the path parameter {${name}} a value`);
    return encodeURIComponent(value);
  });
}

/** Calls a route as the given Authorization header value (none when undefined); `{}` as the body of one that takes one. */
function callRoute(route: ApiRoute, deviceId: string, as: AppUser | string | undefined): Promise<ApiAnswer> {
  return api(pathOf(route, deviceId), {
    method: route.method.toUpperCase(),
    ...(as === undefined ? {} : { as }),
    ...(route.requestBody ? { json: {} } : {}),
  });
}

/** Signs a user in with a token that names the user pool groups they belong to. */
async function signInAs(username: string, groups: string[]): Promise<string> {
  const answer = await fetch(`${cloud.endpoints.edge}/_local/cognito/tokens`, {
    method: 'POST',
    body: JSON.stringify({ username, groups }),
  });
  return ((await answer.json()) as { token: string }).token;
}

/** A token of the user pool's own key (read from the data folder, as only its holder could), with these claims. */
async function signedByThePool(claims: Record<string, unknown>): Promise<string> {
  const key = (await importJWK(privateJwk, 'RS256')) as KeyLike;
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: privateJwk.kid as string }).sign(key);
}

beforeAll(async () => {
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream);
    writes.push(
      jest.spyOn(stream, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
        printed.push(String(chunk));
        return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write),
    );
  }
  started = await startCloud(undefined, { onLog: (line) => printed.push(line) });
  cloud = started.cloud;
  api = restApi(cloud.endpoints.api);
  [alice, bob] = await Promise.all([signIn(cloud.endpoints.edge, 'alice'), signIn(cloud.endpoints.edge, 'bob')]);
  privateJwk = JSON.parse(await readFile(join(started.dataDir, SIGNING_KEY_FILE), 'utf8')).privateJwk;
  const registered = await api('/devices', {
    as: alice,
    method: 'POST',
    json: { deviceId: aliceDevice, type: 'sensor' },
  });
  expect(registered.status).toBe(201);
  devicePrivateKey = (registered.body as { certificate: { privateKey: string } }).certificate.privateKey;
}, 180_000);

/** The middle line of a PEM's base64: a piece of the key no log may hold. */
const pemBodyLine = (pem: string) => {
  const lines = pem.split('\n').filter((line) => line && !line.startsWith('-----'));
  return lines[Math.floor(lines.length / 2)] as string;
};

afterAll(async () => {
  for (const spy of writes) spy.mockRestore();
  await cloud?.close();
  if (started) await rm(started.dataDir, { recursive: true, force: true });
});

describe("Alice's device, with a threshold and an alarm (what the refused requests below must not change)", () => {
  it('is hers to configure: her threshold raises an alarm that GET /alarms shows her', async () => {
    // Prepare
    const rule = { metric: 'temperature', comparison: 'above', value: 30, severity: 'critical' };
    const device = await MqttPublisher.connect(cloud.endpoints.mqtt as string, aliceDevice);

    // Act
    const put = await api(`/devices/${aliceDevice}/thresholds`, { as: alice, method: 'PUT', json: { rules: [rule] } });
    await device.publish(telemetryTopic(aliceDevice), { timestamp: Date.now(), metrics: { temperature: 35 } });
    await device.end();

    // Assess
    expect(put.status).toBe(200);
    await until('the alarm in her GET /alarms', async () => {
      const answer = await api<{ items: { deviceId: string }[] }>('/alarms', { as: alice });
      return answer.body.items?.some((alarm) => alarm.deviceId === aliceDevice) ? true : undefined;
    });
  });
});

describe('401 on every route that needs a token, from API Gateway before any function runs', () => {
  const badTokens: Array<[string, () => Promise<string | undefined>]> = [
    ['no token', async () => undefined],
    ['an expired token', async () => (await signIn(cloud.endpoints.edge, 'alice', { expiresIn: -60 })).token],
    [
      'a token signed with another key (same kid, same claims)',
      async () => {
        const { privateKey } = await generateKeyPair('RS256');
        return new SignJWT(decodeJwt(alice.token))
          .setProtectedHeader({ alg: 'RS256', kid: decodeProtectedHeader(alice.token).kid as string })
          .sign(privateKey);
      },
    ],
    [
      'a token of the pool for another audience',
      () => signedByThePool({ ...decodeJwt(alice.token), aud: 'another-app-client' }),
    ],
    [
      'an access token (token_use access: no audience) on a route without scopes',
      async () => {
        const answer = await fetch(`${cloud.endpoints.edge}/_local/cognito/tokens`, {
          method: 'POST',
          body: JSON.stringify({ username: 'alice', tokenUse: 'access' }),
        });
        return ((await answer.json()) as { token: string }).token;
      },
    ],
  ];

  it('lists routes to check: every service adds some', () => {
    // Assess
    expect(new Set(authenticated.map((route) => route.service))).toEqual(
      new Set(['device-config-api', 'alerting', 'telemetry-analytics']),
    );
  });

  it.each(badTokens)('refuses %s on every route', async (_, token) => {
    // Prepare
    const header = await token();

    // Act
    const answers = await Promise.all(
      authenticated.map(async (route) => [describeRoute(route), (await callRoute(route, aliceDevice, header)).status]),
    );

    // Assess
    expect(answers).toEqual(authenticated.map((route) => [describeRoute(route), 401]));
  });

  it("answers 401 as the gateway's problem details, readable by the dashboard", async () => {
    // Act
    const answer = await api(`/devices/${aliceDevice}`, { as: 'Bearer not-a-jwt' });

    // Assess
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ status: 401, type: 'https://iot-backend.dev/problems/unauthorized' });
  });
});

describe('ownership on every route of a device', () => {
  it("answers 403 with the reason to Bob on each of Alice's device's routes, whatever the body", async () => {
    // Act
    const answers = await Promise.all(
      deviceRoutes.map(async (route) => {
        const answer = await callRoute(route, aliceDevice, bob);
        return [describeRoute(route), answer.status, (answer.body as { detail?: string }).detail];
      }),
    );

    // Assess
    expect(answers).toEqual(
      deviceRoutes.map((route) => [describeRoute(route), 403, `Device ${aliceDevice} belongs to another user`]),
    );
  });

  it('answers 404 on each route of a device nobody registered', async () => {
    // Act
    const answers = await Promise.all(
      deviceRoutes.map(async (route) => {
        const answer = await callRoute(route, unknownDevice, alice);
        return [describeRoute(route), answer.status, (answer.body as { detail?: string }).detail];
      }),
    );

    // Assess
    expect(answers).toEqual(
      deviceRoutes.map((route) => [describeRoute(route), 404, `No device ${unknownDevice} is registered`]),
    );
  });

  it("never shows Bob Alice's device on a route that answers across devices; Alice sees it", async () => {
    // Act
    const bobs = await Promise.all(collectionReads.map((route) => api(route.path, { as: bob })));
    const alices = await Promise.all(collectionReads.map((route) => api(route.path, { as: alice })));

    // Assess: 200 without her device, or 403 on a route for fleet operators only.
    expect(collectionReads.map(describeRoute)).toEqual(expect.arrayContaining(['GET /devices', 'GET /alarms']));
    expect(bobs.filter((answer) => answer.status !== 200 && answer.status !== 403)).toEqual([]);
    expect(bobs.filter((answer) => answer.text.includes(aliceDevice))).toEqual([]);
    const shownToAlice = collectionReads.filter((_, i) => alices[i]?.text.includes(aliceDevice)).map(describeRoute);
    expect(shownToAlice).toEqual(expect.arrayContaining(['GET /devices', 'GET /alarms']));
  });

  it('keeps the fleet-wide routes that act on every user’s devices for fleet operators: 403 naming the group', async () => {
    // Prepare
    const operator = await signInAs('olga', ['fleet-operators']);

    // Act
    const bobsChange = await api('/fleet/thresholds', { as: bob, method: 'PUT', json: { rules: [] } });
    const bobsRead = await api('/fleet/metrics', { as: bob });
    const operatorsRead = await api('/fleet/metrics', { as: operator });
    const bobsDefaults = await api('/fleet/thresholds', { as: bob });

    // Assess
    expect([bobsChange.status, bobsRead.status, operatorsRead.status, bobsDefaults.status]).toEqual([
      403, 403, 200, 200,
    ]);
    expect((bobsChange.body as { detail?: string }).detail).toMatch(/fleet-operators group only$/);
  });

  it("left Alice's device, threshold and alarm as they were", async () => {
    // Act
    const device = await api(`/devices/${aliceDevice}`, { as: alice });
    const thresholds = await api<{ rules: { metric: string; value: number }[] }>(`/devices/${aliceDevice}/thresholds`, {
      as: alice,
    });
    const alarms = await api<{ alarms: { metric: string; state: string; acknowledgedBy?: string }[] }>(
      `/devices/${aliceDevice}/alarms`,
      { as: alice },
    );

    // Assess
    expect(device.status).toBe(200);
    expect(thresholds.body.rules).toEqual([expect.objectContaining({ metric: 'temperature', value: 30 })]);
    expect(alarms.body.alarms).toEqual([expect.objectContaining({ metric: 'temperature', state: 'ALARM' })]);
    expect(alarms.body.alarms[0]?.acknowledgedBy).toBeUndefined();
  });
});

/** The TCP sockets this process listens on, from /proc (Linux): `address:port`. */
async function listeningSockets(): Promise<string[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  const hexIpv4 = (hex: string) =>
    (hex.match(/../g) ?? [])
      .reverse()
      .map((byte) => Number.parseInt(byte, 16))
      .join('.');
  const hexIpv6 = (hex: string) => {
    // Four 32-bit words, each in host (little-endian) order.
    const bytes = (hex.match(/.{8}/g) ?? []).flatMap((word) => (word.match(/../g) ?? []).reverse());
    const groups = (bytes.join('').match(/.{4}/g) ?? []).map((group) => Number.parseInt(group, 16).toString(16));
    return `[${groups.join(':')}]`;
  };
  const sockets: string[] = [];
  for (const [file, decode] of [
    ['/proc/self/net/tcp', hexIpv4],
    ['/proc/self/net/tcp6', hexIpv6],
  ] as const) {
    const lines = (await readFile(file, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      const [address, port] = (fields[1] ?? '').split(':');
      // State 0A is LISTEN; field 9 is the socket's inode.
      if (fields[3] !== '0A' || !inodes.has(fields[9] ?? '') || !address || !port) continue;
      sockets.push(`${decode(address)}:${Number.parseInt(port, 16)}`);
    }
  }
  return sockets;
}

describe('hygiene', () => {
  (process.platform === 'linux' ? it : it.skip)(
    'listens on 127.0.0.1 only: edge (with MQTT over WebSocket), REST API, MQTT and every internal listener',
    async () => {
      // Prepare
      const ports = [cloud.endpoints.edge, cloud.endpoints.api, cloud.endpoints.mqtt].map(
        (url) => new URL(url ?? '').port,
      );

      // Act
      const sockets = await listeningSockets();

      // Assess
      expect(sockets.length).toBeGreaterThanOrEqual(3);
      expect(sockets.filter((socket) => !socket.startsWith('127.0.0.1:'))).toEqual([]);
      expect(sockets).toEqual(expect.arrayContaining(ports.map((port) => `127.0.0.1:${port}`)));
    },
  );

  it('logs no secret: not the user pool’s or the CA’s private key, not a device’s key, not a token', async () => {
    // Prepare: more of what writes logs: an expired token, a registration that conflicts, another user's device.
    const tokens = [alice.token, bob.token, (await signIn(cloud.endpoints.edge, 'carol', { expiresIn: -60 })).token];
    await api('/devices', { as: tokens[2] as string });
    await api('/devices', { as: alice, method: 'POST', json: { deviceId: aliceDevice, type: 'sensor' } });
    await api(`/devices/${aliceDevice}/config`, { as: bob, method: 'PUT', json: { reportingIntervalSeconds: 5 } });
    const logFolder = join(started.dataDir, 'logs');
    const functionLogs = await Promise.all(
      (await readdir(logFolder)).map((file) => readFile(join(logFolder, file), 'utf8')),
    );

    // Act
    const everything = [...printed, ...functionLogs].join('\n');

    // Assess: the logs are there (the flows above wrote them), and hold none of the secrets.
    expect(functionLogs.join('').length).toBeGreaterThan(0);
    expect(everything).toContain(aliceDevice);
    const secrets = {
      ...Object.fromEntries(
        ['d', 'p', 'q', 'dp', 'dq', 'qi'].map((part) => [`signing key ${part}`, String(privateJwk[part as keyof JWK])]),
      ),
      ...Object.fromEntries(tokens.map((token, i) => [`token ${i}`, token])),
      ...Object.fromEntries(tokens.map((token, i) => [`signature of token ${i}`, token.split('.')[2] as string])),
      "device's private key": pemBodyLine(devicePrivateKey),
      "CA's private key": pemBodyLine(await readFile(join(started.dataDir, 'iot', 'ca', 'root-ca.key'), 'utf8')),
    };
    const leaked = Object.entries(secrets)
      .filter(([, secret]) => everything.includes(secret.slice(0, 24)))
      .map(([name]) => name);
    expect(leaked).toEqual([]);
    expect(everything).not.toMatch(/PRIVATE KEY-----/);
  });
});
