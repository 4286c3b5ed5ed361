import { randomUUID } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  type ExternalHooks,
  type PreparedMessage,
  parseBasicIngestTopic,
  prepareMessage,
  type SqlValue,
  serializeOutput,
  toJson,
} from '@iot/iot-sql';
import { DEFAULT_REGION, LOCAL_ACCOUNT_ID } from '../../edge/aws-service';
import type { PublishedMessage, PublishObserver } from '../contracts';
import type { ActionContext, CompiledAction, RuleActionTargets } from './rule-actions';
import { toAttributeValue } from './rule-actions';
import type { TopicRule, TopicRuleRegistry } from './topic-rule-registry';

/** What the error action receives (developer guide, "Error handling (error action)"). */
export interface RuleErrorPayload {
  ruleName: string;
  topic: string;
  cloudwatchTraceId: string;
  clientId?: string;
  base64OriginalPayload: string;
  failures: { failedAction: string; failedResource: string; errorMessage: string }[];
}

/** Counters of one rule, for health and debugging. */
export interface RuleStats {
  /** Messages whose topic matched the rule (or that were sent to it through Basic Ingest). */
  messages: number;
  /** Messages for which WHERE held and the actions ran. */
  matched: number;
  /** Messages for which at least one action failed. */
  failed: number;
  /** Failed actions, counted one by one. */
  actionFailures: number;
  errorActions: number;
  errorActionFailures: number;
  /** Evaluations that threw (a host function such as aws_lambda failed). */
  evaluationErrors: number;
  lastError?: { at: number; message: string };
}

export interface RulesEngineOptions {
  registry: TopicRuleRegistry;
  targets: RuleActionTargets;
  region?: string;
  accountId?: string;
  /** For `get_thing_shadow()` in rules: the Device Shadow service's current document of a thing. */
  getThingShadow?: (thingName: string, shadowName: string | undefined) => unknown;
  logger?: { warn(message: string, ...details: unknown[]): void; error(message: string, ...details: unknown[]): void };
}

/** A SQL value as plain JSON (whole decimals become numbers). */
function plain(value: SqlValue): unknown {
  return value === undefined ? undefined : JSON.parse(toJson(value));
}

/** JSON text of a DynamoDB item, unmarshalled (for `get_dynamodb()`). */
function fromAttributeValue(value: Record<string, unknown>): unknown {
  const [type, inner] = Object.entries(value)[0] ?? [];
  switch (type) {
    case 'S':
      return inner;
    case 'N':
      return Number(inner);
    case 'BOOL':
      return inner;
    case 'NULL':
      return null;
    case 'L':
      return (inner as Record<string, unknown>[]).map(fromAttributeValue);
    case 'M':
      return Object.fromEntries(
        Object.entries(inner as Record<string, Record<string, unknown>>).map(([k, v]) => [k, fromAttributeValue(v)]),
      );
    case 'SS':
    case 'NS':
      return type === 'NS' ? (inner as string[]).map(Number) : inner;
    default:
      return inner === undefined ? undefined : Buffer.from(inner as Uint8Array).toString('base64');
  }
}

/**
 * The AWS IoT rules engine: a {@link PublishObserver} of the broker. For each accepted publish it finds the enabled
 * rules whose FROM filter matches (for a Basic Ingest topic, only the rule it names), evaluates them on one prepared
 * message, and runs every action of a matching rule with the SELECT result, concurrently. When actions fail, the
 * rule's error action gets one message naming each failure. Rules run independently: no message waits for another.
 */
export class RulesEngine implements PublishObserver {
  private readonly region: string;
  private readonly accountId: string;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly counters = new Map<string, RuleStats>();
  private readonly hooks: ExternalHooks;
  /** The enabled rules with a FROM filter, rebuilt when the registry changes rather than on every publish. */
  private enabledRules: TopicRule[] | undefined;

  constructor(private readonly options: RulesEngineOptions) {
    this.region = options.region ?? DEFAULT_REGION;
    this.accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
    options.registry.onChange((ruleName) => {
      this.enabledRules = undefined;
      if (!options.registry.get(ruleName)) this.counters.delete(ruleName);
    });
    this.hooks = this.externalHooks();
  }

  onPublish(message: PublishedMessage): void {
    const rules = this.rulesFor(message.topic);
    if (rules.length === 0) return;
    const prepared = prepareMessage({
      topic: message.topic,
      payload: message.payload,
      clientId: message.clientId,
      principal: message.principal,
      timestamp: message.receivedAt,
      accountId: this.accountId,
    });
    for (const rule of rules) this.track(this.runRule(rule, prepared, message));
  }

  /** Resolves once every rule run started so far (actions and error actions included) has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Counters per rule name, for the rules that have seen a message. */
  stats(): Record<string, RuleStats> {
    return Object.fromEntries([...this.counters].map(([name, stats]) => [name, { ...stats }]));
  }

  private rulesFor(topic: string): TopicRule[] {
    const registry = this.options.registry;
    const basicIngest = parseBasicIngestTopic(topic);
    if (basicIngest) {
      const rule = registry.get(basicIngest.ruleName);
      if (!rule || rule.disabled) {
        this.options.logger?.warn('RuleNotFound: a Basic Ingest message names no enabled rule', {
          topic,
          ruleName: basicIngest.ruleName,
        });
        return [];
      }
      return [rule];
    }
    this.enabledRules ??= registry.list().filter((r) => !r.disabled && r.compiled.topicFilter !== undefined);
    const matching: TopicRule[] = [];
    for (const rule of this.enabledRules) if (rule.compiled.matchesTopic(topic)) matching.push(rule);
    return matching;
  }

  private track(run: Promise<void>): void {
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  private statsOf(ruleName: string): RuleStats {
    let stats = this.counters.get(ruleName);
    if (!stats) {
      stats = {
        messages: 0,
        matched: 0,
        failed: 0,
        actionFailures: 0,
        errorActions: 0,
        errorActionFailures: 0,
        evaluationErrors: 0,
      };
      this.counters.set(ruleName, stats);
    }
    return stats;
  }

  private async runRule(rule: TopicRule, prepared: PreparedMessage, message: PublishedMessage): Promise<void> {
    const stats = this.statsOf(rule.ruleName);
    stats.messages++;
    let output: SqlValue;
    try {
      const result = rule.compiled.isAsync
        ? await rule.compiled.evaluateAsync(prepared, this.hooks)
        : rule.compiled.evaluate(prepared);
      if (!result.matched) return;
      output = result.output;
    } catch (error) {
      stats.evaluationErrors++;
      stats.lastError = { at: Date.now(), message: (error as Error).message };
      this.options.logger?.error('A topic rule could not be evaluated', {
        ruleName: rule.ruleName,
        topic: message.topic,
        error: (error as Error).message,
      });
      return;
    }
    stats.matched++;
    if (output === undefined || rule.actions.length === 0) return;

    const context = this.actionContext(message, prepared, output);
    const results = await Promise.all(rule.actions.map((action) => this.runAction(action, context)));
    const failures = results.filter((f): f is RuleErrorPayload['failures'][number] => f !== undefined);
    if (failures.length === 0) return;

    stats.failed++;
    stats.actionFailures += failures.length;
    stats.lastError = { at: Date.now(), message: failures.map((f) => f.errorMessage).join('; ') };
    const errorAction = rule.errorAction;
    if (!errorAction) {
      this.options.logger?.warn('Topic rule actions failed and the rule has no error action', {
        ruleName: rule.ruleName,
        failures,
      });
      return;
    }
    const payload: RuleErrorPayload = {
      ruleName: rule.ruleName,
      topic: message.topic,
      cloudwatchTraceId: randomUUID(),
      ...(message.clientId !== undefined ? { clientId: message.clientId } : {}),
      base64OriginalPayload: message.payload.toString('base64'),
      failures,
    };
    stats.errorActions++;
    // The error action's templates read the original message; it sends the error payload.
    const errorContext = this.actionContext(message, prepared, payload as unknown as SqlValue);
    const failure = await this.runAction(errorAction, errorContext);
    if (failure) {
      stats.errorActionFailures++;
      this.options.logger?.error('The error action of a topic rule failed too', {
        ruleName: rule.ruleName,
        failures,
        errorActionFailure: failure,
      });
    }
  }

  private actionContext(message: PublishedMessage, prepared: PreparedMessage, output: SqlValue): ActionContext {
    let serialized: string | Uint8Array | undefined;
    let bytes: Buffer | undefined;
    const serialize = () => {
      serialized ??= serializeOutput(output);
      return serialized;
    };
    return {
      message,
      prepared,
      output,
      serialized: serialize,
      bytes: () => {
        if (!bytes) {
          const text = serialize();
          bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.from(text);
        }
        return bytes;
      },
      region: this.region,
      accountId: this.accountId,
    };
  }

  private async runAction(
    action: CompiledAction,
    context: ActionContext,
  ): Promise<RuleErrorPayload['failures'][number] | undefined> {
    try {
      await action.run(context, this.options.targets);
      return undefined;
    } catch (error) {
      let resource: string;
      try {
        resource = action.resource(context);
      } catch {
        resource = action.type;
      }
      return {
        failedAction: action.name,
        failedResource: resource,
        errorMessage: `Failed to run the ${action.type} action. The error received was ${(error as Error).message}. Message arrived on: ${context.message.topic}, Action: ${action.type}, Resource: ${resource}`,
      };
    }
  }

  private externalHooks(): ExternalHooks {
    const { targets, getThingShadow } = this.options;
    return {
      awsLambda: async (functionArn, input) => {
        if (!targets.lambda) throw new Error('The local cloud has no Lambda service for aws_lambda()');
        const result = await targets.lambda.invoke(functionArn, plain(input), 'RequestResponse');
        if (!result.ok) throw new Error(`${result.error.errorType}: ${result.error.errorMessage}`);
        return result.payload;
      },
      getThingShadow: async (thingName, shadowName) => {
        if (!getThingShadow) throw new Error('The local cloud has no Device Shadow service for get_thing_shadow()');
        return getThingShadow(thingName, shadowName);
      },
      getDynamoDb: async (request) => {
        if (!targets.dynamodb) throw new Error('The local cloud has no DynamoDB service for get_dynamodb()');
        const key: Record<string, ReturnType<typeof toAttributeValue>> = {
          [request.partitionKeyName]: toAttributeValue(plain(request.partitionKeyValue)),
        };
        if (request.sortKeyName) key[request.sortKeyName] = toAttributeValue(plain(request.sortKeyValue));
        const answer = (await targets.dynamodb.send(
          new GetItemCommand({ TableName: request.tableName, Key: key }),
        )) as {
          Item?: Record<string, Record<string, unknown>>;
        };
        return answer.Item ? fromAttributeValue({ M: answer.Item }) : undefined;
      },
    };
  }
}
