import {
  ConflictException,
  DeleteThingShadowCommand,
  GetThingShadowCommand,
  type IoTDataPlaneClient,
  ResourceNotFoundException,
  UpdateThingShadowCommand,
} from '@aws-sdk/client-iot-data-plane';
import { type DeviceConfiguration, DeviceConfigurationSchema, ShadowStateSchema } from '@iot/types';
import * as z from 'zod';
import { type DeviceShadowPort, VersionConflictError } from '../domain/device-config';
import type { ShadowDocument, ShadowReader } from '../domain/devices';

// What the Device Shadow service answers to an update: the sections sent, the new version, epoch seconds.
const UpdateAcceptedSchema = z.object({
  state: z.object({ desired: DeviceConfigurationSchema.partial().passthrough().optional() }).optional(),
  version: z.number().int(),
  timestamp: z.number(),
});

// What GetThingShadow answers: the state sections, their metadata, the version, epoch seconds.
const ShadowDocumentSchema = z.object({
  state: z
    .object({
      desired: ShadowStateSchema.nullish(),
      reported: ShadowStateSchema.nullish(),
      delta: ShadowStateSchema.nullish(),
    })
    .optional(),
  metadata: z.object({ desired: ShadowStateSchema.nullish(), reported: ShadowStateSchema.nullish() }).optional(),
  version: z.number().int(),
  timestamp: z.number(),
});

/** The sections of a shadow document that are there (a section may be absent or `null`). */
function present<K extends string>(
  sections: Partial<Record<K, Record<string, unknown> | null | undefined>>,
): Partial<Record<K, Record<string, unknown>>> {
  return Object.fromEntries(Object.entries(sections).filter(([, value]) => value != null)) as Partial<
    Record<K, Record<string, unknown>>
  >;
}

/** The device shadow through the AWS IoT data plane (the classic shadow). */
export class IotDataDeviceShadow implements DeviceShadowPort, ShadowReader {
  constructor(private readonly client: IoTDataPlaneClient) {}

  async getShadow(deviceId: string): Promise<ShadowDocument | undefined> {
    try {
      const answer = await this.client.send(new GetThingShadowCommand({ thingName: deviceId }));
      const document = ShadowDocumentSchema.parse(JSON.parse(new TextDecoder().decode(answer.payload)));
      return {
        state: present({ ...document.state }),
        metadata: present({ ...document.metadata }),
        version: document.version,
        timestamp: document.timestamp * 1000,
      };
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }

  async deleteShadow(deviceId: string): Promise<void> {
    try {
      await this.client.send(new DeleteThingShadowCommand({ thingName: deviceId }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }

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
