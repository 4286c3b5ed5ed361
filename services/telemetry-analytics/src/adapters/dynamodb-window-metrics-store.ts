import { BatchWriteCommand, type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { WindowMetric } from '@iot/types';
import type { WindowMetricsStore } from '../domain/aggregate-window';

const BATCH_SIZE = 25;
const MAX_ATTEMPTS = 8;

/** The sort key: window start (13 digits, so keys sort by time) then metric. */
export const windowKey = (windowStart: number, metric: string) => `${String(windowStart).padStart(13, '0')}#${metric}`;

/**
 * Window metrics in DynamoDB, keyed by device and (window start, metric). A replayed window overwrites its own items.
 * Items expire `retentionDays` after their window ends (DynamoDB TTL on `expiresAt`).
 */
export class DynamoDbWindowMetricsStore implements WindowMetricsStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  async putWindowMetrics(metrics: WindowMetric[]): Promise<void> {
    for (let i = 0; i < metrics.length; i += BATCH_SIZE) {
      let requests = metrics.slice(i, i + BATCH_SIZE).map((metric) => ({
        PutRequest: {
          Item: {
            ...metric,
            windowKey: windowKey(metric.windowStart, metric.metric),
            expiresAt: Math.floor(metric.windowEnd / 1000) + this.retentionDays * 86_400,
          },
        },
      }));
      for (let attempt = 1; requests.length > 0; attempt++) {
        if (attempt > MAX_ATTEMPTS) throw new Error(`DynamoDB left ${requests.length} window metrics unprocessed`);
        const answer = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = (answer.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
        if (requests.length > 0) await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 25));
      }
    }
  }

  /** The windows of a device that start in [from, to], oldest first. */
  async queryDeviceWindows(query: {
    deviceId: string;
    from: number;
    to: number;
    metric?: string;
    limit: number;
    startKey?: Record<string, unknown>;
  }): Promise<{ items: WindowMetric[]; lastKey?: Record<string, unknown> }> {
    const answer = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'deviceId = :device AND windowKey BETWEEN :from AND :to',
        ...(query.metric ? { FilterExpression: 'metric = :metric' } : {}),
        ExpressionAttributeValues: {
          ':device': query.deviceId,
          ':from': windowKey(query.from, ''),
          ':to': windowKey(query.to, '\uffff'),
          ...(query.metric ? { ':metric': query.metric } : {}),
        },
        Limit: query.limit,
        ExclusiveStartKey: query.startKey,
      }),
    );
    const items = (answer.Items ?? []).map(({ windowKey: _key, expiresAt: _ttl, ...metric }) => metric as WindowMetric);
    return { items, ...(answer.LastEvaluatedKey ? { lastKey: answer.LastEvaluatedKey } : {}) };
  }
}
