/**
 * The local AWS IoT rules engine: the topic rule registry (deployed rules through the local cloud's
 * `TopicRuleSink`, and rules created through the control plane), and the engine that runs them on every publish.
 *
 * @packageDocumentation
 */
export {
  type ActionContext,
  type CompiledAction,
  compileAction,
  isSupportedAction,
  queueArnFromUrl,
  type RuleActionTargets,
  toAttributeValue,
} from './rule-actions';
export {
  InvalidTopicRuleError,
  SqlParseRuleError,
  TopicRuleError,
  TopicRuleExistsError,
  TopicRuleNotFoundError,
} from './rule-errors';
export { type RuleErrorPayload, type RuleStats, RulesEngine, type RulesEngineOptions } from './rules-engine';
export {
  type TopicRule,
  type TopicRulePayload,
  TopicRuleRegistry,
  type TopicRuleRegistryOptions,
  type TopicRuleSource,
} from './topic-rule-registry';
