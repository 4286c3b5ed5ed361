import {
  CreateThingCommand,
  DeleteThingCommand,
  DetachThingPrincipalCommand,
  InvalidRequestException,
  type IoTClient,
  ListThingPrincipalsCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
} from '@aws-sdk/client-iot';
import type { DeviceAttributes } from '@iot/types';
import { ThingConflictError, type ThingRegistry } from '../domain/devices';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The AWS IoT registry through the control plane API. */
export class IotThingRegistry implements ThingRegistry {
  constructor(
    private readonly client: IoTClient,
    /** Pauses between DeleteThing attempts while detached principals let go (detaching is asynchronous). */
    private readonly deleteRetryDelaysMs: readonly number[] = [250, 500, 1000, 2000],
  ) {}

  async createThing(deviceId: string, thingTypeName: string, attributes: DeviceAttributes) {
    try {
      const answer = await this.client.send(
        new CreateThingCommand({ thingName: deviceId, thingTypeName, attributePayload: { attributes } }),
      );
      if (!answer.thingArn) throw new Error(`CreateThing of ${deviceId} answered no thingArn`);
      return { thingArn: answer.thingArn };
    } catch (error) {
      if (error instanceof ResourceAlreadyExistsException) throw new ThingConflictError(deviceId);
      throw error;
    }
  }

  async deleteThing(deviceId: string): Promise<void> {
    try {
      let nextToken: string | undefined;
      do {
        const page = await this.client.send(new ListThingPrincipalsCommand({ thingName: deviceId, nextToken }));
        for (const principal of page.principals ?? []) {
          await this.client.send(new DetachThingPrincipalCommand({ thingName: deviceId, principal }));
        }
        nextToken = page.nextToken;
      } while (nextToken);

      for (let attempt = 0; ; attempt++) {
        try {
          await this.client.send(new DeleteThingCommand({ thingName: deviceId }));
          return;
        } catch (error) {
          // "still attached to one or more principals" until the detachments have propagated.
          const delay = this.deleteRetryDelaysMs[attempt];
          if (!(error instanceof InvalidRequestException) || delay === undefined) throw error;
          await sleep(delay);
        }
      }
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return;
      throw error;
    }
  }
}
