import { ConflictException, type IoTDataPlaneClient, UpdateThingShadowCommand } from '@aws-sdk/client-iot-data-plane';
import { type DeviceConfiguration, DeviceConfigurationSchema } from '@iot/types';
import { z } from 'zod';
import { type DeviceShadowPort, VersionConflictError } from '../domain/device-config';

// What the Device Shadow service answers to an update: the sections sent, the new version, epoch seconds.
const UpdateAcceptedSchema = z.object({
  state: z.object({ desired: DeviceConfigurationSchema.partial().passthrough().optional() }).optional(),
  version: z.number().int(),
  timestamp: z.number(),
});

/** The device shadow through the AWS IoT data plane (UpdateThingShadow on the classic shadow). */
export class IotDataDeviceShadow implements DeviceShadowPort {
  constructor(private readonly client: IoTDataPlaneClient) {}

  async updateDesired(deviceId: string, desired: DeviceConfiguration, expectedVersion?: number) {
    const request = { state: { desired }, ...(expectedVersion === undefined ? {} : { version: expectedVersion }) };
    try {
      const answer = await this.client.send(
        new UpdateThingShadowCommand({
          thingName: deviceId,
          payload: new TextEncoder().encode(JSON.stringify(request)),
        }),
      );
      const accepted = UpdateAcceptedSchema.parse(JSON.parse(new TextDecoder().decode(answer.payload)));
      return {
        version: accepted.version,
        updatedAt: accepted.timestamp * 1000,
        desired: (accepted.state?.desired ?? desired) as DeviceConfiguration,
      };
    } catch (error) {
      if (error instanceof ConflictException && expectedVersion !== undefined) {
        throw new VersionConflictError(deviceId, expectedVersion);
      }
      throw error;
    }
  }
}
