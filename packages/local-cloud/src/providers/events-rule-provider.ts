import type { ResourceProvider } from '../cloudformation';
import { resourceName } from './template-values';

/**
 * An EventBridge rule as AWS::Events::Rule declares it (the member names of PutRule and PutTargets):
 * `ScheduleExpression`, `EventPattern`, `State`, `Targets: [{ Id, Arn, Input, ... }]`.
 */
export type EventRuleProperties = Record<string, unknown>;

/** Where deployed EventBridge rules go: a scheduler, once one runs. */
export interface EventRuleSink {
  /** Creates or replaces the rule `ruleName`; deploying again must not duplicate it. */
  putEventRule(ruleName: string, properties: EventRuleProperties, options: { stackName: string }): void | Promise<void>;
}

/** A sink that only keeps the rules: schedules do not run locally yet. */
export class RecordingEventRuleSink implements EventRuleSink {
  readonly rules = new Map<string, { properties: EventRuleProperties; stackName: string }>();

  putEventRule(ruleName: string, properties: EventRuleProperties, options: { stackName: string }): void {
    this.rules.set(ruleName, { properties, stackName: options.stackName });
  }
}

/** AWS::Events::Rule: hands the rule to the sink. */
export function eventsRuleProvider(sink: EventRuleSink): ResourceProvider {
  return {
    create: async (resource) => {
      await sink.putEventRule(resourceName(resource), resource.properties, { stackName: resource.stackName });
      return { physicalId: resource.expected.physicalId, attributes: resource.expected.attributes };
    },
  };
}
