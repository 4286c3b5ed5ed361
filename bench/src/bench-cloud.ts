import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { defaultExtensions, type LocalCloud, type LocalTiming, startLocalCloud } from '@iot/local-cloud';
import { REPO_DIR } from './results';

/** Short windows and buffers, so a pipeline benchmark sees its messages through within seconds. */
export const PIPELINE_TIMING: LocalTiming = {
  firehoseBufferIntervalMs: 1000,
  tumblingWindowSeconds: 3,
  maximumBatchingWindowSeconds: 0,
};

/** AWS SDK client settings for the local cloud's edge endpoint. */
export const edgeClientConfig = (cloud: LocalCloud) => ({
  endpoint: cloud.endpoints.edge,
  region: 'us-east-1',
  credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
});

/**
 * The whole local cloud as `pnpm start` runs it (every service, the IoT Core, Cognito, schedules), on free ports and a
 * data folder of its own, with function logs kept out of the console. The caller closes it and removes the folder.
 */
export async function startBenchCloud(
  name: string,
  timing?: LocalTiming,
): Promise<{ cloud: LocalCloud; dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), `iot-bench-${name}-`));
  const cloud = await startLocalCloud({
    root: REPO_DIR,
    dataDir,
    edgePort: 0,
    apiPort: 0,
    mqttPort: 0,
    mqttTlsPort: 0,
    ...(timing ? { timing } : {}),
    extensions: defaultExtensions(),
    functionLogs: false,
    logger: { info: () => {}, warn: () => {} },
  });
  return { cloud, dataDir };
}

/** Readings of `temperature` the metrics table holds for these devices (the sum of their windows' counts). */
export async function aggregatedReadings(
  cloud: LocalCloud,
  dynamodb: DynamoDBClient,
  deviceIds: readonly string[],
): Promise<number> {
  const table = cloud.deployed['telemetry-analytics']?.outputs.MetricsTableName;
  if (!table) throw new Error('telemetry-analytics has no MetricsTableName output');
  let total = 0;
  for (const deviceId of deviceIds) {
    let startKey: Record<string, never> | undefined;
    do {
      const page = await dynamodb.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'deviceId = :d',
          ExpressionAttributeValues: { ':d': { S: deviceId } },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if (item.metric?.S === 'temperature') total += Number(item.count?.N ?? 0);
      }
      startKey = page.LastEvaluatedKey as typeof startKey;
    } while (startKey);
  }
  return total;
}
