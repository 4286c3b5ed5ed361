import { mkdtemp, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { type EdgeServer, startEdgeServer } from '../../../src/edge/edge-server';
import { DynamoDbService } from '../../../src/services/dynamodb';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

async function start(dataDir?: string) {
  const service = new DynamoDbService({ ...(dataDir ? { dataDir } : {}), ttlSweepIntervalMs: 3_600_000 });
  await service.start();
  const edge = await startEdgeServer({ services: [service] });
  const client = new DynamoDBClient({ endpoint: edge.url, region: 'us-east-1', credentials });
  return { service, edge, client };
}

async function stop({ service, edge, client }: { service: DynamoDbService; edge: EdgeServer; client: DynamoDBClient }) {
  client.destroy();
  await edge.close();
  await service.close();
}

/** Bytes of the LevelDB table files in a data folder's database. */
async function tableFileBytes(dataDir: string): Promise<number> {
  const folder = join(dataDir, 'dynamodb');
  const files = (await readdir(folder)).filter((name) => name.endsWith('.ldb'));
  const sizes = await Promise.all(files.map(async (name) => (await stat(join(folder, name))).size));
  return sizes.reduce((sum, size) => sum + size, 0);
}

const table = (name: string) =>
  new CreateTableCommand({
    TableName: name,
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  });

describe('DynamoDB through the edge endpoint', () => {
  it('keeps items across a restart on the same data folder', async () => {
    // Prepare
    const dataDir = await mkdtemp(join(tmpdir(), 'dynamodb-'));
    const first = await start(dataDir);
    await first.client.send(table('devices'));
    await first.client.send(new PutItemCommand({ TableName: 'devices', Item: { id: { S: 'a' }, n: { N: '1' } } }));
    await stop(first);

    // Act
    const second = await start(dataDir);
    const answer = await second.client.send(new GetItemCommand({ TableName: 'devices', Key: { id: { S: 'a' } } }));
    await stop(second);

    // Assess
    expect(answer.Item).toEqual({ id: { S: 'a' }, n: { N: '1' } });
  });

  it('lets go of what queries and scans read, so rewritten items do not pile up on disk', async () => {
    // Prepare: 200 items of 10 KB (2 MB of data), rewritten 30 times with a query and a scan after each batch
    const dataDir = await mkdtemp(join(tmpdir(), 'dynamodb-'));
    const cloud = await start(dataDir);
    await cloud.client.send(table('readings'));
    const value = 'x'.repeat(10_000);

    // Act
    for (let round = 0; round < 30; round++) {
      for (let first = 0; first < 200; first += 25) {
        const puts = Array.from({ length: 25 }, (_, i) => ({
          PutRequest: { Item: { id: { S: `device-${first + i}` }, value: { S: `${value}${round}` } } },
        }));
        await cloud.client.send(new BatchWriteItemCommand({ RequestItems: { readings: puts } }));
        await cloud.client.send(
          new QueryCommand({
            TableName: 'readings',
            KeyConditionExpression: 'id = :id',
            ExpressionAttributeValues: { ':id': { S: `device-${first}` } },
          }),
        );
        await cloud.client.send(new ScanCommand({ TableName: 'readings', Limit: 3 }));
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const bytes = await tableFileBytes(dataDir);
    const last = await cloud.client.send(
      new GetItemCommand({ TableName: 'readings', Key: { id: { S: 'device-199' } } }),
    );
    await stop(cloud);

    // Assess: 60 MB were written; what stays on disk is about the data, not every version ever read past
    expect(last.Item?.value?.S).toBe(`${value}29`);
    expect(bytes).toBeLessThan(6 * 1024 * 1024);
  }, 60_000);

  it('keeps the time to live of a table and deletes expired items', async () => {
    // Prepare
    const cloud = await start();
    await cloud.client.send(table('metrics'));
    await cloud.client.send(
      new UpdateTimeToLiveCommand({
        TableName: 'metrics',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      }),
    );
    const now = Math.floor(Date.now() / 1000);
    await cloud.client.send(
      new PutItemCommand({ TableName: 'metrics', Item: { id: { S: 'old' }, expiresAt: { N: String(now - 10) } } }),
    );
    await cloud.client.send(
      new PutItemCommand({ TableName: 'metrics', Item: { id: { S: 'new' }, expiresAt: { N: String(now + 3600) } } }),
    );

    // Act
    const deleted = await cloud.service.sweepExpired();
    const described = await cloud.client.send(new DescribeTimeToLiveCommand({ TableName: 'metrics' }));
    const old = await cloud.client.send(new GetItemCommand({ TableName: 'metrics', Key: { id: { S: 'old' } } }));
    const kept = await cloud.client.send(new GetItemCommand({ TableName: 'metrics', Key: { id: { S: 'new' } } }));
    await stop(cloud);

    // Assess
    expect(deleted).toBe(1);
    expect(described.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    expect(old.Item).toBeUndefined();
    expect(kept.Item).toBeDefined();
  });

  it('answers DynamoDB errors as the SDK expects them', async () => {
    // Prepare
    const cloud = await start();

    // Act
    const reading = cloud.client.send(new GetItemCommand({ TableName: 'missing', Key: { id: { S: 'a' } } }));

    // Assess
    await expect(reading).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await stop(cloud);
  });

  it('stops cleanly while the time-to-live sweeper is scanning a table, and keeps the items on disk', async () => {
    // Prepare
    const dataDir = await mkdtemp(join(tmpdir(), 'dynamodb-'));
    const cloud = await start(dataDir);
    await cloud.client.send(table('readings'));
    await waitUntilTableExists({ client: cloud.client, minDelay: 1, maxWaitTime: 30 }, { TableName: 'readings' });
    cloud.service.setTimeToLive('readings', { AttributeName: 'expiresAt', Enabled: true });
    const now = Math.floor(Date.now() / 1000);
    for (let batch = 0; batch < 40; batch++) {
      await cloud.client.send(
        new BatchWriteItemCommand({
          RequestItems: {
            readings: Array.from({ length: 25 }, (_, index) => ({
              PutRequest: {
                Item: {
                  id: { S: `r${batch * 25 + index}` },
                  expiresAt: { N: String(now + 3600) },
                  body: { S: 'x'.repeat(400) },
                },
              },
            })),
          },
        }),
      );
    }
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    process.on('unhandledRejection', record);

    // Act
    const sweeping = cloud.service.sweepExpired();
    await new Promise((resolve) => setImmediate(resolve));
    const stopping = stop(cloud);
    const outcome = await Promise.allSettled([sweeping, stopping]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    process.off('uncaughtException', record);
    process.off('unhandledRejection', record);
    const reopened = await start(dataDir);
    const kept = await reopened.client.send(new GetItemCommand({ TableName: 'readings', Key: { id: { S: 'r999' } } }));
    await stop(reopened);

    // Assess
    expect(outcome.map((settled) => settled.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(uncaught).toEqual([]);
    expect(kept.Item?.id).toEqual({ S: 'r999' });
  });
});
