import { join } from 'node:path';
import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createTableFromServerlessYml } from './dynamodb';

/** The service that owns the devices table, and with it who owns which device. */
export const DEVICE_CONFIG_API_DIR = join(__dirname, '..', '..', '..', 'services', 'device-config-api');

/** Creates iot-device-config-api's devices table (keys and the `byOwner` index as deployed) under `tableName`. */
export function createDevicesTable(client: DynamoDBClient, tableName: string): Promise<void> {
  return createTableFromServerlessYml(client, DEVICE_CONFIG_API_DIR, 'DevicesTable', tableName);
}

/**
 * Records a device as registered to `ownerId`, as a registration through the REST API leaves it (`registered:
 * false` leaves it as a registration still under way, before its thing exists).
 */
export async function putDeviceOwner(
  client: DynamoDBClient,
  tableName: string,
  device: { deviceId: string; ownerId: string; registered?: boolean },
): Promise<void> {
  const { deviceId, ownerId, registered = true } = device;
  await client.send(
    new PutItemCommand({
      TableName: tableName,
      Item: {
        deviceId: { S: deviceId },
        ownerId: { S: ownerId },
        type: { S: 'sensor' },
        attributes: { M: {} },
        registeredAt: { N: '1767225600000' },
        ...(registered ? { thingArn: { S: `arn:aws:iot:us-east-1:000000000000:thing/${deviceId}` } } : {}),
      },
    }),
  );
}
