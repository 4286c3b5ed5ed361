import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { IdempotencyRecord, IdempotencyStore, StoredResponse } from '@iot/lambda-kit';
import { isConditionFailure } from './dynamodb-document-client';

/**
 * The idempotency keys table: `key` (the caller and their key), `expiresAt` its time to live. DynamoDB deletes
 * expired items within days, not at once, so a claim also takes over an item whose `expiresAt` has passed.
 */
export class DynamoDbIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(record: Extract<IdempotencyRecord, { status: 'IN_PROGRESS' }>, now: number) {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: record,
          ConditionExpression:
            'attribute_not_exists(#key) OR expiresAt < :nowSeconds OR (#status = :inProgress AND lockedUntil < :now)',
          ExpressionAttributeNames: { '#key': 'key', '#status': 'status' },
          ExpressionAttributeValues: {
            ':nowSeconds': Math.floor(now / 1000),
            ':inProgress': 'IN_PROGRESS',
            ':now': now,
          },
        }),
      );
      return { claimed: true as const };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { key: record.key }, ConsistentRead: true }),
    );
    return { claimed: false as const, ...(Item ? { existing: Item as IdempotencyRecord } : {}) };
  }

  async complete(key: string, fingerprint: string, response: StoredResponse, expiresAt: number): Promise<void> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { key, fingerprint, status: 'COMPLETED', response, expiresAt },
          ConditionExpression: 'fingerprint = :fingerprint',
          ExpressionAttributeValues: { ':fingerprint': fingerprint },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async release(key: string, fingerprint: string): Promise<void> {
    try {
      await this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { key },
          ConditionExpression: '#status = :inProgress AND fingerprint = :fingerprint',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inProgress': 'IN_PROGRESS', ':fingerprint': fingerprint },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}
