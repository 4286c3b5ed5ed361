import { join } from 'node:path';
import { type CompiledRule, compileRule, SqlParseError, type SqlVersion } from '@iot/iot-sql';
import { DEFAULT_REGION, LOCAL_ACCOUNT_ID } from '../../edge/aws-service';
import { JsonSnapshotFile } from '../../persistence/json-snapshot-file';
import { type CompiledAction, compileAction, isSupportedAction } from './rule-actions';
import { InvalidTopicRuleError, SqlParseRuleError, TopicRuleExistsError, TopicRuleNotFoundError } from './rule-errors';

/**
 * A topic rule's payload in the IoT API's shape (CreateTopicRule's `topicRulePayload`; the local cloud converts the
 * CloudFormation `TopicRulePayload` to it): `sql`, `awsIotSqlVersion`, `ruleDisabled`, `description`, `actions`
 * (`[{ lambda: { functionArn } }, ...]`), `errorAction`.
 */
export interface TopicRulePayload {
  sql: string;
  awsIotSqlVersion?: string;
  ruleDisabled?: boolean;
  description?: string;
  actions?: Record<string, unknown>[];
  errorAction?: Record<string, unknown>;
  [other: string]: unknown;
}

/** Where a rule came from: a deployed template (with its stack) or the control plane API. */
export type TopicRuleSource = { type: 'template'; stackName: string } | { type: 'api' };

/** A rule as the registry keeps it: its payload, and what was compiled from it once. */
export interface TopicRule {
  readonly ruleName: string;
  readonly ruleArn: string;
  readonly payload: TopicRulePayload;
  readonly sqlVersion: SqlVersion;
  readonly disabled: boolean;
  /** Seconds since the epoch, as the API gives it. */
  readonly createdAt: number;
  readonly source: TopicRuleSource;
  readonly compiled: CompiledRule;
  readonly actions: readonly CompiledAction[];
  readonly errorAction: CompiledAction | undefined;
}

export interface TopicRuleRegistryOptions {
  region?: string;
  accountId?: string;
  /** Rules created through the API are kept in `<dataDir>/topic-rules.json`; deployed rules come from the templates. */
  dataDir?: string;
  /** Told about actions the local cloud cannot run. */
  logger?: { warn(message: string, ...details: unknown[]): void };
  /** The clock, in ms. */
  now?: () => number;
}

const RULE_NAME = /^[a-zA-Z0-9_]{1,128}$/;
const SQL_VERSIONS = new Set(['2015-10-08', '2016-03-23', 'beta']);
const MAX_ACTIONS = 10;

interface SavedRule {
  ruleName: string;
  payload: TopicRulePayload;
  createdAt: number;
}

/**
 * The topic rules of the local AWS IoT Core: the deployed ones (through {@link putTopicRule}, the local cloud's
 * `TopicRuleSink`) and those created through the control plane API, side by side. Each rule is compiled once when it
 * is created or replaced; invalid SQL is refused with the parser's message, which names the position.
 */
export class TopicRuleRegistry {
  private readonly rules = new Map<string, TopicRule>();
  private readonly listeners = new Set<(ruleName: string) => void>();
  private readonly region: string;
  private readonly accountId: string;
  private readonly now: () => number;
  private readonly snapshot: JsonSnapshotFile | undefined;

  constructor(private readonly options: TopicRuleRegistryOptions = {}) {
    this.region = options.region ?? DEFAULT_REGION;
    this.accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
    this.now = options.now ?? Date.now;
    if (options.dataDir) {
      this.snapshot = new JsonSnapshotFile(join(options.dataDir, 'topic-rules.json'), () => this.saved());
      const saved = (this.snapshot.load() as SavedRule[] | undefined) ?? [];
      for (const rule of saved) {
        try {
          this.rules.set(rule.ruleName, this.build(rule.ruleName, rule.payload, { type: 'api' }, rule.createdAt));
        } catch (error) {
          options.logger?.warn('A saved topic rule no longer compiles; it is left out', {
            ruleName: rule.ruleName,
            error: (error as Error).message,
          });
        }
      }
    }
  }

  /**
   * The local cloud's `TopicRuleSink`: creates or replaces a rule declared by a template (`AWS::IoT::TopicRule`).
   * Rejects for invalid SQL, so the deployment of the stack fails as it would in AWS.
   */
  async putTopicRule(ruleName: string, payload: TopicRulePayload, options: { stackName: string }): Promise<void> {
    const existing = this.rules.get(ruleName);
    const rule = this.build(ruleName, payload, { type: 'template', stackName: options.stackName }, existing?.createdAt);
    this.set(rule);
  }

  /** CreateTopicRule. */
  createTopicRule(ruleName: string, payload: TopicRulePayload): TopicRule {
    if (this.rules.has(ruleName)) throw new TopicRuleExistsError(ruleName);
    const rule = this.build(ruleName, payload, { type: 'api' });
    this.set(rule);
    return rule;
  }

  /** ReplaceTopicRule: a new payload for an existing rule. */
  replaceTopicRule(ruleName: string, payload: TopicRulePayload): TopicRule {
    const existing = this.require(ruleName);
    const rule = this.build(ruleName, payload, existing.source, existing.createdAt);
    this.set(rule);
    return rule;
  }

  getTopicRule(ruleName: string): TopicRule {
    return this.require(ruleName);
  }

  /** The rule, or undefined. */
  get(ruleName: string): TopicRule | undefined {
    return this.rules.get(ruleName);
  }

  /** Every rule, in name order, optionally only those with this FROM topic filter or this disabled state. */
  list(filter: { topic?: string; ruleDisabled?: boolean } = {}): TopicRule[] {
    return [...this.rules.values()]
      .filter((r) => filter.topic === undefined || r.compiled.topicFilter === filter.topic)
      .filter((r) => filter.ruleDisabled === undefined || r.disabled === filter.ruleDisabled)
      .sort((a, b) => a.ruleName.localeCompare(b.ruleName));
  }

  deleteTopicRule(ruleName: string): void {
    this.require(ruleName);
    this.rules.delete(ruleName);
    this.changed(ruleName);
  }

  enableTopicRule(ruleName: string): void {
    this.setDisabled(ruleName, false);
  }

  disableTopicRule(ruleName: string): void {
    this.setDisabled(ruleName, true);
  }

  /** Called with the rule's name whenever a rule is created, replaced, enabled, disabled or deleted. */
  onChange(listener: (ruleName: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Writes the API-created rules out to `dataDir`. */
  async flush(): Promise<void> {
    await this.snapshot?.flush();
  }

  ruleArn(ruleName: string): string {
    return `arn:aws:iot:${this.region}:${this.accountId}:rule/${ruleName}`;
  }

  private setDisabled(ruleName: string, disabled: boolean): void {
    const existing = this.require(ruleName);
    const payload = { ...existing.payload, ruleDisabled: disabled };
    this.set({ ...existing, payload, disabled });
  }

  private require(ruleName: string): TopicRule {
    const rule = this.rules.get(ruleName);
    if (!rule) throw new TopicRuleNotFoundError(ruleName);
    return rule;
  }

  private set(rule: TopicRule): void {
    this.rules.set(rule.ruleName, rule);
    this.changed(rule.ruleName);
  }

  private changed(ruleName: string): void {
    this.snapshot?.changed();
    for (const listener of this.listeners) listener(ruleName);
  }

  private saved(): SavedRule[] {
    return [...this.rules.values()]
      .filter((r) => r.source.type === 'api')
      .map((r) => ({ ruleName: r.ruleName, payload: r.payload, createdAt: r.createdAt }));
  }

  private build(ruleName: string, payload: TopicRulePayload, source: TopicRuleSource, createdAt?: number): TopicRule {
    if (!RULE_NAME.test(ruleName)) {
      throw new InvalidTopicRuleError(
        `1 validation error detected: Value '${ruleName}' at 'ruleName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9_]+$`,
      );
    }
    if (typeof payload?.sql !== 'string' || payload.sql.trim() === '') {
      throw new InvalidTopicRuleError('The topic rule payload requires sql');
    }
    const version = payload.awsIotSqlVersion ?? '2015-10-08';
    if (!SQL_VERSIONS.has(version)) {
      throw new InvalidTopicRuleError(`Unsupported awsIotSqlVersion ${version}: use 2015-10-08, 2016-03-23 or beta`);
    }
    let compiled: CompiledRule;
    try {
      compiled = compileRule(payload.sql, { sqlVersion: version });
    } catch (error) {
      if (error instanceof SqlParseError) throw new SqlParseRuleError(error.message);
      throw error;
    }
    const entries = payload.actions ?? [];
    if (!Array.isArray(entries) || entries.length > MAX_ACTIONS) {
      throw new InvalidTopicRuleError(`A rule has at most ${MAX_ACTIONS} actions`);
    }
    const actions = entries.map((entry) => this.compileAction(ruleName, entry, compiled.sqlVersion));
    const errorAction = payload.errorAction
      ? this.compileAction(ruleName, payload.errorAction, compiled.sqlVersion)
      : undefined;
    return {
      ruleName,
      ruleArn: this.ruleArn(ruleName),
      payload: { ...payload, awsIotSqlVersion: version, ruleDisabled: payload.ruleDisabled === true },
      sqlVersion: compiled.sqlVersion,
      disabled: payload.ruleDisabled === true,
      createdAt: createdAt ?? Math.floor(this.now() / 1000),
      source,
      compiled,
      actions,
      errorAction,
    };
  }

  private compileAction(ruleName: string, entry: Record<string, unknown>, sqlVersion: SqlVersion): CompiledAction {
    const action = compileAction(entry, sqlVersion);
    if (!isSupportedAction(action.type)) {
      this.options.logger?.warn('The local cloud cannot run this rule action; it will fail', {
        ruleName,
        action: action.type,
      });
    }
    return action;
  }
}
