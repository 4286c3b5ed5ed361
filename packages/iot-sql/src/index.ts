/**
 * @iot/iot-sql: the AWS IoT SQL rule language, parsed once and evaluated on every message.
 *
 * @example
 * import { compileRule, compileTemplate, serializeOutput } from '@iot/iot-sql';
 * const rule = compileRule("SELECT *, topic(2) AS deviceId FROM 'devices/+/telemetry' WHERE temperature > 50", {
 *   sqlVersion: '2016-03-23',
 * });
 * const result = rule.evaluate({ topic: 'devices/d1/telemetry', payload: '{"temperature":70}' });
 * if (result.matched) publish(compileTemplate('alerts/${topic(2)}')(message), serializeOutput(result.output));
 */
export type { BinaryOperator, Expression, Query, SelectItem, Statement } from './ast';
export { type SourcePosition, SqlParseError } from './errors';
export { MAX_EXPRESSION_DEPTH, parseSql } from './parser';
export {
  type CompiledRule,
  type CompileOptions,
  compileRule,
  type EvaluationResult,
  type ExternalHooks,
  type MessageContext,
  PreparedMessage,
  prepareMessage,
  type SqlVersion,
  type ValidationResult,
  validateSql,
} from './rule';
export { type CompiledTemplate, compileTemplate } from './template';
export { formatTime } from './time';
export { type BasicIngestTopic, parseBasicIngestTopic, topicMatchesFilter } from './topic';
export { type SqlValue, serializeOutput, toJson, WholeDecimal } from './values';
