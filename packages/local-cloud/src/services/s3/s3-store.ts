import { randomUUID } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import type { ObjectWriter } from '../../contracts';
import { DEFAULT_REGION } from '../../edge/aws-service';
import { type ChecksumAlgorithm, computeChecksum, md5Hex, type ObjectChecksum } from './s3-checksums';
import {
  BUCKET_FILE,
  hashedObjectPath,
  mirroredObjectPath,
  resolveInside,
  SIDECAR_SUFFIX,
  sidecarPath,
  TEMP_PREFIX,
} from './s3-disk-layout';
import { noSuchBucket, noSuchKey, S3Error } from './s3-errors';
import { compareKeys, type ListKeysResult, listKeys } from './s3-listing';

/** What S3 keeps about an object besides its bytes. */
export interface S3ObjectInfo {
  key: string;
  size: number;
  /** The MD5 of the content in hex, without quotes. */
  etag: string;
  lastModified: Date;
  contentType: string;
  contentEncoding?: string;
  cacheControl?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  expires?: string;
  /** User metadata (`x-amz-meta-*`), names in lower case without the prefix. */
  metadata: Record<string, string>;
  /** The checksum the client sent, else a CRC32 computed on write. */
  checksum: ObjectChecksum;
}

export interface S3BucketInfo {
  name: string;
  creationDate: Date;
  region: string;
}

export interface PutObjectOptions {
  contentEncoding?: string;
  cacheControl?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  expires?: string;
  metadata?: Record<string, string>;
  checksum?: ObjectChecksum;
  /** `*`: fail with PreconditionFailed if the key exists (conditional write). */
  ifNoneMatch?: string;
  /** An ETag: fail unless the current object has it. */
  ifMatch?: string;
}

export interface ListObjectsOptions {
  prefix?: string;
  delimiter?: string;
  /** Default and maximum 1000, as in S3. */
  maxKeys?: number;
  startAfter?: string;
  resumeAfter?: string;
}

export interface ListObjectsResult extends Omit<ListKeysResult, 'keys'> {
  objects: S3ObjectInfo[];
}

export interface S3StoreOptions {
  /** Objects are kept under `<dataDir>/s3/`; without it, in memory. */
  dataDir?: string;
  /** The region of buckets created without one. */
  region?: string;
}

interface StoredObject extends S3ObjectInfo {
  /** Path of the data file relative to the bucket folder (on disk). */
  location?: string;
  /** The content (in memory). */
  body?: Buffer;
}

interface BucketState extends S3BucketInfo {
  objects: Map<string, StoredObject>;
  /** Which key each data file path belongs to. */
  owners: Map<string, string>;
  sortedKeys?: string[];
  /** Mutations of a bucket run one after another. */
  tail: Promise<unknown>;
}

type Sidecar = Omit<S3ObjectInfo, 'lastModified'> & { lastModified: string };

const MAX_KEY_BYTES = 1024;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const MAX_METADATA_BYTES = 2048;
// Errors that mean the mirrored path is taken by something else: a file where a folder is needed, or the reverse.
const PATH_CONFLICTS = new Set(['EEXIST', 'ENOTDIR', 'EISDIR', 'ENOTEMPTY', 'ENAMETOOLONG', 'EINVAL']);

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** The bucket naming rules of S3 (general purpose buckets). */
export function isValidBucketName(name: string): boolean {
  return (
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    isIP(name) === 0 &&
    !name.startsWith('xn--') &&
    !name.startsWith('sthree-') &&
    !name.endsWith('-s3alias') &&
    !name.endsWith('--ol-s3')
  );
}

export function validateKey(key: string): void {
  if (key.length === 0) throw new S3Error('InvalidArgument', 'An object key must not be empty');
  if (LONE_SURROGATE.test(key)) throw new S3Error('InvalidArgument', 'An object key must be valid UTF-8');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError', 'Your key is too long');
}

function info(object: StoredObject): S3ObjectInfo {
  const { location: _location, body: _body, ...rest } = object;
  return { ...rest, metadata: { ...rest.metadata } };
}

/**
 * The buckets and objects of the local S3, in memory or on disk (see s3-disk-layout.ts for the layout). Operations
 * reject with {@link S3Error}s carrying S3's error codes. Also the {@link ObjectWriter} through which Firehose and
 * other in-process producers write objects.
 */
export class S3Store implements ObjectWriter {
  /** `<dataDir>/s3`, or `undefined` in memory. */
  readonly root: string | undefined;
  private readonly defaultRegion: string;
  private readonly buckets = new Map<string, BucketState>();
  private readonly loading: Promise<void>;

  constructor(options: S3StoreOptions = {}) {
    this.root = options.dataDir ? resolve(options.dataDir, 's3') : undefined;
    this.defaultRegion = options.region ?? DEFAULT_REGION;
    this.loading = this.load();
    // Surfaced by ready(); kept from being reported as unhandled before anyone awaits it.
    this.loading.catch(() => undefined);
  }

  /** Resolves once the buckets and objects on disk are loaded. Every operation waits for it. */
  ready(): Promise<void> {
    return this.loading;
  }

  // --- buckets ---

  /**
   * Creates a bucket. Creating a bucket that exists is not an error here (the result says whether it was created),
   * so that resources declared by a template can be created again over a persisted data folder; the S3 API applies
   * S3's own rule on top.
   */
  async createBucket(name: string, options: { region?: string } = {}): Promise<{ created: boolean }> {
    await this.loading;
    if (!isValidBucketName(name)) {
      throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', 400, { BucketName: name });
    }
    if (this.buckets.has(name)) return { created: false };
    const bucket = this.newBucket({ name, creationDate: new Date(), region: options.region ?? this.defaultRegion });
    this.buckets.set(name, bucket);
    if (this.root) {
      try {
        const folder = this.bucketFolder(name);
        await mkdir(folder, { recursive: true });
        await writeFile(
          join(folder, BUCKET_FILE),
          JSON.stringify({ creationDate: bucket.creationDate.toISOString(), region: bucket.region }),
        );
      } catch (error) {
        this.buckets.delete(name);
        throw error;
      }
    }
    return { created: true };
  }

  async getBucket(name: string): Promise<S3BucketInfo> {
    const bucket = await this.bucket(name);
    return { name: bucket.name, creationDate: bucket.creationDate, region: bucket.region };
  }

  async bucketExists(name: string): Promise<boolean> {
    await this.loading;
    return this.buckets.has(name);
  }

  async listBuckets(): Promise<S3BucketInfo[]> {
    await this.loading;
    return [...this.buckets.values()]
      .map(({ name, creationDate, region }) => ({ name, creationDate, region }))
      .sort((a, b) => compareKeys(a.name, b.name));
  }

  /** Deletes an empty bucket; BucketNotEmpty otherwise, as in S3. */
  async deleteBucket(name: string): Promise<void> {
    const bucket = await this.bucket(name);
    await this.exclusive(bucket, async () => {
      if (bucket.objects.size > 0) {
        throw new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, { BucketName: name });
      }
      this.buckets.delete(name);
      if (this.root) await rm(this.bucketFolder(name), { recursive: true, force: true });
    });
  }

  // --- objects ---

  /** Writes an object (the {@link ObjectWriter} contract). */
  async putObject(bucket: string, key: string, body: Buffer, contentType?: string): Promise<void> {
    await this.writeObject(bucket, key, body, contentType);
  }

  /** Writes an object with S3's optional headers and conditions; resolves with what is stored. */
  async writeObject(
    bucketName: string,
    key: string,
    body: Buffer,
    contentType?: string,
    options: PutObjectOptions = {},
  ): Promise<S3ObjectInfo> {
    const bucket = await this.bucket(bucketName);
    validateKey(key);
    const metadata = options.metadata ?? {};
    const metadataBytes = Object.entries(metadata).reduce(
      (total, [name, value]) => total + Buffer.byteLength(name) + Buffer.byteLength(value),
      0,
    );
    if (metadataBytes > MAX_METADATA_BYTES) {
      throw new S3Error('MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size.');
    }
    const data = Buffer.from(body);
    const checksum = options.checksum ?? { algorithm: 'crc32', value: computeChecksum('crc32', data) as string };

    return this.exclusive(bucket, async () => {
      const existing = bucket.objects.get(key);
      checkWritePreconditions(key, existing, options);
      const object: StoredObject = {
        key,
        size: data.length,
        etag: md5Hex(data),
        lastModified: new Date(),
        contentType: contentType || 'binary/octet-stream',
        contentEncoding: options.contentEncoding,
        cacheControl: options.cacheControl,
        contentDisposition: options.contentDisposition,
        contentLanguage: options.contentLanguage,
        expires: options.expires,
        metadata: { ...metadata },
        checksum,
      };
      if (this.root) object.location = await this.writeToDisk(bucket, object, data, existing?.location);
      else object.body = data;
      if (!existing) bucket.sortedKeys = undefined;
      bucket.objects.set(key, object);
      return info(object);
    });
  }

  async headObject(bucketName: string, key: string): Promise<S3ObjectInfo> {
    const bucket = await this.bucket(bucketName);
    const object = bucket.objects.get(key);
    if (!object) throw noSuchKey(key);
    return info(object);
  }

  async getObject(bucketName: string, key: string): Promise<{ info: S3ObjectInfo; body: Buffer }> {
    const bucket = await this.bucket(bucketName);
    const object = bucket.objects.get(key);
    if (!object) throw noSuchKey(key);
    if (object.body) return { info: info(object), body: object.body };
    try {
      const body = await readFile(resolveInside(this.bucketFolder(bucket.name), object.location as string));
      return { info: info(object), body };
    } catch (error) {
      if (errorCode(error) === 'ENOENT' && bucket.objects.get(key) === object) {
        // Removed from the data folder by hand: forget it, as S3 would not know it either.
        bucket.objects.delete(key);
        bucket.sortedKeys = undefined;
        throw noSuchKey(key);
      }
      throw error;
    }
  }

  /** Deletes an object; deleting a key that does not exist succeeds, as in S3. */
  async deleteObject(bucketName: string, key: string): Promise<void> {
    const bucket = await this.bucket(bucketName);
    await this.exclusive(bucket, async () => {
      const object = bucket.objects.get(key);
      if (!object) return;
      bucket.objects.delete(key);
      bucket.sortedKeys = undefined;
      if (object.location) await this.removeFromDisk(bucket, object.location);
    });
  }

  async listObjects(bucketName: string, options: ListObjectsOptions = {}): Promise<ListObjectsResult> {
    const bucket = await this.bucket(bucketName);
    if (!bucket.sortedKeys) bucket.sortedKeys = [...bucket.objects.keys()].sort(compareKeys);
    const { keys, ...page } = listKeys(bucket.sortedKeys, {
      prefix: options.prefix,
      delimiter: options.delimiter,
      maxKeys: Math.min(options.maxKeys ?? 1000, 1000),
      startAfter: options.startAfter,
      resumeAfter: options.resumeAfter,
    });
    const objects = keys.flatMap((key) => {
      const object = bucket.objects.get(key);
      return object ? [info(object)] : [];
    });
    return { ...page, objects };
  }

  // --- internals ---

  private newBucket(info: S3BucketInfo): BucketState {
    return { ...info, objects: new Map(), owners: new Map(), tail: Promise.resolve() };
  }

  private async bucket(name: string): Promise<BucketState> {
    await this.loading;
    const bucket = this.buckets.get(name);
    if (!bucket) throw noSuchBucket(name);
    return bucket;
  }

  private exclusive<T>(bucket: BucketState, work: () => Promise<T>): Promise<T> {
    const run = bucket.tail.then(work, work);
    bucket.tail = run.catch(() => undefined);
    return run;
  }

  private bucketFolder(name: string): string {
    // Bucket names are validated before they reach the disk: no separators, no dot segments, no `~`.
    return resolveInside(this.root as string, name);
  }

  /** Writes the data and its sidecar to temporary files, then renames them into place; returns the location. */
  private async writeToDisk(
    bucket: BucketState,
    object: StoredObject,
    data: Buffer,
    currentLocation: string | undefined,
  ): Promise<string> {
    const folder = this.bucketFolder(bucket.name);
    const temp = join(folder, `${TEMP_PREFIX}${randomUUID()}`);
    const sidecar: Sidecar = { ...info(object), lastModified: object.lastModified.toISOString() };
    try {
      await writeFile(temp, data);
      await writeFile(sidecarPath(temp), JSON.stringify(sidecar));
      const preferred = currentLocation ?? (await this.chooseLocation(bucket, folder, object.key));
      let location = preferred;
      try {
        await this.moveIntoPlace(folder, temp, location);
      } catch (error) {
        const hashed = hashedObjectPath(object.key);
        if (location === hashed || !PATH_CONFLICTS.has(errorCode(error) ?? '')) throw error;
        location = hashed;
        await this.moveIntoPlace(folder, temp, location);
      }
      bucket.owners.set(location, object.key);
      if (currentLocation && currentLocation !== location) await this.removeFromDisk(bucket, currentLocation);
      return location;
    } finally {
      await rm(temp, { force: true });
      await rm(sidecarPath(temp), { force: true });
    }
  }

  private async chooseLocation(bucket: BucketState, folder: string, key: string): Promise<string> {
    const mirrored = mirroredObjectPath(key);
    if (!mirrored) return hashedObjectPath(key);
    const owner = bucket.owners.get(mirrored);
    if (owner !== undefined) return owner === key ? mirrored : hashedObjectPath(key);
    try {
      // Something is there that no key owns: a folder of other keys, or another key's file on a case-insensitive
      // file system.
      await lstat(resolveInside(folder, mirrored));
      return hashedObjectPath(key);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return mirrored;
      // A parent of the mirrored path is another key's file.
      if (errorCode(error) === 'ENOTDIR') return hashedObjectPath(key);
      throw error;
    }
  }

  private async moveIntoPlace(folder: string, temp: string, location: string): Promise<void> {
    const target = resolveInside(folder, location);
    await mkdir(dirname(target), { recursive: true });
    await rename(temp, target);
    await rename(sidecarPath(temp), sidecarPath(target));
  }

  private async removeFromDisk(bucket: BucketState, location: string): Promise<void> {
    const folder = this.bucketFolder(bucket.name);
    const target = resolveInside(folder, location);
    await rm(sidecarPath(target), { force: true });
    await rm(target, { force: true });
    bucket.owners.delete(location);
    // S3 has no folders: drop the ones the key needed once they are empty.
    for (let parent = dirname(target); parent !== folder && parent.startsWith(folder); parent = dirname(parent)) {
      try {
        await rmdir(parent);
      } catch {
        break;
      }
    }
  }

  private async load(): Promise<void> {
    if (!this.root) return;
    await mkdir(this.root, { recursive: true });
    for (const entry of await readdir(this.root, { withFileTypes: true })) {
      if (!entry.isDirectory() || !isValidBucketName(entry.name)) continue;
      const folder = join(this.root, entry.name);
      const saved = await readJson<{ creationDate?: string; region?: string }>(join(folder, BUCKET_FILE));
      const bucket = this.newBucket({
        name: entry.name,
        creationDate: saved?.creationDate ? new Date(saved.creationDate) : (await stat(folder)).birthtime,
        region: saved?.region ?? this.defaultRegion,
      });
      await this.loadObjects(bucket, folder, '');
      this.buckets.set(entry.name, bucket);
    }
  }

  private async loadObjects(bucket: BucketState, folder: string, relativeFolder: string): Promise<void> {
    for (const entry of await readdir(join(folder, relativeFolder), { withFileTypes: true })) {
      const path = relativeFolder ? join(relativeFolder, entry.name) : entry.name;
      if (entry.name.startsWith(TEMP_PREFIX)) {
        // A write that did not finish before the process stopped.
        await rm(join(folder, path), { force: true, recursive: true });
      } else if (entry.isDirectory()) {
        await this.loadObjects(bucket, folder, path);
      } else if (entry.name.endsWith(SIDECAR_SUFFIX)) {
        const location = path.slice(0, -SIDECAR_SUFFIX.length);
        const sidecar = await readJson<Sidecar>(join(folder, path));
        const data = await stat(join(folder, location)).catch(() => undefined);
        if (!sidecar || typeof sidecar.key !== 'string' || !data?.isFile()) continue;
        const previous = bucket.objects.get(sidecar.key);
        const lastModified = new Date(sidecar.lastModified);
        if (previous && previous.lastModified >= lastModified) continue;
        bucket.objects.set(sidecar.key, {
          ...sidecar,
          size: data.size,
          lastModified,
          metadata: sidecar.metadata ?? {},
          checksum: sidecar.checksum ?? { algorithm: 'crc32' as ChecksumAlgorithm, value: '' },
          location,
        });
        bucket.owners.set(location, sidecar.key);
      }
    }
  }
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Whether an If-Match / If-None-Match header value names this ETag (or is `*`). */
export function etagMatches(condition: string, etag: string): boolean {
  return condition
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, '').replace(/^"|"$/g, ''))
    .some((tag) => tag === '*' || tag === etag);
}

function checkWritePreconditions(key: string, existing: StoredObject | undefined, options: PutObjectOptions): void {
  if (options.ifNoneMatch !== undefined && existing && etagMatches(options.ifNoneMatch, existing.etag)) {
    throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, {
      Condition: 'If-None-Match',
    });
  }
  if (options.ifMatch !== undefined) {
    if (!existing) throw noSuchKey(key);
    if (!etagMatches(options.ifMatch, existing.etag)) {
      throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, {
        Condition: 'If-Match',
      });
    }
  }
}
