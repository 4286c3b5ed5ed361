import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  BucketAlreadyOwnedByYou,
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { S3Service, S3Store } from '../../../src/services/s3';
import { type LocalS3, listFiles, makeTempDir, silentLogger, startLocalS3, TEST_CREDENTIALS } from './s3-fixture';

const md5 = (text: string | Buffer) => createHash('md5').update(text).digest('hex');

async function errorOf(promise: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await promise;
  } catch (error) {
    return error as S3ServiceException;
  }
  throw new Error('Expected the request to fail');
}

describe('local S3 through the AWS SDK', () => {
  let s3: LocalS3;

  beforeEach(async () => {
    s3 = await startLocalS3();
  });

  afterEach(async () => {
    await s3.stop();
  });

  const createBucket = (name: string) => s3.client.send(new CreateBucketCommand({ Bucket: name }));
  const put = (bucket: string, key: string, body: string | Buffer = key) =>
    s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const getText = async (bucket: string, key: string) => {
    const response = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await response.Body?.transformToString()) as string;
  };

  describe('buckets', () => {
    it('creates, finds, lists and deletes buckets', async () => {
      // Prepare
      await createBucket('telemetry-archive');
      await createBucket('metrics');

      // Act
      const head = await s3.client.send(new HeadBucketCommand({ Bucket: 'metrics' }));
      const listed = await s3.client.send(new ListBucketsCommand({}));
      const location = await s3.client.send(new GetBucketLocationCommand({ Bucket: 'metrics' }));
      await s3.client.send(new DeleteBucketCommand({ Bucket: 'metrics' }));
      const afterDelete = await s3.client.send(new ListBucketsCommand({}));

      // Assess
      expect(head.BucketRegion).toBe('us-east-1');
      expect(listed.Buckets?.map((b) => b.Name)).toEqual(['metrics', 'telemetry-archive']);
      expect(listed.Buckets?.[0]?.CreationDate).toBeInstanceOf(Date);
      expect(location.LocationConstraint).toBeUndefined();
      expect(afterDelete.Buckets?.map((b) => b.Name)).toEqual(['telemetry-archive']);
    });

    it('answers S3 errors for missing, invalid, duplicate and non-empty buckets', async () => {
      // Prepare
      await createBucket('full');
      await put('full', 'a.txt');
      const euClient = new S3Client({
        endpoint: s3.edge.url,
        region: 'eu-west-1',
        credentials: TEST_CREDENTIALS,
        forcePathStyle: true,
      });

      // Act
      const missingHead = await errorOf(s3.client.send(new HeadBucketCommand({ Bucket: 'nope' })));
      const missingList = await errorOf(s3.client.send(new ListObjectsV2Command({ Bucket: 'nope' })));
      const invalid = await errorOf(createBucket('Not_Valid'));
      const notEmpty = await errorOf(s3.client.send(new DeleteBucketCommand({ Bucket: 'full' })));
      const againInUsEast1 = await createBucket('full');
      await euClient.send(
        new CreateBucketCommand({
          Bucket: 'eu-bucket',
          CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
        }),
      );
      const againInEu = await errorOf(
        euClient.send(
          new CreateBucketCommand({
            Bucket: 'eu-bucket',
            CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
          }),
        ),
      );
      euClient.destroy();

      // Assess
      expect(missingHead).toBeInstanceOf(NotFound);
      expect(missingHead.$metadata.httpStatusCode).toBe(404);
      expect(missingList).toBeInstanceOf(NoSuchBucket);
      expect(invalid.name).toBe('InvalidBucketName');
      expect(notEmpty.name).toBe('BucketNotEmpty');
      expect(notEmpty.$metadata.httpStatusCode).toBe(409);
      expect(againInUsEast1.$metadata.httpStatusCode).toBe(200);
      expect(againInEu).toBeInstanceOf(BucketAlreadyOwnedByYou);
    });
    it('serves a client with no addressing option when the endpoint is an IP address', async () => {
      // Prepare
      const plain = new S3Client({ endpoint: s3.edge.url, region: 'us-east-1', credentials: TEST_CREDENTIALS });
      await createBucket('plain');

      // Act
      await plain.send(new PutObjectCommand({ Bucket: 'plain', Key: 'k.txt', Body: 'v' }));
      const read = await plain.send(new GetObjectCommand({ Bucket: 'plain', Key: 'k.txt' }));
      const text = await read.Body?.transformToString();
      plain.destroy();

      // Assess
      expect(text).toBe('v');
    });
  });

  describe('objects', () => {
    beforeEach(async () => {
      await createBucket('data');
    });

    it('puts and gets an object with its content type, metadata and MD5 ETag', async () => {
      // Prepare
      const body = '{"deviceId":"d-1","temperature":21.5}\n';

      // Act
      const written = await s3.client.send(
        new PutObjectCommand({
          Bucket: 'data',
          Key: 'telemetry/d-1.json',
          Body: body,
          ContentType: 'application/json',
          Metadata: { source: 'rules-engine', 'device-id': 'd-1' },
          CacheControl: 'no-cache',
        }),
      );
      const read = await s3.client.send(new GetObjectCommand({ Bucket: 'data', Key: 'telemetry/d-1.json' }));
      const text = await read.Body?.transformToString();
      const head = await s3.client.send(new HeadObjectCommand({ Bucket: 'data', Key: 'telemetry/d-1.json' }));

      // Assess
      expect(written.ETag).toBe(`"${md5(body)}"`);
      expect(text).toBe(body);
      expect(read.ContentType).toBe('application/json');
      expect(read.ContentLength).toBe(Buffer.byteLength(body));
      expect(read.Metadata).toEqual({ source: 'rules-engine', 'device-id': 'd-1' });
      expect(read.CacheControl).toBe('no-cache');
      expect(read.LastModified).toBeInstanceOf(Date);
      expect(head.ETag).toBe(`"${md5(body)}"`);
      expect(head.ContentLength).toBe(Buffer.byteLength(body));
      expect(head.Metadata).toEqual({ source: 'rules-engine', 'device-id': 'd-1' });
    });

    it('decodes a streamed upload sent aws-chunked with a trailing checksum', async () => {
      // Prepare
      const chunks = [Buffer.alloc(70_000, 'a'), Buffer.from('middle'), Buffer.alloc(10_000, 'z')];
      const whole = Buffer.concat(chunks);

      // Act
      const written = await s3.client.send(
        new PutObjectCommand({
          Bucket: 'data',
          Key: 'streamed.bin',
          Body: Readable.from(chunks),
          ContentLength: whole.length,
        }),
      );
      const read = await s3.client.send(new GetObjectCommand({ Bucket: 'data', Key: 'streamed.bin' }));
      const bytes = Buffer.from((await read.Body?.transformToByteArray()) as Uint8Array);

      // Assess
      expect(written.ETag).toBe(`"${md5(whole)}"`);
      expect(written.ChecksumCRC32).toBeDefined();
      expect(bytes.equals(whole)).toBe(true);
      expect(read.ChecksumCRC32).toBe(written.ChecksumCRC32);
    });

    it('rejects a body whose checksum does not match', async () => {
      // Act
      const error = await errorOf(
        s3.client.send(new PutObjectCommand({ Bucket: 'data', Key: 'k', Body: 'abc', ChecksumCRC32: 'AAAAAA==' })),
      );

      // Assess
      expect(error.name).toBe('BadDigest');
    });

    it('serves byte ranges', async () => {
      // Prepare
      await put('data', 'range.txt', '0123456789');

      // Act
      const middle = await s3.client.send(
        new GetObjectCommand({ Bucket: 'data', Key: 'range.txt', Range: 'bytes=2-5' }),
      );
      const tail = await s3.client.send(new GetObjectCommand({ Bucket: 'data', Key: 'range.txt', Range: 'bytes=-3' }));
      const outside = await errorOf(
        s3.client.send(new GetObjectCommand({ Bucket: 'data', Key: 'range.txt', Range: 'bytes=20-' })),
      );

      // Assess
      expect(await middle.Body?.transformToString()).toBe('2345');
      expect(middle.ContentRange).toBe('bytes 2-5/10');
      expect(middle.$metadata.httpStatusCode).toBe(206);
      expect(await tail.Body?.transformToString()).toBe('789');
      expect(outside.name).toBe('InvalidRange');
    });

    it('answers conditional reads and writes', async () => {
      // Prepare
      const { ETag } = await put('data', 'conditional.txt', 'v1');
      const later = new Date(Date.now() + 60_000);

      // Act
      const notModified = await errorOf(
        s3.client.send(new GetObjectCommand({ Bucket: 'data', Key: 'conditional.txt', IfNoneMatch: ETag })),
      );
      const wrongEtag = await errorOf(
        s3.client.send(new GetObjectCommand({ Bucket: 'data', Key: 'conditional.txt', IfMatch: '"0000"' })),
      );
      const unmodified = await s3.client.send(
        new GetObjectCommand({ Bucket: 'data', Key: 'conditional.txt', IfModifiedSince: new Date(0) }),
      );
      const notModifiedSince = await errorOf(
        s3.client.send(new GetObjectCommand({ Bucket: 'data', Key: 'conditional.txt', IfModifiedSince: later })),
      );
      const overwriteRefused = await errorOf(
        s3.client.send(new PutObjectCommand({ Bucket: 'data', Key: 'conditional.txt', Body: 'v2', IfNoneMatch: '*' })),
      );

      // Assess
      expect(notModified.$metadata.httpStatusCode).toBe(304);
      expect(wrongEtag.$metadata.httpStatusCode).toBe(412);
      expect(await unmodified.Body?.transformToString()).toBe('v1');
      expect(notModifiedSince.$metadata.httpStatusCode).toBe(304);
      expect(overwriteRefused.name).toBe('PreconditionFailed');
      expect(await getText('data', 'conditional.txt')).toBe('v1');
    });

    it('answers NoSuchKey, NotFound and NoSuchBucket', async () => {
      // Act
      const getMissing = await errorOf(s3.client.send(new GetObjectCommand({ Bucket: 'data', Key: 'missing' })));
      const headMissing = await errorOf(s3.client.send(new HeadObjectCommand({ Bucket: 'data', Key: 'missing' })));
      const putNoBucket = await errorOf(put('no-such-bucket', 'k'));
      const getNoBucket = await errorOf(s3.client.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' })));

      // Assess
      expect(getMissing).toBeInstanceOf(NoSuchKey);
      expect(getMissing.message).toBe('The specified key does not exist.');
      expect(getMissing.$metadata.httpStatusCode).toBe(404);
      expect(headMissing).toBeInstanceOf(NotFound);
      expect(putNoBucket).toBeInstanceOf(NoSuchBucket);
      expect(getNoBucket).toBeInstanceOf(NoSuchBucket);
    });

    it('deletes objects one by one and in batches', async () => {
      // Prepare
      await Promise.all(['a', 'b', 'c', 'd'].map((key) => put('data', key)));

      // Act
      await s3.client.send(new DeleteObjectCommand({ Bucket: 'data', Key: 'a' }));
      const missingDelete = await s3.client.send(new DeleteObjectCommand({ Bucket: 'data', Key: 'never-there' }));
      const batch = await s3.client.send(
        new DeleteObjectsCommand({
          Bucket: 'data',
          Delete: { Objects: [{ Key: 'b' }, { Key: 'c' }, { Key: 'not there' }] },
        }),
      );
      const remaining = await s3.client.send(new ListObjectsV2Command({ Bucket: 'data' }));

      // Assess
      expect(missingDelete.$metadata.httpStatusCode).toBe(204);
      expect(batch.Deleted?.map((d) => d.Key)).toEqual(['b', 'c', 'not there']);
      expect(batch.Errors).toBeUndefined();
      expect(remaining.Contents?.map((o) => o.Key)).toEqual(['d']);
    });

    it('copies an object with its metadata, or with replaced metadata', async () => {
      // Prepare
      await s3.client.send(
        new PutObjectCommand({
          Bucket: 'data',
          Key: 'source key.json',
          Body: '{}',
          ContentType: 'application/json',
          Metadata: { origin: 'a' },
        }),
      );

      // Act
      const copied = await s3.client.send(
        new CopyObjectCommand({
          Bucket: 'data',
          Key: 'copy.json',
          CopySource: `data/${encodeURIComponent('source key.json')}`,
        }),
      );
      await s3.client.send(
        new CopyObjectCommand({
          Bucket: 'data',
          Key: 'replaced.json',
          CopySource: 'data/source%20key.json',
          MetadataDirective: 'REPLACE',
          ContentType: 'text/plain',
          Metadata: { origin: 'b' },
        }),
      );
      const copy = await s3.client.send(new HeadObjectCommand({ Bucket: 'data', Key: 'copy.json' }));
      const replaced = await s3.client.send(new HeadObjectCommand({ Bucket: 'data', Key: 'replaced.json' }));

      // Assess
      expect(copied.CopyObjectResult?.ETag).toBe(`"${md5('{}')}"`);
      expect(copy.ContentType).toBe('application/json');
      expect(copy.Metadata).toEqual({ origin: 'a' });
      expect(replaced.ContentType).toBe('text/plain');
      expect(replaced.Metadata).toEqual({ origin: 'b' });
      expect(await getText('data', 'replaced.json')).toBe('{}');
    });

    it('keeps keys with odd characters intact', async () => {
      // Prepare
      const keys = [
        'spaces in name.txt',
        'plus+and%percent&amp?query#hash=equals',
        'unicode/日本語/😀.json',
        'quotes"and\'apostrophes<>',
        '  leading and trailing spaces  ',
        'line\nbreak and\ttab',
        'a//double/slash',
        '/leading-slash',
        'trailing-slash/',
        '%2e%2e/looks-encoded',
        'back\\slash\\..\\path',
        'tilde~meta.json',
        '~bucket.json',
        `${'long-'.repeat(150)}end`,
      ];

      // Act
      for (const key of keys) await put('data', key);
      const listed = [];
      for await (const page of paginateListObjectsV2({ client: s3.client, pageSize: 5 }, { Bucket: 'data' })) {
        listed.push(...(page.Contents ?? []).map((o) => o.Key));
      }
      const bodies = await Promise.all(keys.map((key) => getText('data', key)));

      // Assess
      expect(bodies).toEqual(keys);
      expect(listed.sort()).toEqual([...keys].sort());
    });
  });

  describe('listing', () => {
    beforeEach(async () => {
      await createBucket('list');
      const keys = [
        'raw/2026/05/01/a.json',
        'raw/2026/05/01/b.json',
        'raw/2026/05/02/c.json',
        'raw/2026/06/01/d.json',
        'metrics/x.json',
        'top.json',
      ];
      await Promise.all(keys.map((key) => put('list', key)));
    });

    it('filters by prefix and rolls keys up into common prefixes with a delimiter', async () => {
      // Act
      const top = await s3.client.send(new ListObjectsV2Command({ Bucket: 'list', Delimiter: '/' }));
      const may = await s3.client.send(
        new ListObjectsV2Command({ Bucket: 'list', Prefix: 'raw/2026/05/', Delimiter: '/' }),
      );
      const prefixed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'list', Prefix: 'raw/2026/05/01/' }));

      // Assess
      expect(top.Contents?.map((o) => o.Key)).toEqual(['top.json']);
      expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['metrics/', 'raw/']);
      expect(top.KeyCount).toBe(3);
      expect(may.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['raw/2026/05/01/', 'raw/2026/05/02/']);
      expect(may.Contents).toBeUndefined();
      expect(prefixed.Contents?.map((o) => [o.Key, o.Size, o.ETag])).toEqual([
        ['raw/2026/05/01/a.json', 21, `"${md5('raw/2026/05/01/a.json')}"`],
        ['raw/2026/05/01/b.json', 21, `"${md5('raw/2026/05/01/b.json')}"`],
      ]);
    });

    it('pages with max-keys and continuation tokens, common prefixes included', async () => {
      // Act
      const first = await s3.client.send(new ListObjectsV2Command({ Bucket: 'list', MaxKeys: 2, Delimiter: '/' }));
      const second = await s3.client.send(
        new ListObjectsV2Command({
          Bucket: 'list',
          MaxKeys: 2,
          Delimiter: '/',
          ContinuationToken: first.NextContinuationToken,
        }),
      );
      const all: string[] = [];
      for await (const page of paginateListObjectsV2({ client: s3.client, pageSize: 4 }, { Bucket: 'list' })) {
        all.push(...(page.Contents ?? []).map((o) => o.Key as string));
      }

      // Assess
      expect(first.IsTruncated).toBe(true);
      expect(first.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['metrics/', 'raw/']);
      expect(second.IsTruncated).toBe(false);
      expect(second.Contents?.map((o) => o.Key)).toEqual(['top.json']);
      expect(second.CommonPrefixes).toBeUndefined();
      expect(all).toHaveLength(6);
    });

    it('starts after a key, and lists with the version 1 API', async () => {
      // Act
      const after = await s3.client.send(
        new ListObjectsV2Command({ Bucket: 'list', StartAfter: 'raw/2026/05/02/c.json' }),
      );
      const v1 = await s3.client.send(new ListObjectsCommand({ Bucket: 'list', MaxKeys: 2, Delimiter: '/' }));
      const v1Next = await s3.client.send(
        new ListObjectsCommand({ Bucket: 'list', MaxKeys: 2, Delimiter: '/', Marker: v1.NextMarker }),
      );

      // Assess
      expect(after.Contents?.map((o) => o.Key)).toEqual(['raw/2026/06/01/d.json', 'top.json']);
      expect(v1.IsTruncated).toBe(true);
      expect(v1.NextMarker).toBe('raw/');
      expect(v1Next.Contents?.map((o) => o.Key)).toEqual(['top.json']);
    });
  });
});

describe('local S3 on disk', () => {
  it('keeps buckets, objects and metadata across a new instance on the same data folder', async () => {
    // Prepare
    const temp = await makeTempDir();
    const first = await startLocalS3({ dataDir: temp.path });
    await first.client.send(new CreateBucketCommand({ Bucket: 'archive' }));
    await first.client.send(
      new PutObjectCommand({
        Bucket: 'archive',
        Key: '2026/05/12/10/stream-1.json',
        Body: '{"a":1}\n',
        ContentType: 'application/json',
        Metadata: { kept: 'yes' },
      }),
    );
    await first.client.send(new PutObjectCommand({ Bucket: 'archive', Key: 'deleted.txt', Body: 'x' }));
    await first.client.send(new DeleteObjectCommand({ Bucket: 'archive', Key: 'deleted.txt' }));
    await first.stop();

    // Act
    const second = await startLocalS3({ dataDir: temp.path });
    const read = await second.client.send(
      new GetObjectCommand({ Bucket: 'archive', Key: '2026/05/12/10/stream-1.json' }),
    );
    const text = await read.Body?.transformToString();
    const listed = await second.client.send(new ListObjectsV2Command({ Bucket: 'archive' }));
    const onDisk = await readFile(join(temp.path, 's3', 'archive', '2026', '05', '12', '10', 'stream-1.json'), 'utf8');
    await second.stop();
    await temp.remove();

    // Assess
    expect(text).toBe('{"a":1}\n');
    expect(read.ContentType).toBe('application/json');
    expect(read.Metadata).toEqual({ kept: 'yes' });
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['2026/05/12/10/stream-1.json']);
    expect(onDisk).toBe('{"a":1}\n');
  });

  it('stores keys that are a file and a folder at once, and long keys', async () => {
    // Prepare
    const temp = await makeTempDir();
    const store = new S3Store({ dataDir: temp.path });
    await store.createBucket('mixed');
    const keys = ['a', 'a/b', 'a/b/c', 'A', `${'x'.repeat(300)}/y`];

    // Act
    for (const key of keys) await store.putObject('mixed', key, Buffer.from(`body of ${key}`));
    const reopened = new S3Store({ dataDir: temp.path });
    const bodies = await Promise.all(keys.map(async (key) => (await reopened.getObject('mixed', key)).body.toString()));
    const listed = await reopened.listObjects('mixed');
    await temp.remove();

    // Assess
    expect(bodies).toEqual(keys.map((key) => `body of ${key}`));
    expect(listed.objects.map((o) => o.key)).toEqual(['A', 'a', 'a/b', 'a/b/c', `${'x'.repeat(300)}/y`]);
  });

  it('keeps every key inside its bucket folder, whatever it holds', async () => {
    // Prepare
    const temp = await makeTempDir();
    const dataDir = join(temp.path, 'data');
    const s3 = await startLocalS3({ dataDir });
    await s3.client.send(new CreateBucketCommand({ Bucket: 'through-sdk' }));
    await s3.service.store.createBucket('in-process');
    const hostileKeys = [
      '../../escaped.txt',
      '../../../../../../tmp/escaped.txt',
      '/etc/passwd',
      'a/../../../escaped.txt',
      '..',
      '.',
      './..',
      '%2e%2e/%2e%2e/escaped.txt',
      '..\\..\\escaped.txt',
      'C:\\Windows\\escaped.txt',
      'nul\u0000byte/../escaped.txt',
      '~tmp-not-a-temp-file',
      '~hashed/0000',
      'x~meta.json',
    ];

    // Act
    await Promise.all(
      hostileKeys.map((key) =>
        s3.client.send(new PutObjectCommand({ Bucket: 'through-sdk', Key: key, Body: 'sdk' })).catch(() => undefined),
      ),
    );
    for (const key of hostileKeys) await s3.service.store.putObject('in-process', key, Buffer.from(key));
    const readBack = await Promise.all(
      hostileKeys.map(async (key) => (await s3.service.store.getObject('in-process', key)).body.toString()),
    );
    const strayFiles = (await listFiles(temp.path)).filter(
      (path) => !path.startsWith('data/s3/through-sdk/') && !path.startsWith('data/s3/in-process/'),
    );
    await s3.stop();
    const reopened = new S3Store({ dataDir });
    const keysAfterRestart = (await reopened.listObjects('in-process')).objects.map((o) => o.key);
    const buckets = (await reopened.listBuckets()).map((b) => b.name);
    await temp.remove();

    // Assess
    expect(strayFiles).toEqual([]);
    expect(buckets).toEqual(['in-process', 'through-sdk']);
    expect(readBack).toEqual(hostileKeys);
    expect(keysAfterRestart.sort()).toEqual([...hostileKeys].sort());
  });

  it('answers virtual-hosted-style requests to <bucket>.localhost', async () => {
    // Prepare
    const service = new S3Service({ logger: silentLogger });
    await service.createBucket('data');
    await service.putObject('data', 'dir/k.txt', Buffer.from('hosted'));

    // Act
    const response = await service.handle({
      method: 'GET',
      path: '/dir/k.txt',
      query: new URLSearchParams('x-id=GetObject'),
      headers: { host: 'data.localhost:4566' },
      body: Buffer.alloc(0),
      region: 'us-east-1',
      accountId: '000000000000',
    });

    // Assess
    expect(response.status).toBe(200);
    expect(String(response.body)).toBe('hosted');
  });

  it('refuses a request path with a dot-dot segment, as S3 does', async () => {
    // Prepare
    const service = new S3Service({ logger: silentLogger });
    await service.createBucket('safe');
    const request = (path: string, query = 'x-id=PutObject') => ({
      method: 'PUT',
      path,
      query: new URLSearchParams(query),
      headers: {},
      body: Buffer.from('x'),
      region: 'us-east-1',
      accountId: '000000000000',
    });

    // Act
    const dotDot = await service.handle(request('/safe/a/../../escaped.txt'));
    const keyLost = await service.handle(request('/escaped.txt'));
    const listed = await service.store.listObjects('safe');

    // Assess
    expect(dotDot.status).toBe(400);
    expect(keyLost.status).toBe(400);
    expect(await service.store.bucketExists('escaped.txt')).toBe(false);
    expect(listed.objects).toEqual([]);
  });
});
