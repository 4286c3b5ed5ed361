import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type AlarmHistoryEntry, AlarmHistoryEntrySchema, type AlarmNotification } from '@iot/types';
import * as z from 'zod';
import { decodePageToken, encodePageToken } from '../domain/page-token';
import type { AlarmHistoryStore, Page } from '../domain/ports';

const DAY_SECONDS = 86_400;

/**
 * The sort key of a change: its time in milliseconds, zero-padded to 13 digits so that text order is time order,
 * then its metric, which makes it unique (one metric of one device changes at most once per reading time).
 * `1767225600000#temperature`.
 */
export function changeId(timestamp: number, metric: string): string {
  return `${String(timestamp).padStart(13, '0')}#${metric}`;
}

// Every change id of a time `t` lies between `<t>` and `<t>$`: "$" sorts right after the "#" that ends the time.
const lowestId = (timestamp: number) => String(timestamp).padStart(13, '0');
const highestId = (timestamp: number) => `${lowestId(timestamp)}$`;

const position = (deviceId: string) =>
  z.object({ deviceId: z.literal(deviceId), changeId: z.string().min(1).max(100) }).strict();

/**
 * The alarm history table: one item per change of state (keys `deviceId`, `changeId`), holding the notification
 * that was published for it, expiring `retentionDays` after the change (DynamoDB TTL on `expiresAt`).
 */
export class DynamoDbAlarmHistoryStore implements AlarmHistoryStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  async record(change: AlarmNotification): Promise<void> {
    const { reminder: _reminder, ...entry } = change;
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...entry,
          changeId: changeId(change.timestamp, change.metric),
          expiresAt: Math.floor(change.timestamp / 1000) + this.retentionDays * DAY_SECONDS,
        },
      }),
    );
  }

  async listByDevice(
    deviceId: string,
    query: { from?: number; to?: number; limit: number; nextToken?: string },
  ): Promise<Page<AlarmHistoryEntry>> {
    const start = query.nextToken ? decodePageToken(query.nextToken, position(deviceId)) : undefined;
    const from = lowestId(query.from ?? 0);
    const to = highestId(query.to ?? 9_999_999_999_999);
    const answer = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'deviceId = :deviceId AND changeId BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':deviceId': deviceId, ':from': from, ':to': to },
        ScanIndexForward: false,
        Limit: query.limit,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    return {
      items: (answer.Items ?? []).map((item) => AlarmHistoryEntrySchema.parse(item)),
      ...(answer.LastEvaluatedKey ? { nextToken: encodePageToken(answer.LastEvaluatedKey) } : {}),
    };
  }
}
