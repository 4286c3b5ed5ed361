import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type Alarm, type AlarmNotification, AlarmNotificationSchema, AlarmSchema } from '@iot/types';
import { z } from 'zod';
import type { TrackedAlarm } from '../domain/alarm-state-machine';
import type { AlarmStore, StoredAlarm } from '../domain/evaluate-telemetry';

// One item per device metric (keys: deviceId, metric): the alarm's fields, plus what only this service reads.
const AlarmItemSchema = AlarmSchema.extend({
  recentBreaches: z.array(z.boolean()).default([]),
  revision: z.number().int().nonnegative(),
  pendingNotification: AlarmNotificationSchema.optional(),
});

/** Alarms in the alarms table, written with optimistic concurrency on a revision number. */
export class DynamoDbAlarmStore implements AlarmStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(deviceId: string, metric: string): Promise<StoredAlarm | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { deviceId, metric }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const { recentBreaches, revision, pendingNotification, ...alarm } = AlarmItemSchema.parse(Item);
    return { alarm, recentBreaches, revision, ...(pendingNotification ? { pendingNotification } : {}) };
  }

  async save(
    next: TrackedAlarm,
    expectedRevision: number | undefined,
    pendingNotification: AlarmNotification | undefined,
  ): Promise<boolean> {
    const item = {
      ...next.alarm,
      recentBreaches: next.recentBreaches,
      revision: (expectedRevision ?? 0) + 1,
      pendingNotification,
    };
    const condition =
      expectedRevision === undefined
        ? { ConditionExpression: 'attribute_not_exists(deviceId)' }
        : {
            // The revision makes the write safe; the reading time states the rule that a write never goes back.
            ConditionExpression:
              '#revision = :expectedRevision AND (attribute_not_exists(lastReadingAt) OR lastReadingAt < :readingAt)',
            ExpressionAttributeNames: { '#revision': 'revision' },
            ExpressionAttributeValues: {
              ':expectedRevision': expectedRevision,
              ':readingAt': next.alarm.lastReadingAt ?? Number.MAX_SAFE_INTEGER,
            },
          };
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: item, ...condition }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async clearPendingNotification(deviceId: string, metric: string, timestamp: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { deviceId, metric },
          // Bumping the revision makes a writer that read the pending notification evaluate again without it.
          UpdateExpression: 'REMOVE pendingNotification SET #revision = #revision + :one',
          ConditionExpression: 'pendingNotification.#timestamp = :timestamp',
          ExpressionAttributeNames: { '#revision': 'revision', '#timestamp': 'timestamp' },
          ExpressionAttributeValues: { ':one': 1, ':timestamp': timestamp },
        }),
      );
    } catch (error) {
      // Already cleared by a redelivery, or replaced by a newer change: nothing of this reading is pending.
      if (error instanceof ConditionalCheckFailedException) return;
      throw error;
    }
  }

  async listByDevice(deviceId: string): Promise<Alarm[]> {
    const alarms: Alarm[] = [];
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'deviceId = :deviceId',
        ExpressionAttributeValues: { ':deviceId': deviceId },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) alarms.push(AlarmSchema.parse(item));
    }
    return alarms;
  }
}
