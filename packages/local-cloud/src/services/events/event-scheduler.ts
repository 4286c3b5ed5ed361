import { randomUUID } from 'node:crypto';
import { type LambdaInvoker, parseArn, type QueueSender, type TopicPublisher } from '../../contracts';
import type { EventRuleProperties } from '../../providers/events-rule-provider';
import { nextFireTime, parseScheduleExpression, type ScheduleExpression } from './schedule-expression';
import { type ScheduledEvent, scheduledEvent } from './scheduled-event';

/** The clock and timers the scheduler runs on: the system's, or a test's. */
export interface SchedulerClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** `Date.now` and Node's timers, which do not keep the process alive. */
export const systemClock: SchedulerClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Where the scheduler reports runs and what it cannot do (fits the CloudFormation logger and console). */
export interface SchedulerLogger {
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
}

const silentInfo: SchedulerLogger = {
  info: () => {},
  warn: (message, details) => console.warn(message, details ?? ''),
};

/** A target of a rule, as AWS::Events::Rule and PutTargets name its members. */
export interface EventRuleTarget {
  Id: string;
  Arn: string;
  /** JSON text sent instead of the event. */
  Input?: string;
  /** A JSONPath (`$`, `$.detail`, `$.a.b`) into the event; the part it selects is sent. */
  InputPath?: string;
  InputTransformer?: unknown;
}

/** A rule as the scheduler holds it. */
export interface ScheduledRule {
  name: string;
  arn: string;
  state: 'ENABLED' | 'DISABLED';
  scheduleExpression?: string;
  /** Rules matching events on a bus are kept but never run: no events flow on a bus locally. */
  eventPattern?: unknown;
  targets: EventRuleTarget[];
  stackName?: string;
  /** When it next runs; absent for disabled, pattern-only and finished rules. */
  nextRunAt?: number;
}

/** What one run delivered to one target. */
export interface TargetDelivery {
  targetId: string;
  arn: string;
  ok: boolean;
  error?: string;
}

export interface EventSchedulerOptions {
  /** Lambda targets are invoked through it, asynchronously (`Event`): its retries and destinations apply. */
  invoker: LambdaInvoker;
  /** SQS targets, when given: the event is the message body. */
  queues?: QueueSender;
  /** SNS targets, when given: the event is the message. */
  topics?: TopicPublisher;
  clock?: SchedulerClock;
  logger?: SchedulerLogger;
  /** The region and account of rule ARNs built from a name (default: us-east-1, 000000000000). */
  region?: string;
  accountId?: string;
}

/** The properties of AWS::Events::Rule the scheduler reads (resolved). */
export type { EventRuleProperties };

/** A rule or target EventBridge would refuse. */
export class InvalidEventRuleError extends Error {
  constructor(ruleName: string, reason: string) {
    super(`Rule ${ruleName}: ${reason}`);
    this.name = 'InvalidEventRuleError';
  }
}

// setTimeout takes at most 2^31 - 1 ms (about 24.8 days); longer waits are taken in steps.
const MAX_TIMER_MS = 2_147_483_647;
const MAX_TARGETS = 5;

interface RuleEntry {
  rule: ScheduledRule;
  schedule?: ScheduleExpression;
  /** A rate's periods are counted from here: when the rule was first put with this expression. */
  anchor: number;
  timer?: unknown;
}

/** Selects the part of `event` a JSONPath names (`$`, `$.a`, `$.a.b`). */
function selectPath(event: unknown, path: string): unknown {
  if (path === '$') return event;
  let value: unknown = event;
  for (const key of path.slice(2).split('.')) {
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}

function parseTargets(ruleName: string, value: unknown): EventRuleTarget[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new InvalidEventRuleError(ruleName, 'Targets must be a list');
  if (value.length > MAX_TARGETS) throw new InvalidEventRuleError(ruleName, `at most ${MAX_TARGETS} targets`);
  const ids = new Set<string>();
  return value.map((target: Record<string, unknown>, index) => {
    const where = `Targets[${index}]`;
    if (typeof target?.Id !== 'string' || target.Id === '')
      throw new InvalidEventRuleError(ruleName, `${where}.Id is required`);
    if (typeof target.Arn !== 'string' || !target.Arn.startsWith('arn:')) {
      throw new InvalidEventRuleError(ruleName, `${where}.Arn must be an ARN`);
    }
    if (ids.has(target.Id)) throw new InvalidEventRuleError(ruleName, `${where}.Id ${target.Id} is not unique`);
    ids.add(target.Id);
    const inputs = ['Input', 'InputPath', 'InputTransformer'].filter((name) => target[name] !== undefined);
    if (inputs.length > 1) throw new InvalidEventRuleError(ruleName, `${where}: only one of ${inputs.join(', ')}`);
    if (target.Input !== undefined) {
      try {
        JSON.parse(String(target.Input));
      } catch {
        throw new InvalidEventRuleError(ruleName, `${where}.Input must be valid JSON`);
      }
    }
    if (target.InputPath !== undefined && !/^\$(\.[^.]+)*$/.test(String(target.InputPath))) {
      throw new InvalidEventRuleError(ruleName, `${where}.InputPath: only $ and $.a.b paths are supported locally`);
    }
    return target as unknown as EventRuleTarget;
  });
}

function parseState(ruleName: string, value: unknown): 'ENABLED' | 'DISABLED' {
  if (value === undefined || value === 'ENABLED' || value === 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS') {
    return 'ENABLED';
  }
  if (value === 'DISABLED') return 'DISABLED';
  throw new InvalidEventRuleError(ruleName, `State must be ENABLED or DISABLED, not ${JSON.stringify(value)}`);
}

/**
 * The local EventBridge scheduler: runs the schedules of AWS::Events::Rule resources (`rate(...)` and `cron(...)`,
 * UTC) and sends each run's scheduled event to the rule's targets: Lambda functions invoked asynchronously through the
 * `LambdaInvoker`, and SQS queues or SNS topics when those are given. Putting a rule again with the same properties
 * (each start of the local cloud does) changes nothing; a new schedule or state takes effect at once.
 */
export class EventScheduler {
  private readonly rules = new Map<string, RuleEntry>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly clock: SchedulerClock;
  private readonly logger: SchedulerLogger;
  private closed = false;

  constructor(private readonly options: EventSchedulerOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentInfo;
  }

  /**
   * Creates or replaces the rule `name` (PutRule with PutTargets). Throws `InvalidScheduleExpressionError` or
   * `InvalidEventRuleError` for what EventBridge would refuse, leaving any rule of that name as it was.
   */
  putRule(
    name: string,
    properties: EventRuleProperties,
    options: { arn?: string; stackName?: string } = {},
  ): ScheduledRule {
    if (this.closed) throw new Error('The event scheduler is closed');
    const expression = properties.ScheduleExpression;
    if (expression !== undefined && typeof expression !== 'string') {
      throw new InvalidEventRuleError(name, 'ScheduleExpression must be a string');
    }
    if (expression === undefined && properties.EventPattern === undefined) {
      throw new InvalidEventRuleError(name, 'ScheduleExpression or EventPattern must be given');
    }
    const schedule = expression === undefined ? undefined : parseScheduleExpression(expression);
    const state = parseState(name, properties.State);
    const targets = parseTargets(name, properties.Targets);
    for (const target of targets) this.checkTargetSupported(name, target);

    const region = this.options.region ?? 'us-east-1';
    const account = this.options.accountId ?? '000000000000';
    const rule: ScheduledRule = {
      name,
      arn: options.arn ?? `arn:aws:events:${region}:${account}:rule/${name}`,
      state,
      ...(expression === undefined ? {} : { scheduleExpression: expression }),
      ...(properties.EventPattern === undefined ? {} : { eventPattern: properties.EventPattern }),
      targets,
      ...(options.stackName === undefined ? {} : { stackName: options.stackName }),
    };

    const existing = this.rules.get(name);
    const unchangedTiming =
      existing !== undefined &&
      existing.rule.scheduleExpression === rule.scheduleExpression &&
      existing.rule.state === rule.state;
    if (existing && unchangedTiming) {
      // Same schedule: the timer and a rate's phase stay; targets and the rest are replaced.
      existing.rule = {
        ...rule,
        ...(existing.rule.nextRunAt === undefined ? {} : { nextRunAt: existing.rule.nextRunAt }),
      };
      return { ...existing.rule };
    }
    if (existing) this.cancel(existing);
    const entry: RuleEntry = { rule, ...(schedule ? { schedule } : {}), anchor: this.clock.now() };
    this.rules.set(name, entry);
    if (!schedule) {
      this.logger.info(`events: rule ${name} matches events on a bus, which do not flow locally; it never runs`, {
        rule: name,
      });
    }
    this.arm(entry, this.clock.now());
    return { ...entry.rule };
  }

  /** The `EventRuleSink` of the CloudFormation providers: `putRule` under the sink's name. */
  putEventRule(ruleName: string, properties: EventRuleProperties, options: { stackName: string; arn?: string }): void {
    this.putRule(ruleName, properties, options);
  }

  /** Deletes the rule; `false` if there is none of that name. */
  deleteRule(name: string): boolean {
    const entry = this.rules.get(name);
    if (!entry) return false;
    this.cancel(entry);
    this.rules.delete(name);
    return true;
  }

  describeRule(name: string): ScheduledRule | undefined {
    const entry = this.rules.get(name);
    return entry ? { ...entry.rule } : undefined;
  }

  listRules(): ScheduledRule[] {
    return [...this.rules.values()].map((entry) => ({ ...entry.rule }));
  }

  /**
   * Runs the rule now, whatever its schedule and state, as a scheduled run at `time` (default: now) would: its targets
   * get the scheduled event with that time. For tests and demos that cannot wait for the schedule.
   */
  async runRule(name: string, time: number = this.clock.now()): Promise<TargetDelivery[]> {
    const entry = this.rules.get(name);
    if (!entry) throw new Error(`No rule named ${name}`);
    return this.track(this.deliver(entry.rule, time));
  }

  /** Stops every schedule and waits for the deliveries under way. */
  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.rules.values()) this.cancel(entry);
    await Promise.allSettled([...this.inFlight]);
  }

  private checkTargetSupported(ruleName: string, target: EventRuleTarget): void {
    const service = parseArn(target.Arn).service;
    const reason =
      target.InputTransformer !== undefined
        ? 'InputTransformer is not supported locally'
        : service === 'lambda' ||
            (service === 'sqs' && this.options.queues) ||
            (service === 'sns' && this.options.topics)
          ? undefined
          : `${service} targets are not supported locally`;
    if (reason) {
      this.logger.warn(`events: rule ${ruleName}: target ${target.Id} (${target.Arn}) will get nothing: ${reason}`, {
        rule: ruleName,
        target: target.Id,
      });
    }
  }

  private cancel(entry: RuleEntry): void {
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    entry.timer = undefined;
    delete entry.rule.nextRunAt;
  }

  /** Sets the timer of the next run after `after`, if the rule has one. */
  private arm(entry: RuleEntry, after: number): void {
    if (this.closed || !entry.schedule || entry.rule.state !== 'ENABLED') return;
    const at = nextFireTime(entry.schedule, after, entry.anchor);
    if (at === undefined) {
      delete entry.rule.nextRunAt;
      return;
    }
    entry.rule.nextRunAt = at;
    this.wait(entry, at);
  }

  private wait(entry: RuleEntry, at: number): void {
    const delay = Math.min(Math.max(0, at - this.clock.now()), MAX_TIMER_MS);
    entry.timer = this.clock.setTimeout(() => {
      entry.timer = undefined;
      if (this.rules.get(entry.rule.name) !== entry || this.closed) return;
      // A wait longer than one timer allows wakes up early: wait on.
      if (this.clock.now() < at) {
        this.wait(entry, at);
        return;
      }
      // Runs missed while the process was asleep are not made up: one run, then the schedule resumes.
      this.arm(entry, Math.max(at, this.clock.now()));
      void this.track(this.deliver(entry.rule, at));
    }, delay);
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise)).catch(() => {});
    return promise;
  }

  /** Sends the event of the run at `time` to each target. */
  private async deliver(rule: ScheduledRule, time: number): Promise<TargetDelivery[]> {
    const { account, region } = parseArn(rule.arn);
    const event = scheduledEvent({ ruleArn: rule.arn, account, region, time, id: randomUUID() });
    return Promise.all(rule.targets.map((target) => this.deliverTo(rule, target, event)));
  }

  private async deliverTo(
    rule: ScheduledRule,
    target: EventRuleTarget,
    event: ScheduledEvent,
  ): Promise<TargetDelivery> {
    const payload =
      target.Input !== undefined
        ? JSON.parse(target.Input)
        : target.InputPath !== undefined
          ? selectPath(event, target.InputPath)
          : event;
    const delivery = { targetId: target.Id, arn: target.Arn };
    try {
      const service = parseArn(target.Arn).service;
      if (target.InputTransformer !== undefined) throw new Error('InputTransformer is not supported locally');
      if (service === 'lambda') {
        const result = await this.options.invoker.invoke(target.Arn, payload, 'Event');
        if (!result.ok) throw new Error(`${result.error.errorType}: ${result.error.errorMessage}`);
      } else if (service === 'sqs' && this.options.queues) {
        await this.options.queues.sendToQueue(target.Arn, JSON.stringify(payload));
      } else if (service === 'sns' && this.options.topics) {
        await this.options.topics.publishToTopic(target.Arn, JSON.stringify(payload));
      } else {
        throw new Error(`${service} targets are not supported locally`);
      }
      this.logger.info(`events: rule ${rule.name} ran ${target.Id} for ${event.time}`, {
        rule: rule.name,
        target: target.Id,
        time: event.time,
      });
      return { ...delivery, ok: true };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn(`events: rule ${rule.name} could not run ${target.Id} (${target.Arn}): ${message}`, {
        rule: rule.name,
        target: target.Id,
        time: event.time,
      });
      return { ...delivery, ok: false, error: message };
    }
  }
}
