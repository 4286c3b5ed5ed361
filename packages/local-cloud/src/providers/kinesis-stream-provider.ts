import type { ResourceProvider } from '../cloudformation';
import {
  type CreateStreamInput,
  createStreamInputFromTemplate,
  type KinesisStreamProperties,
} from '../services/kinesis';
import { asExpected, resourceName } from './template-values';

/** What the stream provider needs of the local Kinesis (`KinesisService`). */
export interface StreamService {
  ensureStream(input: CreateStreamInput): unknown;
}

/**
 * AWS::Kinesis::Stream in the local Kinesis: creates the stream, or keeps it and its records when it exists (its
 * shard count stays what it was: the local Kinesis does not reshard). Encryption needs no emulation.
 */
export function kinesisStreamProvider(kinesis: StreamService): ResourceProvider {
  return {
    create: async (resource) => {
      kinesis.ensureStream(
        createStreamInputFromTemplate(resourceName(resource), resource.properties as KinesisStreamProperties),
      );
      return asExpected(resource);
    },
  };
}
