import type { ResourceProvider } from '../cloudformation';
import { isRecord, resourceName } from './template-values';

/**
 * A topic rule's payload in the shape of the IoT API (CreateTopicRule's `topicRulePayload`): `sql`,
 * `awsIotSqlVersion`, `ruleDisabled`, `actions` (`[{ lambda: { functionArn } }, { kinesis: {...} }, ...]`),
 * `errorAction`, `description`.
 */
export interface TopicRulePayload {
  sql: string;
  awsIotSqlVersion?: string;
  ruleDisabled?: boolean;
  description?: string;
  actions: Record<string, unknown>[];
  errorAction?: Record<string, unknown>;
  [other: string]: unknown;
}

/** Where deployed topic rules go: the local IoT rules engine, once it runs. */
export interface TopicRuleSink {
  /**
   * Creates or replaces the rule `ruleName` (a deployment runs again on every start: the same rule again must be a
   * no-op or a replace, never a duplicate). Rejecting fails the deployment of the stack.
   */
  putTopicRule(ruleName: string, payload: TopicRulePayload, options: { stackName: string }): void | Promise<void>;
}

/** A sink that only keeps the rules: what the local cloud uses until a rules engine is plugged in. */
export class RecordingTopicRuleSink implements TopicRuleSink {
  readonly rules = new Map<string, { payload: TopicRulePayload; stackName: string }>();

  putTopicRule(ruleName: string, payload: TopicRulePayload, options: { stackName: string }): void {
    this.rules.set(ruleName, { payload, stackName: options.stackName });
  }
}

/** Maps whose keys are the user's, not member names: kept as written. */
const USER_KEYED = new Set(['ClientProperties']);

const lowerFirst = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

function toApiShape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toApiShape);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [lowerFirst(key), USER_KEYED.has(key) ? inner : toApiShape(inner)]),
  );
}

/**
 * The API shape of an AWS::IoT::TopicRule's `TopicRulePayload`: CloudFormation writes the same members in
 * PascalCase (`Sql`, `Actions: [{ Lambda: { FunctionArn } }]`, `DynamoDBv2`, `ErrorAction`), the API in camelCase
 * (`sql`, `actions: [{ lambda: { functionArn } }]`, `dynamoDBv2`, `errorAction`). `RuleDisabled` becomes a boolean.
 */
export function topicRulePayloadFromTemplate(payload: unknown): TopicRulePayload {
  if (!isRecord(payload) || typeof payload.Sql !== 'string') {
    throw new Error('TopicRulePayload must be an object with an Sql statement');
  }
  const converted = toApiShape(payload) as TopicRulePayload;
  converted.actions = Array.isArray(converted.actions) ? converted.actions : [];
  if (converted.ruleDisabled !== undefined) {
    converted.ruleDisabled = converted.ruleDisabled === true || String(converted.ruleDisabled) === 'true';
  }
  return converted;
}

/** AWS::IoT::TopicRule: hands the rule, in the IoT API's shape, to the sink. */
export function iotTopicRuleProvider(sink: TopicRuleSink): ResourceProvider {
  return {
    create: async (resource) => {
      const payload = topicRulePayloadFromTemplate(resource.properties.TopicRulePayload);
      await sink.putTopicRule(resourceName(resource), payload, { stackName: resource.stackName });
      return { physicalId: resource.expected.physicalId, attributes: resource.expected.attributes };
    },
  };
}
