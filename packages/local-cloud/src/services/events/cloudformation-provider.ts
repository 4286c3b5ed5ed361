import type { ResourceProvider } from '../../cloudformation';
import type { EventScheduler } from './event-scheduler';

/** The CloudFormation types {@link eventsResourceProviders} creates. */
export const EVENTS_RESOURCE_TYPES = ['AWS::Events::Rule'] as const;

export type EventsResourceType = (typeof EVENTS_RESOURCE_TYPES)[number];

/**
 * Puts each AWS::Events::Rule of a template in the scheduler, under the name and ARN the interpreter expects, so its
 * schedule runs and its targets (resolved to function ARNs) are invoked. Idempotent, as the scheduler is: a restart
 * puts the same rules again and changes nothing. An expression or target EventBridge would refuse fails the deploy.
 */
export function eventsResourceProviders(scheduler: EventScheduler): Record<EventsResourceType, ResourceProvider> {
  return {
    'AWS::Events::Rule': {
      create: async (resource) => {
        const name = resource.name ?? resource.expected.name ?? resource.expected.physicalId;
        const arn = resource.expected.attributes.Arn;
        scheduler.putRule(name, resource.properties, {
          stackName: resource.stackName,
          ...(typeof arn === 'string' ? { arn } : {}),
        });
        return { physicalId: resource.expected.physicalId, attributes: resource.expected.attributes };
      },
    },
  };
}
