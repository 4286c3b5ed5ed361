import { BatchWriteCommand, type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { TelemetryReading } from '@iot/types';
import type { RecentTelemetryStore } from '../domain/recent-telemetry';

const BATCH_SIZE = 25;
const MAX_ATTEMPTS = 8;

/**
 * Recent readings in DynamoDB: one item per message, under the device's id, sorted by the device's timestamp; items
 * expire `keepMinutes` after they were received (DynamoDB TTL on `expiresAt`, which deletes within a few days: reads
 * filter on the time themselves). Two messages of one device with the same timestamp keep the later one.
 */
export class DynamoDbRecentTelemetryStore implements RecentTelemetryStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly keepMinutes: number,
  ) {}

  async put(readings: readonly TelemetryReading[]): Promise<void> {
    // One request may not name a key twice: the last reading of a key wins.
    const byKey = new Map(readings.map((reading) => [`${reading.deviceId}#${reading.timestamp}`, reading]));
    const items = [...byKey.values()].map((reading) => ({
      ...reading,
      expiresAt: Math.floor(reading.receivedAt / 1000) + this.keepMinutes * 60,
    }));
    for (let i = 0; i < items.length; i += BATCH_SIZE) {
      let requests = items.slice(i, i + BATCH_SIZE).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 1; requests.length > 0; attempt++) {
        if (attempt > MAX_ATTEMPTS) throw new Error(`DynamoDB left ${requests.length} readings unprocessed`);
        const answer = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = (answer.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
        if (requests.length > 0) await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 25));
      }
    }
  }

  async newest(deviceId: string, from: number, limit: number): Promise<TelemetryReading[]> {
    const answer = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'deviceId = :device AND #timestamp >= :from',
        ExpressionAttributeNames: { '#timestamp': 'timestamp' },
        ExpressionAttributeValues: { ':device': deviceId, ':from': from },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (answer.Items ?? [])
      .map(({ deviceId: id, timestamp, metrics, receivedAt }) => ({ deviceId: id, timestamp, metrics, receivedAt }))
      .reverse() as TelemetryReading[];
  }
}
