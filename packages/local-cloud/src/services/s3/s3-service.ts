import { randomBytes } from 'node:crypto';
import type { ObjectWriter } from '../../contracts';
import { type AwsService, AwsServiceError, type EdgeRequest, type EdgeResponse } from '../../edge/aws-service';
import { decodeAwsChunked, isAwsChunked } from './aws-chunked';
import { CHECKSUM_ALGORITHMS, computeChecksum, md5Base64, type ObjectChecksum } from './s3-checksums';
import { notImplemented, S3Error } from './s3-errors';
import { etagMatches, type PutObjectOptions, type S3ObjectInfo, S3Store, type S3StoreOptions } from './s3-store';
import { parseXml, type XmlNode, xmlDocument } from './s3-xml';

/** Where the services report what goes wrong inside them (a Powertools Logger, pino or `console` fit). */
export interface ServiceLogger {
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

export interface S3ServiceOptions extends S3StoreOptions {
  /** A store to serve; by default one is created from `dataDir` and `region`. */
  store?: S3Store;
  logger?: ServiceLogger;
  /**
   * Host names under which `<bucket>.<suffix>` is a virtual-hosted-style request (the SDK's default addressing when
   * the endpoint is a host name): `localhost` by default. An endpoint given as an IP address, or clients with
   * `forcePathStyle: true`, use path-style requests, which always work.
   */
  virtualHostSuffixes?: string[];
}

interface Target {
  bucket?: string;
  key?: string;
}

const OBJECT_OPERATIONS = new Set(['PutObject', 'GetObject', 'HeadObject', 'DeleteObject', 'CopyObject']);
const OWNER = { ID: '000000000000', DisplayName: 'local' };
const SYSTEM_HEADERS = {
  'cache-control': 'cacheControl',
  'content-disposition': 'contentDisposition',
  'content-encoding': 'contentEncoding',
  'content-language': 'contentLanguage',
  expires: 'expires',
} as const;
const RESPONSE_OVERRIDES = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
} as const;
// Sub-resources of buckets and objects the local S3 does not emulate: answered NotImplemented, never mistaken for a
// plain bucket or object operation.
const UNSUPPORTED_SUBRESOURCES = [
  'accelerate',
  'acl',
  'analytics',
  'attributes',
  'cors',
  'encryption',
  'intelligent-tiering',
  'inventory',
  'legal-hold',
  'lifecycle',
  'logging',
  'metrics',
  'notification',
  'object-lock',
  'ownershipControls',
  'partNumber',
  'policy',
  'policyStatus',
  'publicAccessBlock',
  'replication',
  'requestPayment',
  'restore',
  'retention',
  'select',
  'tagging',
  'torrent',
  'uploadId',
  'uploads',
  'versions',
  'website',
];

function httpDate(date: Date): string {
  return date.toUTCString();
}

function isoDate(date: Date): string {
  return date.toISOString();
}

function decodeUriPart(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new S3Error('InvalidURI', "Couldn't parse the specified URI.", 400);
  }
}

function requestId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

function xml(status: number, root: string, content: XmlNode, headers: Record<string, string> = {}): EdgeResponse {
  return { status, headers: { 'content-type': 'application/xml', ...headers }, body: xmlDocument(root, content) };
}

/** A continuation token: opaque to clients, the place to resume from for us. */
function encodeToken(resumeAfter: string): string {
  return Buffer.from(JSON.stringify({ r: resumeAfter }), 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { r?: unknown };
    if (typeof parsed.r === 'string') return parsed.r;
  } catch {
    // Falls through to the error.
  }
  throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', 400, {
    ArgumentName: 'continuation-token',
  });
}

function parseMaxKeys(value: string | null, name = 'max-keys'): number {
  if (value === null || value === '') return 1000;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) {
    throw new S3Error('InvalidArgument', `Provided ${name} not an integer or within integer range`, 400, {
      ArgumentName: name,
      ArgumentValue: value,
    });
  }
  return parsed;
}

/** A single `bytes=` range resolved against the size, `undefined` to serve the whole object. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) throw invalidRange(header, size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
    if (match[2] !== '' && Number(match[2]) < start) return undefined;
  }
  if (start >= size) throw invalidRange(header, size);
  return { start, end };
}

function invalidRange(range: string, size: number): S3Error {
  return new S3Error('InvalidRange', 'The requested range is not satisfiable', 416, {
    RangeRequested: range,
    ActualObjectSize: String(size),
  });
}

/**
 * The local S3: the REST/XML API of the bucket and object operations the services and their tools use, over an
 * {@link S3Store}. Path-style (`/<bucket>/<key>`) and `<bucket>.localhost` virtual-hosted requests.
 *
 * Errors are S3's XML `<Error>` documents (no body for HEAD), so AWS SDK clients raise `NoSuchKey`, `NoSuchBucket`,
 * `NotFound`, ... Uploads in the SDK v3 aws-chunked encoding are decoded and their trailing checksum verified;
 * objects answer `x-amz-checksum-*` when asked with `x-amz-checksum-mode: ENABLED`, so the SDK's response validation
 * passes. Not emulated (answered NotImplemented): multipart uploads, versioning, ACLs, policies, tagging, lifecycle,
 * notifications, website, replication.
 */
export class S3Service implements AwsService, ObjectWriter {
  readonly signingName = 's3';
  readonly store: S3Store;
  private readonly logger: ServiceLogger;
  private readonly virtualHostSuffixes: string[];

  constructor(options: S3ServiceOptions = {}) {
    this.store = options.store ?? new S3Store(options);
    this.logger = options.logger ?? console;
    this.virtualHostSuffixes = (options.virtualHostSuffixes ?? ['localhost']).map((s) => s.toLowerCase());
  }

  /** See {@link S3Store.putObject}. */
  putObject(bucket: string, key: string, body: Buffer, contentType?: string): Promise<void> {
    return this.store.putObject(bucket, key, body, contentType);
  }

  /** See {@link S3Store.createBucket}. */
  createBucket(name: string, options?: { region?: string }): Promise<{ created: boolean }> {
    return this.store.createBucket(name, options);
  }

  async handle(request: EdgeRequest): Promise<EdgeResponse> {
    const id = requestId();
    const common = { 'x-amz-request-id': id, 'x-amz-id-2': Buffer.from(id).toString('base64') };
    let response: EdgeResponse;
    try {
      response = await this.route(request);
    } catch (error) {
      response = this.errorResponse(error, request, id);
    }
    return { ...response, headers: { ...common, ...response.headers } };
  }

  private errorResponse(error: unknown, request: EdgeRequest, id: string): EdgeResponse {
    if (!(error instanceof AwsServiceError)) {
      this.logger.error('S3 request failed', { method: request.method, path: request.path, error });
    }
    const s3Error =
      error instanceof AwsServiceError
        ? error
        : new S3Error('InternalError', 'We encountered an internal error. Please try again.', 500);
    if (request.method === 'HEAD') return { status: s3Error.status };
    const details = s3Error instanceof S3Error ? s3Error.details : {};
    return xml(
      s3Error.status,
      'Error',
      { Code: s3Error.code, Message: s3Error.message, ...details, Resource: request.path, RequestId: id },
      {},
    );
  }

  private target(request: EdgeRequest): Target {
    const host = (request.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const suffix = this.virtualHostSuffixes.find((s) => host.endsWith(`.${s}`));
    const rawPath = request.path.replace(/^\//, '');
    let rawBucket: string;
    let rawKey: string;
    if (suffix) {
      rawBucket = host.slice(0, -(suffix.length + 1));
      rawKey = rawPath;
    } else {
      const slash = rawPath.indexOf('/');
      rawBucket = slash < 0 ? rawPath : rawPath.slice(0, slash);
      rawKey = slash < 0 ? '' : rawPath.slice(slash + 1);
    }
    // S3 refuses a request URI with a `..` segment (an SDK sends the key's dots as they are).
    if (rawKey.split('/').includes('..')) throw new S3Error('BadRequest', 'Bad Request', 400);
    return {
      bucket: rawBucket ? decodeUriPart(rawBucket) : undefined,
      key: rawKey ? decodeUriPart(rawKey) : undefined,
    };
  }

  private async route(request: EdgeRequest): Promise<EdgeResponse> {
    const { bucket, key } = this.target(request);
    const { method, query } = request;
    // The SDK names its operation in `x-id`: an object operation without a key means the path lost its key on the
    // way (dot segments resolved by an HTTP layer), and must not turn into a bucket operation.
    if (key === undefined && OBJECT_OPERATIONS.has(query.get('x-id') ?? '')) {
      throw new S3Error('BadRequest', 'The request names an object operation but no object key', 400);
    }
    const unsupported = UNSUPPORTED_SUBRESOURCES.find((name) => query.has(name));

    if (!bucket) {
      if (method === 'GET') return this.listBuckets(request);
      throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405);
    }
    if (key === undefined) {
      if (method === 'POST' && query.has('delete')) return this.deleteObjects(request, bucket);
      if (unsupported) throw notImplemented(`the bucket sub-resource ?${unsupported}`);
      switch (method) {
        case 'PUT':
          return this.handleCreateBucket(request, bucket);
        case 'HEAD':
          return this.headBucket(bucket);
        case 'DELETE':
          await this.store.deleteBucket(bucket);
          return { status: 204 };
        case 'GET':
          if (query.has('location')) return this.bucketLocation(bucket);
          if (query.has('versioning')) {
            await this.store.getBucket(bucket);
            return xml(200, 'VersioningConfiguration', {});
          }
          if (query.get('list-type') === '2') return this.listObjectsV2(request, bucket);
          return this.listObjectsV1(request, bucket);
      }
      throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405);
    }
    if (unsupported) throw notImplemented(`the object sub-resource ?${unsupported}`);
    switch (method) {
      case 'PUT':
        return request.headers['x-amz-copy-source']
          ? this.copyObject(request, bucket, key)
          : this.handlePutObject(request, bucket, key);
      case 'GET':
      case 'HEAD':
        return this.getObject(request, bucket, key);
      case 'DELETE':
        await this.store.deleteObject(bucket, key);
        return { status: 204 };
    }
    throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405);
  }

  // --- buckets ---

  private async listBuckets(request: EdgeRequest): Promise<EdgeResponse> {
    const prefix = request.query.get('prefix') ?? undefined;
    const region = request.query.get('bucket-region') ?? undefined;
    const maxBuckets = request.query.has('max-buckets')
      ? parseMaxKeys(request.query.get('max-buckets'), 'max-buckets')
      : Number.POSITIVE_INFINITY;
    const token = request.query.get('continuation-token');
    const after = token ? decodeToken(token) : undefined;
    const all = (await this.store.listBuckets()).filter(
      (b) => (!prefix || b.name.startsWith(prefix)) && (!region || b.region === region) && (!after || b.name > after),
    );
    const page = all.slice(0, maxBuckets);
    const truncated = page.length < all.length;
    return xml(200, 'ListAllMyBucketsResult', {
      Owner: OWNER,
      Buckets: {
        Bucket: page.map((b) => ({ Name: b.name, CreationDate: isoDate(b.creationDate), BucketRegion: b.region })),
      },
      Prefix: prefix,
      ContinuationToken: truncated ? encodeToken((page.at(-1) as { name: string }).name) : undefined,
    });
  }

  private async handleCreateBucket(request: EdgeRequest, bucket: string): Promise<EdgeResponse> {
    const body = parseXml(request.body) as { CreateBucketConfiguration?: { LocationConstraint?: string } };
    const region = body.CreateBucketConfiguration?.LocationConstraint || request.region;
    const exists = await this.store.bucketExists(bucket);
    // In us-east-1, S3 answers 200 to the owner re-creating a bucket; elsewhere BucketAlreadyOwnedByYou.
    if (exists && region !== 'us-east-1') {
      throw new S3Error(
        'BucketAlreadyOwnedByYou',
        'Your previous request to create the named bucket succeeded and you already own it.',
        409,
        { BucketName: bucket },
      );
    }
    await this.store.createBucket(bucket, { region });
    return { status: 200, headers: { location: `/${bucket}` } };
  }

  private async headBucket(bucket: string): Promise<EdgeResponse> {
    const info = await this.store.getBucket(bucket);
    return { status: 200, headers: { 'x-amz-bucket-region': info.region, 'x-amz-access-point-alias': 'false' } };
  }

  private async bucketLocation(bucket: string): Promise<EdgeResponse> {
    const info = await this.store.getBucket(bucket);
    const location = info.region === 'us-east-1' ? '' : info.region;
    return {
      status: 200,
      headers: { 'content-type': 'application/xml' },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${location}</LocationConstraint>`,
    };
  }

  // --- listing ---

  private async listObjectsV2(request: EdgeRequest, bucket: string): Promise<EdgeResponse> {
    const { query } = request;
    const prefix = query.get('prefix') ?? '';
    const delimiter = query.get('delimiter') ?? '';
    const maxKeys = parseMaxKeys(query.get('max-keys'));
    const continuationToken = query.get('continuation-token') ?? undefined;
    const startAfter = query.get('start-after') ?? undefined;
    const urlEncoded = query.get('encoding-type') === 'url';
    const encode = (text: string) => (urlEncoded ? encodeURIComponent(text).replace(/%2F/g, '/') : text);
    const page = await this.store.listObjects(bucket, {
      prefix,
      delimiter,
      maxKeys,
      startAfter,
      resumeAfter: continuationToken !== undefined ? decodeToken(continuationToken) : undefined,
    });
    const fetchOwner = query.get('fetch-owner') === 'true';
    return xml(200, 'ListBucketResult', {
      Name: bucket,
      Prefix: encode(prefix),
      Delimiter: delimiter ? encode(delimiter) : undefined,
      MaxKeys: maxKeys,
      EncodingType: urlEncoded ? 'url' : undefined,
      KeyCount: page.objects.length + page.commonPrefixes.length,
      IsTruncated: page.isTruncated,
      ContinuationToken: continuationToken,
      NextContinuationToken: page.isTruncated && page.last !== undefined ? encodeToken(page.last) : undefined,
      StartAfter: startAfter !== undefined ? encode(startAfter) : undefined,
      Contents: page.objects.map((o) => this.listEntry(o, encode, fetchOwner)),
      CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: encode(p) })),
    });
  }

  private async listObjectsV1(request: EdgeRequest, bucket: string): Promise<EdgeResponse> {
    const { query } = request;
    const prefix = query.get('prefix') ?? '';
    const delimiter = query.get('delimiter') ?? '';
    const maxKeys = parseMaxKeys(query.get('max-keys'));
    const marker = query.get('marker') ?? '';
    const urlEncoded = query.get('encoding-type') === 'url';
    const encode = (text: string) => (urlEncoded ? encodeURIComponent(text).replace(/%2F/g, '/') : text);
    // A marker that is a common prefix of this listing resumes after all of its keys, as S3's NextMarker does.
    const page = await this.store.listObjects(bucket, {
      prefix,
      delimiter,
      maxKeys,
      ...(delimiter && marker.endsWith(delimiter) ? { resumeAfter: marker } : { startAfter: marker || undefined }),
    });
    return xml(200, 'ListBucketResult', {
      Name: bucket,
      Prefix: encode(prefix),
      Marker: encode(marker),
      NextMarker: page.isTruncated && delimiter && page.last !== undefined ? encode(page.last) : undefined,
      MaxKeys: maxKeys,
      Delimiter: delimiter ? encode(delimiter) : undefined,
      EncodingType: urlEncoded ? 'url' : undefined,
      IsTruncated: page.isTruncated,
      Contents: page.objects.map((o) => this.listEntry(o, encode, true)),
      CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: encode(p) })),
    });
  }

  private listEntry(object: S3ObjectInfo, encode: (text: string) => string, withOwner: boolean): XmlNode {
    return {
      Key: encode(object.key),
      LastModified: isoDate(object.lastModified),
      ETag: `"${object.etag}"`,
      ChecksumAlgorithm: object.checksum.algorithm.toUpperCase(),
      ChecksumType: 'FULL_OBJECT',
      Size: object.size,
      Owner: withOwner ? OWNER : undefined,
      StorageClass: 'STANDARD',
    };
  }

  // --- objects ---

  /** The request body, decoded from aws-chunked, with the checksum the client sent (header or trailer). */
  private readBody(request: EdgeRequest): { data: Buffer; checksum?: ObjectChecksum } {
    const { headers } = request;
    let data = request.body;
    let trailers: Record<string, string> = {};
    if (isAwsChunked(headers)) {
      ({ data, trailers } = decodeAwsChunked(request.body));
      const declared = headers['x-amz-decoded-content-length'];
      if (declared !== undefined && declared !== '' && Number(declared) !== data.length) {
        throw new S3Error(
          'IncompleteBody',
          'You did not provide the number of bytes specified by the Content-Length HTTP header',
        );
      }
    }
    const contentMd5 = headers['content-md5'];
    if (contentMd5 !== undefined && contentMd5 !== md5Base64(data)) {
      throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400);
    }
    let checksum: ObjectChecksum | undefined;
    for (const algorithm of CHECKSUM_ALGORITHMS) {
      const name = `x-amz-checksum-${algorithm}`;
      const value = trailers[name] ?? headers[name];
      if (value === undefined) continue;
      const computed = computeChecksum(algorithm, data);
      if (computed !== undefined && computed !== value) {
        throw new S3Error(
          'BadDigest',
          `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`,
          400,
        );
      }
      checksum = { algorithm, value };
      break;
    }
    return { data, checksum };
  }

  private writeOptions(headers: Record<string, string>): PutObjectOptions {
    const options: PutObjectOptions = { metadata: {} };
    for (const [name, value] of Object.entries(headers)) {
      if (name.startsWith('x-amz-meta-')) (options.metadata as Record<string, string>)[name.slice(11)] = value;
    }
    for (const [header, field] of Object.entries(SYSTEM_HEADERS)) {
      let value = headers[header];
      if (header === 'content-encoding' && value !== undefined) {
        // aws-chunked describes the upload, not the object.
        value = value
          .split(',')
          .map((e) => e.trim())
          .filter((e) => e && e.toLowerCase() !== 'aws-chunked')
          .join(',');
      }
      if (value) options[field] = value;
    }
    return options;
  }

  private async handlePutObject(request: EdgeRequest, bucket: string, key: string): Promise<EdgeResponse> {
    const { data, checksum } = this.readBody(request);
    const options = this.writeOptions(request.headers);
    const stored = await this.store.writeObject(bucket, key, data, request.headers['content-type'], {
      ...options,
      checksum,
      ifNoneMatch: request.headers['if-none-match'],
      ifMatch: request.headers['if-match'],
    });
    const headers: Record<string, string> = {
      etag: `"${stored.etag}"`,
      'x-amz-server-side-encryption': 'AES256',
    };
    if (checksum) {
      headers[`x-amz-checksum-${checksum.algorithm}`] = checksum.value;
      headers['x-amz-checksum-type'] = 'FULL_OBJECT';
    }
    return { status: 200, headers };
  }

  private async copyObject(request: EdgeRequest, bucket: string, key: string): Promise<EdgeResponse> {
    const source = (request.headers['x-amz-copy-source'] as string).split('?', 1)[0] as string;
    const decoded = decodeUriPart(source).replace(/^\//, '');
    const slash = decoded.indexOf('/');
    if (slash <= 0 || slash === decoded.length - 1) {
      throw new S3Error(
        'InvalidArgument',
        'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
      );
    }
    const sourceBucket = decoded.slice(0, slash);
    const sourceKey = decoded.slice(slash + 1);
    const { info, body } = await this.store.getObject(sourceBucket, sourceKey);
    const ifMatch = request.headers['x-amz-copy-source-if-match'];
    const ifNoneMatch = request.headers['x-amz-copy-source-if-none-match'];
    if ((ifMatch && !etagMatches(ifMatch, info.etag)) || (ifNoneMatch && etagMatches(ifNoneMatch, info.etag))) {
      throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
    }
    const replace = (request.headers['x-amz-metadata-directive'] ?? 'COPY').toUpperCase() === 'REPLACE';
    if (!replace && sourceBucket === bucket && sourceKey === key) {
      throw new S3Error(
        'InvalidRequest',
        'This copy request is illegal because it is trying to copy an object to itself without changing the ' +
          "object's metadata, storage class, website redirect location or encryption attributes.",
      );
    }
    const { key: _key, size: _size, etag: _etag, lastModified: _modified, contentType, checksum, ...kept } = info;
    const options: PutObjectOptions = replace ? this.writeOptions(request.headers) : kept;
    const stored = await this.store.writeObject(
      bucket,
      key,
      body,
      replace ? request.headers['content-type'] : contentType,
      { ...options, checksum },
    );
    return xml(200, 'CopyObjectResult', { ETag: `"${stored.etag}"`, LastModified: isoDate(stored.lastModified) });
  }

  private async getObject(request: EdgeRequest, bucket: string, key: string): Promise<EdgeResponse> {
    const head = request.method === 'HEAD';
    const { info, body } = head
      ? { info: await this.store.headObject(bucket, key), body: undefined }
      : await this.store.getObject(bucket, key);
    const { headers: h, query } = request;

    const notModified = this.checkReadPreconditions(h, info);
    const headers: Record<string, string> = {
      etag: `"${info.etag}"`,
      'last-modified': httpDate(info.lastModified),
    };
    if (notModified) return { status: 304, headers };

    headers['content-type'] = info.contentType;
    headers['accept-ranges'] = 'bytes';
    headers['x-amz-server-side-encryption'] = 'AES256';
    for (const [header, field] of Object.entries(SYSTEM_HEADERS)) {
      const value = info[field];
      if (value) headers[header] = value;
    }
    for (const [name, value] of Object.entries(info.metadata)) headers[`x-amz-meta-${name}`] = value;
    for (const [parameter, header] of Object.entries(RESPONSE_OVERRIDES)) {
      const value = query.get(parameter);
      if (value !== null) headers[header] = value;
    }

    const range = parseRange(h.range, info.size);
    if (range) {
      headers['content-range'] = `bytes ${range.start}-${range.end}/${info.size}`;
      headers['content-length'] = String(range.end - range.start + 1);
      return { status: 206, headers, body: head ? undefined : body?.subarray(range.start, range.end + 1) };
    }
    // The SDK asks for checksums on every GetObject and validates those it receives; a range has none.
    if ((h['x-amz-checksum-mode'] ?? '').toUpperCase() === 'ENABLED' && info.checksum.value) {
      headers[`x-amz-checksum-${info.checksum.algorithm}`] = info.checksum.value;
      headers['x-amz-checksum-type'] = 'FULL_OBJECT';
    }
    headers['content-length'] = String(info.size);
    return { status: 200, headers, body: head ? undefined : body };
  }

  /** Throws PreconditionFailed, or returns true for 304 Not Modified, following RFC 7232's order as S3 does. */
  private checkReadPreconditions(headers: Record<string, string>, info: S3ObjectInfo): boolean {
    const failed = () =>
      new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
    // Dates that do not parse are ignored, as HTTP says; Last-Modified has a one-second resolution.
    const modifiedSince = (header: string | undefined): boolean | undefined => {
      const time = header === undefined ? Number.NaN : Date.parse(header);
      return Number.isNaN(time) ? undefined : Math.floor(info.lastModified.getTime() / 1000) * 1000 > time;
    };
    const ifMatch = headers['if-match'];
    const ifNoneMatch = headers['if-none-match'];
    if (ifMatch !== undefined && !etagMatches(ifMatch, info.etag)) throw failed();
    if (ifMatch === undefined && modifiedSince(headers['if-unmodified-since']) === true) throw failed();
    if (ifNoneMatch !== undefined) return etagMatches(ifNoneMatch, info.etag);
    return modifiedSince(headers['if-modified-since']) === false;
  }

  private async deleteObjects(request: EdgeRequest, bucket: string): Promise<EdgeResponse> {
    await this.store.getBucket(bucket);
    const parsed = parseXml(request.body) as {
      Delete?: { Object?: { Key?: unknown }[]; Quiet?: unknown };
    };
    const objects = parsed.Delete?.Object;
    if (!parsed.Delete || !objects || objects.length > 1000) {
      throw new S3Error(
        'MalformedXML',
        'The XML you provided was not well-formed or did not validate against our published schema',
      );
    }
    const quiet = String(parsed.Delete.Quiet ?? '').trim() === 'true';
    const deleted: XmlNode[] = [];
    const errors: XmlNode[] = [];
    for (const object of objects) {
      const key = typeof object.Key === 'string' ? object.Key : String(object.Key ?? '');
      try {
        await this.store.deleteObject(bucket, key);
        if (!quiet) deleted.push({ Key: key });
      } catch (error) {
        const code = error instanceof AwsServiceError ? error.code : 'InternalError';
        const message = error instanceof Error ? error.message : String(error);
        errors.push({ Key: key, Code: code, Message: message });
      }
    }
    return xml(200, 'DeleteResult', { Deleted: deleted, Error: errors });
  }
}
