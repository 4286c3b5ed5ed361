/**
 * Bad input over HTTP, against the running local cloud with the real services deployed: REST API bodies and headers,
 * rule SQL through the IoT control plane's CreateTopicRule, and names that become files (S3 keys and buckets,
 * Firehose prefixes, Kinesis stream names). Each is answered with a 4xx that says what is wrong, the process stays
 * healthy (the health route answers, a good request still succeeds), and nothing is written outside the data folder.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { CreateDeliveryStreamCommand, PutRecordCommand } from '@aws-sdk/client-firehose';
import { CreateTopicRuleCommand } from '@aws-sdk/client-iot';
import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import type { LocalCloud } from '../../src/local-cloud';
import { type AppUser, type RestApi, restApi, signIn } from '../acceptance/device-api-clients';
import { type AwsClients, awsClients, type StartedCloud, startCloud } from '../acceptance/local-cloud-fixture';
import { waitFor } from '../acceptance/pipeline-clients';

jest.setTimeout(120_000);

let root: string;
let dataDir: string;
let started: StartedCloud;
let cloud: LocalCloud;
let aws: AwsClients;
let api: RestApi;
let user: AppUser;
const run = Date.now().toString(36);
const deviceId = `bad-api-${run}`;

async function healthy(): Promise<number> {
  return (await fetch(cloud.endpoints.health)).status;
}

/** Every file under a folder, relative to it. */
async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(folder, join(e.parentPath, e.name)));
}

const deep = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};

/** Characters that have broken parsers, loggers and file systems before. */
const oddText = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }),
  fc.constantFrom('\u0000', '\u202e', '\ud800', '../../etc/passwd', '%2e%2e%2f', 'CON', '\u{1F4A9}'.repeat(20), ''),
);

beforeAll(async () => {
  // The data folder sits four levels down in a folder of its own, so a name that climbed out of it would land where
  // this test can see it.
  root = await mkdtemp(join(tmpdir(), 'iot-bad-input-'));
  dataDir = join(root, 'a', 'b', 'c', 'data');
  await mkdir(dataDir, { recursive: true });
  started = await startCloud(dataDir);
  cloud = started.cloud;
  aws = awsClients(cloud.endpoints.edge);
  api = restApi(cloud.endpoints.api);
  user = await signIn(cloud.endpoints.edge, `bad-input-${run}`);
  const registered = await api('/devices', { method: 'POST', as: user, json: { deviceId, type: 'sensor' } });
  if (registered.status !== 201) throw new Error(`POST /devices: ${registered.status} ${registered.text}`);
}, 180_000);

afterAll(async () => {
  aws?.destroy();
  await cloud?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('REST API bodies and headers', () => {
  const routes = [
    { method: 'POST', path: '/devices', field: { deviceId: 'x', type: 'sensor' } },
    { method: 'PUT', path: `/devices/${deviceId}/config`, field: { reportingIntervalSeconds: 10 } },
    { method: 'POST', path: `/devices/${deviceId}/commands`, field: { name: 'identify' } },
    {
      method: 'PUT',
      path: `/devices/${deviceId}/thresholds`,
      field: { rules: [{ metric: 'temperature', comparison: 'above', value: 30 }] },
    },
  ];

  /** Bodies every route refuses: text that is not JSON, JSON that is not an object, wrong types, deep, odd names. */
  const badBody = fc.oneof(
    fc.string({ maxLength: 50 }).map((text) => `{${text}`),
    fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.array(fc.integer())).map((v) => JSON.stringify(v)),
    fc
      .record({ at: fc.integer({ min: 0, max: 3 }), value: fc.oneof(fc.string(), fc.boolean(), fc.object(), oddText) })
      .map(({ at, value }) => {
        const template = routes[at]?.field as Record<string, unknown>;
        const [key] = Object.keys(template);
        return JSON.stringify({
          ...template,
          [key as string]: typeof template[key as string] === 'string' ? 12 : value,
        });
      }),
    fc.integer({ min: 100, max: 5000 }).map((depth) => JSON.stringify({ reportingIntervalSeconds: deep(depth) })),
    oddText.map((name) => JSON.stringify({ [`${name}\u202e`]: deep(50) })),
  );

  test('a bad body gets a 4xx whose problem details name the body or the field', async () => {
    // Prepare
    const property = fc.asyncProperty(fc.constantFrom(...routes), badBody, async (route, body) => {
      // Act
      const answer = await api(route.path, {
        method: route.method,
        as: user,
        body,
        headers: { 'content-type': 'application/json' },
      });

      // Assess
      const detail = String((answer.body as { detail?: unknown }).detail ?? '');
      return answer.status >= 400 && answer.status < 500 && /^body\b/.test(detail);
    });

    await fc.assert(property, { numRuns: 60, seed: 3 });
    expect(await healthy()).toBe(200);
  });

  test('a body that is not JSON by its media type gets a 415 naming what was expected', async () => {
    // Prepare
    const contentType = fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'jsonp');

    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), contentType, async (route, type) => {
        // Act
        const answer = await api(route.path, {
          method: route.method,
          as: user,
          body: JSON.stringify(route.field),
          headers: { 'content-type': type },
        });

        // Assess
        return (
          answer.status === 415 &&
          /expected application\/json/.test(String((answer.body as { detail?: unknown }).detail))
        );
      }),
      { numRuns: 12, seed: 4 },
    );
  });

  test('an oversized body (over 10 MB) gets a 413 from the gateway, and the cloud carries on', async () => {
    // Prepare: a connection of its own (a pooled one may be closed by the server as it idles).
    const url = new URL(`${cloud.endpoints.api}/devices/${deviceId}/config`);
    const body = Buffer.from(JSON.stringify({ reportingIntervalSeconds: 10, pad: 'x'.repeat(11 * 1024 * 1024) }));

    // Act
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = httpRequest(
        url,
        {
          method: 'PUT',
          agent: false,
          headers: { authorization: user.token, 'content-type': 'application/json', 'content-length': body.length },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        },
      );
      request.on('error', reject);
      request.end(body);
    });

    // Assess
    expect(answer.status).toBe(413);
    expect(answer.text).toMatch(/content length exceeded/);
    expect(await healthy()).toBe(200);
  });

  test('oversized and odd headers are refused with a 4xx, and a good request still succeeds afterwards', async () => {
    // Act
    const huge = await fetch(`${cloud.endpoints.api}/devices/${deviceId}/config`, {
      headers: { authorization: user.token, 'x-padding': 'y'.repeat(64 * 1024) },
    });
    const odd = await api(`/devices/${deviceId}/config`, {
      as: user,
      headers: { 'x-odd': '\u00ff\u00fe', accept: '*/*;q=abc', 'content-type': ';;;' },
    });
    const good = await api(`/devices/${deviceId}/config`, {
      method: 'PUT',
      as: user,
      json: { reportingIntervalSeconds: 15 },
    });

    // Assess
    expect(huge.status).toBeGreaterThanOrEqual(400);
    expect(huge.status).toBeLessThan(500);
    expect(odd.status).toBeLessThan(500);
    expect(good.status).toBe(200);
    expect(await healthy()).toBe(200);
  });
});

describe('rule SQL through CreateTopicRule', () => {
  test('SQL AWS would refuse is a SqlParseException naming its line and column; nothing is created', async () => {
    // Prepare
    const badSql = fc.oneof(
      fc.string({ maxLength: 40 }).map((s) => `SELECT ${s} FRM 'a/b'`),
      fc.integer({ min: 250, max: 5000 }).map((n) => `SELECT ${'('.repeat(n)}1${')'.repeat(n)} AS x FROM 'a/b'`),
      fc.constantFrom(
        "SELECT * FROM 'a/#/b'",
        'SELECT FROM',
        "SELECT nosuchfunction(1) FROM 'a'",
        "SELECT 'x FROM 'a'",
      ),
    );

    await fc.assert(
      fc.asyncProperty(badSql, fc.integer({ min: 0, max: 1e6 }), async (sql, n) => {
        // Act
        const error = await aws.iot
          .send(
            new CreateTopicRuleCommand({
              ruleName: `bad_sql_${run}_${n}`,
              topicRulePayload: { sql, actions: [], awsIotSqlVersion: '2016-03-23' },
            }),
          )
          .then(
            () => undefined,
            (caught: Error & { $metadata?: { httpStatusCode?: number } }) => caught,
          );

        // Assess
        return (
          error?.name === 'SqlParseException' &&
          error.$metadata?.httpStatusCode === 400 &&
          /line \d+, column \d+/.test(error.message)
        );
      }),
      { numRuns: 30, seed: 8 },
    );
    const rules = await fetch(`${cloud.endpoints.edge}/_local/iot/rules`).then((r) => r.json());
    expect(JSON.stringify(rules)).not.toContain(`bad_sql_${run}`);
    expect(await healthy()).toBe(200);
  });
});

describe('names that become files', () => {
  /** Keys that climb, hide or confuse paths; each ends in a marker so a stray file could be found by name. */
  const trickyKey = fc
    .record({
      parts: fc.array(fc.constantFrom('..', '.', '', '..\\..', '%2e%2e', '~hashed', 'a~meta.json', '\u0000', 'x'), {
        minLength: 1,
        maxLength: 8,
      }),
      tail: oddText,
      n: fc.integer({ min: 0, max: 1e9 }),
    })
    // Keys are UTF-8: a lone surrogate has no encoding (the SDK refuses it before sending).
    .map(
      ({ parts, tail, n }) => `${parts.join('/')}/esc-${run}-${n}${tail.replace(/\//g, '').replace(/\p{Cs}/gu, '')}`,
    );

  test('an S3 key of any form reads back as written, lists under its own name, and stays in its bucket folder', async () => {
    // Prepare
    const bucket = `bad-keys-${run}`;
    await aws.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const bucketDir = join(dataDir, 's3', bucket);
    const written: string[] = [];

    await fc.assert(
      fc.asyncProperty(trickyKey, async (key) => {
        // Act
        const put = await aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `body of ${key}` })).then(
          () => 'stored',
          (error: Error) => error.name,
        );

        // Assess: S3 refuses a request URI with a `..` segment; any other key reads back as written. Where a naive
        // join of the key would have written stays untouched when it is outside the bucket.
        const naive = resolve(bucketDir, key);
        const outside = !`${naive}${sep}`.startsWith(`${bucketDir}${sep}`);
        if (outside && existsSync(naive)) return false;
        if (key.split('/').includes('..')) return put === 'BadRequest';
        written.push(key);
        const read = await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return put === 'stored' && (await read.Body?.transformToString()) === `body of ${key}`;
      }),
      { numRuns: 60, seed: 12 },
    );
    const listed = await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }));
    expect(new Set(listed.Contents?.map((o) => o.Key))).toEqual(new Set(written));
    // Nothing anywhere in the folders around the data folder.
    expect((await filesUnder(root)).filter((file) => !file.startsWith(join('a', 'b', 'c', 'data')))).toEqual([]);
  });

  test('bucket and stream names that are not valid are refused with the service error that says so', async () => {
    // Prepare
    const badName = fc.oneof(
      // Names are UTF-8: a lone surrogate has no encoding (the SDK refuses it before sending).
      oddText.map((text) => text.replace(/\p{Cs}/gu, '')).filter((text) => text !== ''),
      fc.constantFrom('..', '.', '../x', 'a/b', 'A_B', 'x'.repeat(300), 'xn--bad', '-lead'),
    );

    await fc.assert(
      fc.asyncProperty(badName, async (name) => {
        // Act
        const bucket = await aws.s3.send(new CreateBucketCommand({ Bucket: name })).then(
          () => undefined,
          (error: Error) => error.name,
        );
        const stream = await aws.kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 })).then(
          () => 'created',
          // A name drawn twice names a stream created the first time.
          (error: Error) => (error.name === 'ResourceInUseException' ? 'created' : error.name),
        );

        // Assess: a stream name Kinesis allows ('..' is one) is created inside the data folder's kinesis/ folder. The
        // bucket names `.` and `..` never reach the bucket: the URL path resolves them away (MethodNotAllowed).
        const refused = bucket === 'InvalidBucketName' || (/^\.\.?$/.test(name) && bucket === 'MethodNotAllowed');
        if (!refused || !(stream === 'ValidationException' || stream === 'created')) {
          throw new Error(`${JSON.stringify(name)}: CreateBucket ${bucket}, CreateStream ${stream}`);
        }
      }),
      { numRuns: 30, seed: 13 },
    );
    expect((await filesUnder(root)).filter((file) => !file.startsWith(join('a', 'b', 'c', 'data')))).toEqual([]);
  });

  test('a Firehose prefix that climbs out of its bucket still writes inside it', async () => {
    // Prepare
    const bucket = `bad-prefix-${run}`;
    await aws.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const name = `bad-prefix-${run}`;
    await aws.firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: name,
        ExtendedS3DestinationConfiguration: {
          BucketARN: `arn:aws:s3:::${bucket}`,
          RoleARN: 'arn:aws:iam::000000000000:role/firehose',
          Prefix: '../../../../escape-prefix/',
          ErrorOutputPrefix: '../../../../escape-errors/',
          BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 1 },
        },
      }),
    );

    // Act
    await aws.firehose.send(
      new PutRecordCommand({ DeliveryStreamName: name, Record: { Data: Buffer.from('{"a":1}\n') } }),
    );

    // Assess
    const keys = await waitFor(
      'the record delivered to S3',
      async () => {
        const listed = await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
        return listed.Contents?.length ? listed.Contents.map((o) => o.Key as string) : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    expect(keys[0]).toMatch(/^\.\.\/\.\.\/\.\.\/\.\.\/escape-prefix\//);
    expect((await filesUnder(root)).filter((file) => !file.startsWith(join('a', 'b', 'c', 'data')))).toEqual([]);
    expect(await healthy()).toBe(200);
  });
});
