import type { ResourceProvider } from '../cloudformation';
import type { EventSourceMappingProperties } from '../event-sources';
import { number } from './template-values';

/** What the mapping provider needs of the event source mappings (`EventSourceMappingManager`). */
export interface MappingService {
  createEventSourceMapping(props: EventSourceMappingProperties, options?: { uuid?: string }): Promise<unknown>;
}

/**
 * Shorter waits than the templates declare, for tests and demos: a template's tumbling window of 60 s and batching
 * window of 5 s make a local round trip take more than a minute. A value only ever shortens what the template says.
 */
export interface EventSourceTiming {
  /** Caps `TumblingWindowInSeconds` of the mappings that have one. */
  tumblingWindowSeconds?: number;
  /** Caps `MaximumBatchingWindowInSeconds`. */
  maximumBatchingWindowSeconds?: number;
}

/** The mapping's properties with the local timing applied. */
export function withLocalTiming(
  properties: EventSourceMappingProperties,
  timing: EventSourceTiming = {},
): EventSourceMappingProperties {
  const result = { ...properties };
  const cap = (declared: unknown, limit: number | undefined) => {
    const value = number(declared);
    return limit === undefined || value === undefined || value <= limit ? undefined : limit;
  };
  const window = cap(properties.TumblingWindowInSeconds, timing.tumblingWindowSeconds);
  if (window !== undefined) result.TumblingWindowInSeconds = window;
  const batching = cap(properties.MaximumBatchingWindowInSeconds, timing.maximumBatchingWindowSeconds);
  if (batching !== undefined) result.MaximumBatchingWindowInSeconds = batching;
  return result;
}

/**
 * AWS::Lambda::EventSourceMapping: a Kinesis or SQS poller under the id the interpreter gave the resource, so a
 * restart finds the mapping's checkpoints (and tumbling window state) and resumes after the last record processed.
 */
export function eventSourceMappingProvider(mappings: MappingService, timing?: EventSourceTiming): ResourceProvider {
  return {
    create: async (resource) => {
      await mappings.createEventSourceMapping(
        withLocalTiming(resource.properties as unknown as EventSourceMappingProperties, timing),
        { uuid: resource.expected.physicalId },
      );
      return { physicalId: resource.expected.physicalId, attributes: resource.expected.attributes };
    },
  };
}
