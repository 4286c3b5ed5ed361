import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import {
  createLogger,
  HttpProblem,
  json,
  type Logger,
  once,
  parseJsonBody,
  parsePathParameters,
  problemDetails,
} from '@iot/lambda-kit';
import { DevicePathSchema, PutDeviceConfigRequestSchema } from '@iot/types';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { IotDataDeviceShadow } from '../adapters/iot-data-device-shadow';
import { loadConfig } from '../config';
import { changeDeviceConfiguration, type DeviceShadowPort, VersionConflictError } from '../domain/device-config';

export interface PutDeviceConfigDependencies {
  shadows: DeviceShadowPort;
  logger: Logger;
}

/** `If-Match: <version>` (quoted as an ETag or not); absent means "whatever the current version". */
function expectedVersionOf(event: APIGatewayProxyEvent): number | undefined {
  const header = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'if-match')?.[1];
  if (header === undefined) return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(header);
  if (!match) {
    throw new HttpProblem(
      400,
      'Bad Request',
      `If-Match: expected a shadow version number, got ${JSON.stringify(header)}`,
      [{ path: 'headers.If-Match', message: 'must be a shadow version number' }],
    );
  }
  return Number(match[1]);
}

/** `PUT /devices/{deviceId}/config`: validates the configuration and makes it the shadow's desired state. */
export function createPutDeviceConfigHandler({ shadows, logger }: PutDeviceConfigDependencies) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(
      problemDetails({
        logger,
        mapError: (error) =>
          error instanceof VersionConflictError
            ? new HttpProblem(412, 'Precondition Failed', error.message)
            : undefined,
      }),
    )
    .handler(async (event) => {
      const { deviceId } = parsePathParameters(DevicePathSchema, event);
      const expectedVersion = expectedVersionOf(event);
      const configuration = parseJsonBody(PutDeviceConfigRequestSchema, event);
      const result = await changeDeviceConfiguration(shadows, deviceId, configuration, expectedVersion);
      logger.info('configuration desired', { deviceId, version: result.version, fields: Object.keys(configuration) });
      return json(200, result, { etag: `"${result.version}"` });
    });
}

const built = once(() => {
  const config = loadConfig();
  return createPutDeviceConfigHandler({
    shadows: new IotDataDeviceShadow(new IoTDataPlaneClient({})),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
