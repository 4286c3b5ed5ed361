import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { CommandResultPayload } from '@iot/types';
import type { CommandRecord, CommandStore, ResultOutcome } from '../domain/commands';
import { isConditionFailure } from './dynamodb-document-client';

/** The commands table: `deviceId` and `commandId` keys, `expiresAt` its time to live. */
export class DynamoDbCommandStore implements CommandStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(record: CommandRecord): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: record,
        ConditionExpression: 'attribute_not_exists(commandId)',
      }),
    );
  }

  async markSent(deviceId: string, commandId: string, sentAt: number): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { deviceId, commandId },
          UpdateExpression: 'SET #status = :sent, sentAt = :sentAt',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':sent': 'sent', ':pending': 'pending', ':sentAt': sentAt },
        }),
      );
    } catch (error) {
      // The device answered before this write: its answer stands.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async remove(deviceId: string, commandId: string): Promise<void> {
    await this.documents.send(new DeleteCommand({ TableName: this.tableName, Key: { deviceId, commandId } }));
  }

  async get(deviceId: string, commandId: string): Promise<CommandRecord | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { deviceId, commandId }, ConsistentRead: true }),
    );
    return Item as CommandRecord | undefined;
  }

  async recordResult(
    deviceId: string,
    commandId: string,
    { status, ...result }: CommandResultPayload,
    completedAt: number,
  ): Promise<ResultOutcome> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { deviceId, commandId },
          UpdateExpression: 'SET #status = :status, completedAt = :completedAt, #result = :result',
          ConditionExpression: 'attribute_exists(commandId) AND #status IN (:pending, :sent)',
          ExpressionAttributeNames: { '#status': 'status', '#result': 'result' },
          ExpressionAttributeValues: {
            ':status': status,
            ':completedAt': completedAt,
            ':result': result,
            ':pending': 'pending',
            ':sent': 'sent',
          },
        }),
      );
      return 'recorded';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return (await this.get(deviceId, commandId)) ? 'already-completed' : 'unknown-command';
    }
  }
}
