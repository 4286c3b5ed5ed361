import type { ResourceProvider } from '../cloudformation';
import type { CreateDeliveryStreamInput } from '../services/firehose';
import { asExpected, resourceName } from './template-values';

/** What the delivery stream provider needs of the local Firehose (`FirehoseService`). */
export interface DeliveryStreamService {
  ensureDeliveryStream(input: CreateDeliveryStreamInput, options?: { region?: string }): Promise<unknown>;
}

/**
 * The CreateDeliveryStream input of an AWS::KinesisFirehose::DeliveryStream: the template's properties carry the
 * API's member names; the encryption setting is left out (nothing to emulate).
 */
export function deliveryStreamInput(name: string, properties: Record<string, unknown>): CreateDeliveryStreamInput {
  const { DeliveryStreamEncryptionConfigurationInput: _encryption, DeliveryStreamName: _name, ...rest } = properties;
  return { DeliveryStreamName: name, ...rest };
}

/**
 * AWS::KinesisFirehose::DeliveryStream in the local Firehose: creates the stream, or brings a kept one to the
 * template's configuration (a changed one takes effect for new records, as UpdateDestination does). A source or
 * destination the local Firehose does not emulate fails the deployment, naming it.
 */
export function firehoseDeliveryStreamProvider(firehose: DeliveryStreamService): ResourceProvider {
  return {
    create: async (resource) => {
      await firehose.ensureDeliveryStream(deliveryStreamInput(resourceName(resource), resource.properties), {
        region: resource.region,
      });
      return asExpected(resource);
    },
  };
}
