import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { summarizeIssues, type ThresholdRule, ThresholdRuleSetSchema } from '@iot/types';
import * as z from 'zod';
import type { ThresholdStore } from '../domain/thresholds';

// One item per device (key: the device id) plus one for the fleet defaults (key: FLEET_THRESHOLDS_KEY).
const ThresholdItemSchema = z.object({ deviceId: z.string(), rules: ThresholdRuleSetSchema });

/** A stored rule set no longer passes validation (written by hand, or by an older version of the rules). */
export class InvalidStoredThresholdsError extends Error {
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super(`The thresholds stored under ${JSON.stringify(key)} are invalid: ${detail}`);
    this.name = 'InvalidStoredThresholdsError';
  }
}

export interface DynamoDbThresholdStoreOptions {
  /** Read the latest write (the HTTP API, which answers right after a change); evaluation reads eventually. */
  consistentRead?: boolean;
}

/** Threshold rules in the thresholds table. */
export class DynamoDbThresholdStore implements ThresholdStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: DynamoDbThresholdStoreOptions = {},
  ) {}

  async getRules(keys: readonly string[]): Promise<Map<string, ThresholdRule[]>> {
    const unique = [...new Set(keys)];
    const items = await Promise.all(
      unique.map((key) =>
        this.client.send(
          new GetCommand({
            TableName: this.tableName,
            Key: { deviceId: key },
            ConsistentRead: this.options.consistentRead ?? false,
          }),
        ),
      ),
    );
    const found = new Map<string, ThresholdRule[]>();
    items.forEach(({ Item }, index) => {
      const key = unique[index] as string;
      if (!Item) return;
      const parsed = ThresholdItemSchema.safeParse(Item);
      if (!parsed.success) throw new InvalidStoredThresholdsError(key, summarizeIssues(parsed.error));
      found.set(key, parsed.data.rules);
    });
    return found;
  }

  async putRules(key: string, rules: ThresholdRule[], updatedAt: number): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { deviceId: key, rules, updatedAt } }));
  }

  async deleteRules(key: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { deviceId: key } }));
  }
}
