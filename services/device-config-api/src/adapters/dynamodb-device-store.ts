import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DevicePresenceEvent } from '@iot/types';
import type { DeviceRecord, DeviceStore } from '../domain/devices';
import { isConditionFailure } from './dynamodb-document-client';

/** The index of the devices table by owner, sorted by device id (see serverless.yml). */
export const DEVICES_BY_OWNER_INDEX = 'byOwner';

/**
 * The devices table: one item per device id (`deviceId` key), `ownerId` indexed by `byOwner`. The connection state
 * comes from lifecycle events; `presenceAt` and `presenceVersion` keep a late event from overwriting a newer one.
 */
export class DynamoDbDeviceStore implements DeviceStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(record: DeviceRecord): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: record,
          ConditionExpression: 'attribute_not_exists(deviceId)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async completeRegistration(deviceId: string, ownerId: string, thingArn: string): Promise<void> {
    await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { deviceId },
        UpdateExpression: 'SET thingArn = :thingArn',
        ConditionExpression: 'ownerId = :ownerId',
        ExpressionAttributeValues: { ':thingArn': thingArn, ':ownerId': ownerId },
      }),
    );
  }

  async get(deviceId: string): Promise<DeviceRecord | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { deviceId }, ConsistentRead: true }),
    );
    return Item ? toRecord(Item) : undefined;
  }

  async listByOwner(ownerId: string, limit: number, startAfter?: string) {
    const { Items = [], LastEvaluatedKey } = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: DEVICES_BY_OWNER_INDEX,
        KeyConditionExpression: 'ownerId = :ownerId',
        ExpressionAttributeValues: { ':ownerId': ownerId },
        Limit: limit,
        ...(startAfter ? { ExclusiveStartKey: { ownerId, deviceId: startAfter } } : {}),
      }),
    );
    const lastDeviceId = typeof LastEvaluatedKey?.deviceId === 'string' ? LastEvaluatedKey.deviceId : undefined;
    return { items: Items.map(toRecord), ...(lastDeviceId ? { lastDeviceId } : {}) };
  }

  async remove(deviceId: string, ownerId: string): Promise<void> {
    try {
      await this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { deviceId },
          ConditionExpression: 'ownerId = :ownerId',
          ExpressionAttributeValues: { ':ownerId': ownerId },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async recordPresence(event: DevicePresenceEvent): Promise<boolean> {
    const version = event.versionNumber ?? 0;
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { deviceId: event.clientId },
          UpdateExpression: 'SET connectivity = :connectivity, presenceAt = :at, presenceVersion = :version',
          ConditionExpression:
            'attribute_exists(deviceId) AND (attribute_not_exists(presenceAt) OR presenceAt < :at OR ' +
            '(presenceAt = :at AND presenceVersion < :version))',
          ExpressionAttributeValues: {
            ':connectivity': {
              state: event.eventType,
              since: event.timestamp,
              versionNumber: version,
              ...(event.disconnectReason ? { disconnectReason: event.disconnectReason } : {}),
            },
            ':at': event.timestamp,
            ':version': version,
          },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
    await this.touch(event.clientId, event.timestamp);
    return true;
  }

  async touch(deviceId: string, at: number): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { deviceId },
          UpdateExpression: 'SET lastSeenAt = :at',
          ConditionExpression: 'attribute_exists(deviceId) AND (attribute_not_exists(lastSeenAt) OR lastSeenAt < :at)',
          ExpressionAttributeValues: { ':at': at },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}

function toRecord(item: Record<string, unknown>): DeviceRecord {
  const { presenceAt: _at, presenceVersion: _version, ...record } = item;
  return record as unknown as DeviceRecord;
}
