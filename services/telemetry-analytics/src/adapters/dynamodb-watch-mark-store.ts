import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { activeWatchMarks, nextWatchMark, type WatchMarkStore, type WatchMarks } from '../domain/recent-telemetry';

/** The key of the one item holding every mark: `#` is in no device id, so no device's readings share it. */
export const WATCH_MARKS_KEY = { deviceId: '#watched', timestamp: 0 } as const;
const MAX_ATTEMPTS = 5;

/**
 * Watch marks in the recent-telemetry table, as one item (`marks`: device id → watchedUntil) so that the stream
 * consumer reads them all with one `GetItem` per batch. Writers replace the item whole, pruned of expired marks,
 * under a version check (optimistic locking): two users starting to watch different devices at once both keep
 * theirs. An item holds up to 400 KB, about ten thousand marks at once.
 */
export class DynamoDbWatchMarkStore implements WatchMarkStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async read(): Promise<WatchMarks> {
    return (await this.readItem(false)).marks;
  }

  async watch(deviceId: string, now: number, periodMs: number): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      // Eventually consistent first (most polls write nothing); after a lost race, consistent.
      const { marks, version } = await this.readItem(attempt > 1);
      const current = marks.get(deviceId);
      const until = nextWatchMark(current, now, periodMs);
      if (until === undefined) return current as number;
      const kept = activeWatchMarks(marks, now);
      kept.set(deviceId, until);
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...WATCH_MARKS_KEY, marks: Object.fromEntries(kept), version: version + 1 },
            ConditionExpression: version === 0 ? 'attribute_not_exists(deviceId)' : 'version = :version',
            ...(version === 0 ? {} : { ExpressionAttributeValues: { ':version': version } }),
          }),
        );
        return until;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  private async readItem(consistent: boolean): Promise<{ marks: Map<string, number>; version: number }> {
    const answer = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: WATCH_MARKS_KEY, ConsistentRead: consistent }),
    );
    const item = answer.Item as { marks?: Record<string, number>; version?: number } | undefined;
    return { marks: new Map(Object.entries(item?.marks ?? {})), version: item?.version ?? 0 };
  }
}
