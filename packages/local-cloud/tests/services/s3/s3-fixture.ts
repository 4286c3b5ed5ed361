import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { type EdgeServer, startEdgeServer } from '../../../src/edge/edge-server';
import { S3Service, type S3ServiceOptions } from '../../../src/services/s3';

export const TEST_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export const silentLogger = { warn: () => undefined, error: () => undefined };

export interface LocalS3 {
  service: S3Service;
  edge: EdgeServer;
  client: S3Client;
  stop(): Promise<void>;
}

/** The local S3 behind a real edge endpoint on a free loopback port, and a path-style SDK client pointed at it. */
export async function startLocalS3(options: S3ServiceOptions = {}): Promise<LocalS3> {
  const service = new S3Service({ logger: silentLogger, ...options });
  await service.store.ready();
  const edge = await startEdgeServer({ services: [service] });
  const client = new S3Client({
    endpoint: edge.url,
    region: 'us-east-1',
    credentials: TEST_CREDENTIALS,
    forcePathStyle: true,
  });
  return {
    service,
    edge,
    client,
    async stop() {
      client.destroy();
      await edge.close();
    },
  };
}

export async function makeTempDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'local-s3-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Every file under `root`, as paths relative to it with `/` separators. */
export async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}
