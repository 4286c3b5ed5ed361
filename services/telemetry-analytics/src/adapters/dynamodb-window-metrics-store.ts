import { BatchWriteCommand, type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { FleetWindowMetric, WindowMetric } from '@iot/types';
import type { WindowMetricsStore } from '../domain/aggregate-window';
import type { WindowPartGroups, WindowPartsReader, WindowRange } from '../domain/query-window-metrics';
import type { WindowResults } from '../domain/window-parts';

const BATCH_SIZE = 25;
const MAX_ATTEMPTS = 8;
/** DynamoDB calls one page may take; a page cut short by it still ends on a whole window. */
const MAX_QUERIES_PER_PAGE = 8;
const MAX_QUERY_LIMIT = 1000;

/** The partition of the fleet's window parts: no device id can contain `#`. */
export const FLEET_PARTITION = '#fleet';

const windowStartKey = (windowStart: number) => String(windowStart).padStart(13, '0');

/** The key of a window and metric: window start (13 digits, so keys sort by time), then metric. */
export const windowGroupKey = (windowStart: number, metric: string) => `${windowStartKey(windowStart)}#${metric}`;

/** The sort key of one part of a window's metric: `<window start>#<metric>#<part>`. */
export const windowKey = (windowStart: number, metric: string, part: string) =>
  `${windowGroupKey(windowStart, metric)}#${part}`;

/** The window-and-metric prefix of a sort key (a metric name holds no `#`). */
const groupKeyOfWindowKey = (key: string) => key.split('#', 2).join('#');

type StoredItem = Record<string, unknown> & { windowKey: string };

/**
 * Window metrics in DynamoDB. A device's parts live under its id, the fleet's under `#fleet`, sorted by
 * `<window start>#<metric>#<part>`: a replayed part overwrites its own items; the parts of one window (from several
 * shards, or from a window that ended early) sit side by side and are merged on read. Items expire `retentionDays`
 * after their window ends (DynamoDB TTL on `expiresAt`).
 */
export class DynamoDbWindowMetricsStore implements WindowMetricsStore, WindowPartsReader {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  async putWindow(results: WindowResults): Promise<void> {
    const { part } = results;
    const expiresAt = (windowEnd: number) => Math.floor(windowEnd / 1000) + this.retentionDays * 86_400;
    const items = [
      ...results.devices.map((metric) => ({
        ...metric,
        part,
        windowKey: windowKey(metric.windowStart, metric.metric, part),
        expiresAt: expiresAt(metric.windowEnd),
      })),
      ...results.fleet.map((metric) => ({
        deviceId: FLEET_PARTITION,
        ...metric,
        part,
        windowKey: windowKey(metric.windowStart, metric.metric, part),
        expiresAt: expiresAt(metric.windowEnd),
      })),
    ];
    for (let i = 0; i < items.length; i += BATCH_SIZE) {
      let requests = items.slice(i, i + BATCH_SIZE).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 1; requests.length > 0; attempt++) {
        if (attempt > MAX_ATTEMPTS) throw new Error(`DynamoDB left ${requests.length} window metrics unprocessed`);
        const answer = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = (answer.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
        if (requests.length > 0) await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 25));
      }
    }
  }

  readDeviceParts(deviceId: string, range: WindowRange): Promise<WindowPartGroups<WindowMetric>> {
    return this.readGroups(deviceId, range, ({ windowKey: _key, expiresAt: _ttl, ...item }) => item as WindowMetric);
  }

  readFleetParts(range: WindowRange): Promise<WindowPartGroups<FleetWindowMetric>> {
    return this.readGroups(
      FLEET_PARTITION,
      range,
      ({ windowKey: _key, expiresAt: _ttl, deviceId: _partition, ...item }) => item as FleetWindowMetric,
    );
  }

  /**
   * Reads the parts of up to `limit` windows (window and metric), whole: a page never ends inside a window. The
   * resume point is a sort key bound: the start of the first window not returned, or, when the page used up its
   * queries without finding a window of the asked metric, past the last window read.
   */
  private async readGroups<T>(
    partition: string,
    range: WindowRange,
    toPart: (item: StoredItem) => T,
  ): Promise<WindowPartGroups<T>> {
    const lower = range.resumeAt ?? `${windowStartKey(range.from)}#`;
    const upper = `${windowStartKey(range.to)}#\uffff`;
    if (lower > upper) return { groups: [] };

    const groups: { key: string; parts: T[] }[] = [];
    let startKey: Record<string, unknown> | undefined;
    let limit = Math.min(range.limit + 1, MAX_QUERY_LIMIT);
    for (let query = 1; ; query++) {
      const answer = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'deviceId = :partition AND windowKey BETWEEN :lower AND :upper',
          ...(range.metric ? { FilterExpression: 'metric = :metric' } : {}),
          ExpressionAttributeValues: {
            ':partition': partition,
            ':lower': lower,
            ':upper': upper,
            ...(range.metric ? { ':metric': range.metric } : {}),
          },
          Limit: limit,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of (answer.Items ?? []) as StoredItem[]) {
        const key = groupKeyOfWindowKey(item.windowKey);
        const current = groups[groups.length - 1];
        if (current?.key === key) {
          current.parts.push(toPart(item));
          continue;
        }
        if (groups.length === range.limit) {
          // A window beyond the page has begun, so the page's last window is whole.
          return { groups: groups.map((g) => g.parts), resumeAt: `${key}#` };
        }
        groups.push({ key, parts: [toPart(item)] });
      }
      startKey = answer.LastEvaluatedKey;
      if (!startKey) return { groups: groups.map((g) => g.parts) };
      // Past the budget, a page ends before the last window read, which may go on beyond it; a page whose only
      // window is that one reads on until it is whole.
      if (query >= MAX_QUERIES_PER_PAGE && groups.length !== 1) {
        const last = groups.pop();
        const resumeAt = last ? `${last.key}#` : `${groupKeyOfWindowKey(String(startKey.windowKey))}#\uffff`;
        return { groups: groups.map((g) => g.parts), resumeAt };
      }
      limit = Math.min(limit * 2, MAX_QUERY_LIMIT);
    }
  }
}
