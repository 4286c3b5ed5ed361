import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DeviceOwners, DeviceOwnership } from './device-ownership';
import { type DeviceRouteDependencies, type HttpRouteConfig, httpRouteDependencies } from './route';

/** The index of the devices table by owner (`ownerId`, `deviceId`). */
export const DEVICES_BY_OWNER_INDEX = 'byOwner';

/**
 * The owners of devices, read from iot-device-config-api's devices table (its outputs `DevicesTableName` and
 * `DevicesTableArn`). A check is one strongly consistent `GetItem` of two attributes (one read request unit): a
 * device deleted and registered again by someone else changes hands at once, which a cache would delay.
 */
export class DynamoDbDeviceOwners implements DeviceOwners {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async ownershipOf(deviceId: string): Promise<DeviceOwnership | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { deviceId },
        ProjectionExpression: 'ownerId, thingArn',
        ConsistentRead: true,
      }),
    );
    if (!Item || typeof Item.ownerId !== 'string') return undefined;
    return { ownerId: Item.ownerId, registered: typeof Item.thingArn === 'string' };
  }

  async devicesOf(ownerId: string): Promise<Set<string>> {
    const devices = new Set<string>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: DEVICES_BY_OWNER_INDEX,
          KeyConditionExpression: 'ownerId = :owner',
          ExpressionAttributeValues: { ':owner': ownerId },
          ProjectionExpression: 'deviceId, thingArn',
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        if (typeof item.deviceId === 'string' && typeof item.thingArn === 'string') devices.add(item.deviceId);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return devices;
  }
}

/** The environment of a function serving routes under `/devices/{deviceId}`. */
export interface DeviceRouteConfig extends HttpRouteConfig {
  /** iot-device-config-api's devices table: who owns which device. */
  DEVICES_TABLE_NAME: string;
}

/**
 * The dependencies of a device route (see `deviceRoute`) from its function's configuration: the service's logger, its
 * CORS origin, and the owners of devices read from the devices table through `documents`.
 */
export function deviceRouteDependencies(
  documents: DynamoDBDocumentClient,
  config: DeviceRouteConfig,
): DeviceRouteDependencies & { owners: DynamoDbDeviceOwners } {
  return { ...httpRouteDependencies(config), owners: new DynamoDbDeviceOwners(documents, config.DEVICES_TABLE_NAME) };
}
