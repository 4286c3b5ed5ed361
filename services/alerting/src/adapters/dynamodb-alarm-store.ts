import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type Alarm,
  AlarmNotificationSchema,
  AlarmSchema,
  type AlarmState,
  AlarmStateSchema,
  DeviceIdSchema,
  MetricNameSchema,
} from '@iot/types';
import * as z from 'zod';
import { decodePageToken, encodePageToken } from '../domain/page-token';
import type { AlarmKey, AlarmStore, AlarmWrite, Page, StoredAlarm } from '../domain/ports';

/** The index of the fleet view: partition `state`, sort `stateChangedAt`, keys only. */
export const BY_STATE_INDEX = 'byState';
/** The sparse index of the scheduled check: partition `checkShard`, sort `checkAt`, keys only. */
export const BY_CHECK_AT_INDEX = 'byCheckAt';
/**
 * Partitions of the check index. Every alarm that has a `checkAt` is in one of them, chosen by a hash of its key, so
 * index writes spread over several partitions instead of one. Raising it is safe; lowering it strands the alarms of
 * the shards dropped until their next write.
 */
export const CHECK_SHARDS = 4;

/** The check shard of an alarm: FNV-1a of its key, modulo `CHECK_SHARDS`. */
export function checkShardOf(deviceId: string, metric: string): number {
  let hash = 0x811c9dc5;
  for (const char of `${deviceId}#${metric}`) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % CHECK_SHARDS;
}

// One item per device metric (keys: deviceId, metric): the alarm's fields, plus what only this service reads.
const AlarmItemSchema = AlarmSchema.extend({
  recentBreaches: z.array(z.boolean()).default([]),
  revision: z.number().int().nonnegative(),
  pendingNotification: AlarmNotificationSchema.optional(),
  lastReceivedAt: z.number().optional(),
  lastNotifiedAt: z.number().optional(),
  reminderCount: z.number().int().nonnegative().optional(),
  checkAt: z.number().optional(),
});

// The position of a fleet-view page: the keys of its last item in the index, for the state it was issued for.
const byStatePosition = (state: AlarmState) =>
  z
    .object({
      state: z.literal(state),
      stateChangedAt: z.number(),
      deviceId: DeviceIdSchema,
      metric: MetricNameSchema,
    })
    .strict();

const defined = <T extends Record<string, unknown>>(record: T) =>
  Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<T>;

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
    const {
      recentBreaches,
      revision,
      pendingNotification,
      lastReceivedAt,
      lastNotifiedAt,
      reminderCount,
      checkAt,
      ...alarm
    } = AlarmItemSchema.parse(Item);
    return {
      alarm,
      recentBreaches,
      revision,
      ...defined({ pendingNotification, lastReceivedAt, lastNotifiedAt, reminderCount, checkAt }),
    };
  }

  async save({ next, expectedRevision, pendingNotification, checkAt }: AlarmWrite): Promise<boolean> {
    const item = {
      ...next.alarm,
      recentBreaches: next.recentBreaches,
      lastReceivedAt: next.lastReceivedAt,
      lastNotifiedAt: next.lastNotifiedAt,
      reminderCount: next.reminderCount,
      revision: (expectedRevision ?? 0) + 1,
      pendingNotification,
      // Both or neither: an alarm is in the sparse check index only while it has something that can come due.
      ...(checkAt === undefined ? {} : { checkAt, checkShard: checkShardOf(next.alarm.deviceId, next.alarm.metric) }),
    };
    const condition =
      expectedRevision === undefined
        ? { ConditionExpression: 'attribute_not_exists(deviceId)' }
        : {
            // The revision makes the write safe; the reading time states the rule that a write never goes back.
            ConditionExpression:
              '#revision = :expectedRevision AND (attribute_not_exists(lastReadingAt) OR lastReadingAt <= :readingAt)',
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

  async clearPendingNotification(
    deviceId: string,
    metric: string,
    timestamp: number,
    options?: { checkAt: number | undefined },
  ): Promise<void> {
    const removes = ['pendingNotification'];
    const sets = ['#revision = #revision + :one'];
    const values: Record<string, unknown> = { ':one': 1, ':timestamp': timestamp };
    if (options?.checkAt === undefined) {
      if (options) removes.push('checkAt', 'checkShard');
    } else {
      sets.push('checkAt = :checkAt', 'checkShard = :checkShard');
      values[':checkAt'] = options.checkAt;
      values[':checkShard'] = checkShardOf(deviceId, metric);
    }
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { deviceId, metric },
          // Bumping the revision makes a writer that read the pending notification evaluate again without it.
          UpdateExpression: `REMOVE ${removes.join(', ')} SET ${sets.join(', ')}`,
          ConditionExpression: 'pendingNotification.#timestamp = :timestamp',
          ExpressionAttributeNames: { '#revision': 'revision', '#timestamp': 'timestamp' },
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      // Already cleared by a redelivery, or replaced by a newer change: nothing of this change is pending.
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

  /**
   * One page of the state index (keys only, so a reading that changes no state writes nothing to it), then the alarms
   * themselves. The index is read eventually: an alarm that has left the state since is dropped from the page.
   */
  async listByState(state: AlarmState, page: { limit: number; nextToken?: string }): Promise<Page<Alarm>> {
    const start = page.nextToken ? decodePageToken(page.nextToken, byStatePosition(state)) : undefined;
    const answer = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: BY_STATE_INDEX,
        KeyConditionExpression: '#state = :state',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':state': AlarmStateSchema.parse(state) },
        ScanIndexForward: false,
        Limit: page.limit,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    const keys = (answer.Items ?? []).map((item) => ({ deviceId: item.deviceId, metric: item.metric }) as AlarmKey);
    const found = await this.batchGet(keys);
    const items = keys.flatMap((key) => {
      const alarm = found.get(`${key.deviceId}\n${key.metric}`);
      return alarm && alarm.state === state ? [alarm] : [];
    });
    return {
      items,
      ...(answer.LastEvaluatedKey ? { nextToken: encodePageToken(answer.LastEvaluatedKey) } : {}),
    };
  }

  /** Each check shard in turn, earliest `checkAt` first, up to `now`. */
  async *dueForCheck(now: number): AsyncIterable<AlarmKey[]> {
    for (let shard = 0; shard < CHECK_SHARDS; shard++) {
      const pages = paginateQuery(
        { client: this.client, pageSize: 100 },
        {
          TableName: this.tableName,
          IndexName: BY_CHECK_AT_INDEX,
          KeyConditionExpression: 'checkShard = :shard AND checkAt <= :now',
          ExpressionAttributeValues: { ':shard': shard, ':now': now },
        },
      );
      for await (const page of pages) {
        const keys = (page.Items ?? []).map((item) => ({ deviceId: item.deviceId, metric: item.metric }) as AlarmKey);
        if (keys.length > 0) yield keys;
      }
    }
  }

  private async batchGet(keys: AlarmKey[]): Promise<Map<string, Alarm>> {
    const found = new Map<string, Alarm>();
    let requested: Record<string, unknown>[] = keys.map(({ deviceId, metric }) => ({ deviceId, metric }));
    // BatchGetItem may leave keys unprocessed under load; ask again for those, with a short backoff.
    for (let attempt = 0; requested.length > 0; attempt++) {
      if (attempt > 8) throw new Error(`${requested.length} alarms stayed unprocessed by BatchGetItem`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
      const answer = await this.client.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: requested } } }),
      );
      for (const item of answer.Responses?.[this.tableName] ?? []) {
        const alarm = AlarmSchema.parse(item);
        found.set(`${alarm.deviceId}\n${alarm.metric}`, alarm);
      }
      requested = answer.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
    }
    return found;
  }
}
