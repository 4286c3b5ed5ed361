import type { ResourceProviders, ResourceToCreate } from '../../src/cloudformation';
import { RESOURCE_TYPES } from '../../src/cloudformation';

/**
 * Providers for every supported type that create nothing and record each call, answering with the expected names
 * (or what `answer` returns for a type).
 */
export function recordingProviders(
  answer: Record<
    string,
    (resource: ResourceToCreate) => { physicalId: string; attributes?: Record<string, unknown> }
  > = {},
) {
  const calls: ResourceToCreate[] = [];
  const providers: ResourceProviders = Object.fromEntries(
    Object.keys(RESOURCE_TYPES).map((type) => [
      type,
      {
        create: async (resource: ResourceToCreate) => {
          calls.push(resource);
          return answer[type]?.(resource) ?? { physicalId: resource.expected.physicalId };
        },
      },
    ]),
  );
  return { providers, calls };
}

/** A logger that keeps what it is told. */
export function memoryLogger() {
  const warnings: string[] = [];
  const infos: string[] = [];
  return {
    warnings,
    infos,
    logger: {
      info: (message: string) => void infos.push(message),
      warn: (message: string) => void warnings.push(message),
    },
  };
}
