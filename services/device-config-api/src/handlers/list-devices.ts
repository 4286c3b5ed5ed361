import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { callerOf, createLogger, json, once, parseQuery } from '@iot/lambda-kit';
import { type DevicesPage, ListDevicesQuerySchema } from '@iot/types';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { DynamoDbDeviceStore } from '../adapters/dynamodb-device-store';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { IotDataDeviceShadow } from '../adapters/iot-data-device-shadow';
import { loadConfig } from '../config';
import { type DeviceStore, listDevices, type ShadowReader } from '../domain/devices';
import { type HttpDependencies, httpHandler } from './http';
import { decodeDevicesToken, encodeDevicesToken } from './paging';

const DEFAULT_PAGE_SIZE = 25;

export interface ListDevicesDependencies extends HttpDependencies {
  devices: DeviceStore;
  shadows: ShadowReader;
}

/** `GET /devices?limit&nextToken`: the caller's devices by device id, with connection state and shadow version. */
export function createListDevicesHandler(deps: ListDevicesDependencies) {
  return httpHandler(deps, async (event) => {
    const caller = callerOf(event);
    const query = parseQuery(ListDevicesQuerySchema, event);
    const startAfter = query.nextToken === undefined ? undefined : decodeDevicesToken(query.nextToken);
    const page = await listDevices(deps, caller, {
      limit: query.limit ?? DEFAULT_PAGE_SIZE,
      ...(startAfter ? { startAfter } : {}),
    });
    const body: DevicesPage = {
      items: page.items,
      ...(page.lastDeviceId ? { nextToken: encodeDevicesToken(page.lastDeviceId) } : {}),
    };
    return json(200, body);
  });
}

const built = once(() => {
  const config = loadConfig();
  return createListDevicesHandler({
    devices: new DynamoDbDeviceStore(createDocumentClient(), config.DEVICES_TABLE_NAME),
    shadows: new IotDataDeviceShadow(new IoTDataPlaneClient({})),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    corsOrigin: config.CORS_ALLOWED_ORIGIN,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
