import {
  CreateThingCommand,
  DeleteCertificateCommand,
  DeleteConflictException,
  DeleteThingCommand,
  DetachThingPrincipalCommand,
  InvalidRequestException,
  type IoTClient,
  ListThingPrincipalsCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import type { DeviceAttributes } from '@iot/types';
import { ThingConflictError, type ThingRegistry } from '../domain/devices';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The certificate id of a certificate ARN (`arn:aws:iot:<region>:<account>:cert/<id>`); undefined for other principals. */
const certificateIdOf = (principal: string) => /:cert\/([0-9a-f]{64})$/.exec(principal)?.[1];

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

  /** Detaches the thing's principals, deletes the thing, then deactivates and deletes its certificates. */
  async deleteThing(deviceId: string): Promise<void> {
    const certificates: string[] = [];
    try {
      let nextToken: string | undefined;
      do {
        const page = await this.client.send(new ListThingPrincipalsCommand({ thingName: deviceId, nextToken }));
        for (const principal of page.principals ?? []) {
          await this.client.send(new DetachThingPrincipalCommand({ thingName: deviceId, principal }));
          const certificateId = certificateIdOf(principal);
          if (certificateId) certificates.push(certificateId);
        }
        nextToken = page.nextToken;
      } while (nextToken);

      // "still attached to one or more principals" until the detachments have propagated.
      await this.retrying(InvalidRequestException, () =>
        this.client.send(new DeleteThingCommand({ thingName: deviceId })),
      );
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    for (const certificateId of certificates) {
      try {
        await this.client.send(new UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' }));
        // Refused while the detachment from the thing has not propagated.
        await this.retrying(DeleteConflictException, () =>
          this.client.send(new DeleteCertificateCommand({ certificateId, forceDelete: true })),
        );
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }
    }
  }

  private async retrying(retryOn: abstract new (...args: never[]) => Error, call: () => Promise<unknown>) {
    for (let attempt = 0; ; attempt++) {
      try {
        await call();
        return;
      } catch (error) {
        const delay = this.deleteRetryDelaysMs[attempt];
        if (!(error instanceof retryOn) || delay === undefined) throw error;
        await sleep(delay);
      }
    }
  }
}
