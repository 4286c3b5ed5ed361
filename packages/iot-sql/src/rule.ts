import { randomUUID } from 'node:crypto';
import type { Statement } from './ast';
import { type CompileState, compileExpression, compileProjection } from './compile';
import type { Env, Evaluator, ExternalFunctionName, ExternalState } from './env';
import { SqlParseError } from './errors';
import { parseSql } from './parser';
import { type ParsedPayload, parsePayload } from './payload';
import { compileTopicMatcher, ruleTopic, topicFilterProblem } from './topic';
import type { SqlValue } from './values';

/** The SQL versions of AWS IoT rules. `2015-10-08` is the default when a rule names none. */
export type SqlVersion = '2015-10-08' | '2016-03-23';

/** Options of {@link compileRule}, {@link validateSql} and `compileTemplate`. */
export interface CompileOptions {
  /** The rule's `awsIotSqlVersion`; `beta` is read as 2016-03-23. Default `2015-10-08`. */
  sqlVersion?: SqlVersion | 'beta' | (string & {});
}

/** A message as a rule sees it. Every context value comes from the caller, so results are reproducible. */
export interface MessageContext {
  /** The topic the message was published on; a Basic Ingest prefix (`$aws/rules/<name>/`) is left out of `topic()`. */
  topic: string;
  /** The payload: bytes as received, or text. */
  payload: Uint8Array | string;
  /** `clientid()`; `n/a` when not given (a message not sent over MQTT). */
  clientId?: string;
  /** `principal()`. */
  principal?: string;
  /** `timestamp()` in epoch milliseconds; the time of evaluation when not given. */
  timestamp?: number;
  /** `newuuid()`: a fixed value or a source of values; random UUIDs when not given. */
  newUuid?: string | (() => string);
  /** `accountid()`. */
  accountId?: string;
  /** `traceid()`; Undefined when not given. */
  traceId?: string;
  /** `sourceip()`. */
  sourceIp?: string;
}

/** The rule engine's calls out to AWS services, supplied by the host. Each returns a JSON value or a promise of one. */
export interface ExternalHooks {
  /** `aws_lambda(functionArn, inputJson)`: invokes a function and returns the JSON it returned. */
  awsLambda?: (functionArn: string, input: SqlValue) => unknown;
  /** `get_thing_shadow(thingName[, shadowName], roleArn)`: the shadow document. */
  getThingShadow?: (thingName: string, shadowName: string | undefined, roleArn: string) => unknown;
  /** `get_dynamodb(tableName, partitionKeyName, partitionKeyValue[, sortKeyName, sortKeyValue], roleArn)`. */
  getDynamoDb?: (request: {
    tableName: string;
    partitionKeyName: string;
    partitionKeyValue: SqlValue;
    sortKeyName: string | undefined;
    sortKeyValue: SqlValue;
    roleArn: string;
  }) => unknown;
  /** `get_secret(secretId, secretType[, key], roleArn)`. */
  getSecret?: (secretId: string, secretType: string, key: string | undefined, roleArn: string) => unknown;
}

/** What evaluating a rule on a message gives. */
export type EvaluationResult =
  | { readonly matched: false }
  | {
      readonly matched: true;
      /**
       * The outgoing payload: a JSON value (Undefined when `SELECT VALUE` selects nothing), or the payload's bytes
       * for `SELECT *` on a non-JSON payload. It may share objects with the payload: treat it as read-only.
       * Serialize it with `serializeOutput`.
       */
      readonly output: SqlValue;
    };

/** A message prepared once for several rules and templates: its payload is parsed at most once per SQL version. */
export class PreparedMessage {
  readonly context: MessageContext;
  #v1: ParsedPayload | undefined;
  #v2: ParsedPayload | undefined;
  constructor(context: MessageContext) {
    this.context = context;
  }
  /** The payload as read by rules of SQL 2015-10-08 (`v1`) or 2016-03-23. */
  parsed(v1: boolean): ParsedPayload {
    if (v1) {
      this.#v1 ??= parsePayload(this.context.payload, true);
      return this.#v1;
    }
    this.#v2 ??= parsePayload(this.context.payload, false);
    return this.#v2;
  }
}

/** Prepares a message for several rules and templates, so that its payload is parsed once. */
export function prepareMessage(context: MessageContext): PreparedMessage {
  return new PreparedMessage(context);
}

/** A rule compiled once, evaluated on every message. */
export interface CompiledRule {
  /** The SQL text. */
  readonly sql: string;
  readonly sqlVersion: SqlVersion;
  /** The FROM topic filter; `undefined` for a rule only Basic Ingest invokes. */
  readonly topicFilter: string | undefined;
  /** The rule calls a host function (`aws_lambda`, `get_thing_shadow`, ...): use {@link CompiledRule.evaluateAsync}. */
  readonly isAsync: boolean;
  /** The syntax tree. */
  readonly ast: Statement;
  /** Whether a message published on `topic` triggers the rule through its FROM filter (MQTT matching). */
  matchesTopic(topic: string): boolean;
  /**
   * Evaluates the rule on a message: WHERE on the message, then SELECT. Never throws on payload data.
   * @throws {TypeError} when the rule {@link CompiledRule.isAsync | is asynchronous}.
   */
  evaluate(message: MessageContext | PreparedMessage): EvaluationResult;
  /**
   * Evaluates any rule, calling the host's hooks for `aws_lambda`, `get_thing_shadow`, `get_dynamodb` and
   * `get_secret`. A hook's rejection rejects the evaluation (the rule's error action in AWS).
   */
  evaluateAsync(
    message: (MessageContext & { hooks?: ExternalHooks }) | PreparedMessage,
    hooks?: ExternalHooks,
  ): Promise<EvaluationResult>;
}

const NO_MATCH: EvaluationResult = Object.freeze({ matched: false });
const NO_PAYLOAD: ParsedPayload = Object.freeze({ root: undefined, star: undefined });

/** Resolves a version option; throws {@link SqlParseError} for an unknown version. */
export function resolveSqlVersion(source: string, version: string | undefined): SqlVersion {
  if (version === undefined || version === '2015-10-08') return '2015-10-08';
  if (version === '2016-03-23' || version === 'beta') return '2016-03-23';
  throw new SqlParseError(source, 0, {
    message: `Unknown SQL version '${version}' (expected 2015-10-08, 2016-03-23 or beta)`,
  });
}

function constantUuid(uuid: string): () => string {
  return () => uuid;
}

/** Builds the environment of one evaluation. */
export function createEnv(
  context: MessageContext,
  parsed: ParsedPayload,
  v1: boolean,
  sqlVersion: SqlVersion,
  external: ExternalState | undefined,
): Env {
  return {
    v1,
    sqlVersion,
    star: parsed.star,
    raw: context.payload,
    topic: ruleTopic(context.topic),
    topicLevels: undefined,
    clientId: context.clientId,
    principal: context.principal,
    timestamp: context.timestamp ?? Date.now(),
    newUuid: typeof context.newUuid === 'string' ? constantUuid(context.newUuid) : (context.newUuid ?? randomUUID),
    accountId: context.accountId,
    traceId: context.traceId,
    sourceIp: context.sourceIp,
    external,
  };
}

/** Runs one pending host call and returns its result. */
export async function callHook(
  hooks: ExternalHooks | undefined,
  name: ExternalFunctionName,
  args: SqlValue[],
): Promise<SqlValue> {
  const str = (v: SqlValue) => (typeof v === 'string' ? v : undefined);
  const need = <T>(hook: T | undefined, hookName: string): T => {
    if (hook === undefined) throw new TypeError(`The rule calls ${name}() but no ${hookName} hook was given`);
    return hook;
  };
  switch (name) {
    case 'aws_lambda': {
      const arn = str(args[0]);
      return arn === undefined ? undefined : ((await need(hooks?.awsLambda, 'awsLambda')(arn, args[1])) as SqlValue);
    }
    case 'get_thing_shadow': {
      const thing = str(args[0]);
      const shadow = args.length === 3 ? str(args[1]) : undefined;
      const role = str(args[args.length - 1]);
      if (thing === undefined || role === undefined || (args.length === 3 && shadow === undefined)) return undefined;
      return (await need(hooks?.getThingShadow, 'getThingShadow')(thing, shadow, role)) as SqlValue;
    }
    case 'get_dynamodb': {
      if (args.length === 5) return undefined;
      const [tableName, partitionKeyName, partitionKeyValue] = args;
      const composite = args.length === 6;
      const sortKeyName = composite ? str(args[3]) : undefined;
      const roleArn = str(args[args.length - 1]);
      if (typeof tableName !== 'string' || typeof partitionKeyName !== 'string' || roleArn === undefined) {
        return undefined;
      }
      if (composite && sortKeyName === undefined) return undefined;
      return (await need(
        hooks?.getDynamoDb,
        'getDynamoDb',
      )({
        tableName,
        partitionKeyName,
        partitionKeyValue,
        sortKeyName,
        sortKeyValue: composite ? args[4] : undefined,
        roleArn,
      })) as SqlValue;
    }
    default: {
      const secretId = str(args[0]);
      const secretType = str(args[1]);
      const key = args.length === 4 ? str(args[2]) : undefined;
      const roleArn = str(args[args.length - 1]);
      if (secretId === undefined || secretType === undefined || roleArn === undefined) return undefined;
      return (await need(hooks?.getSecret, 'getSecret')(secretId, secretType, key, roleArn)) as SqlValue;
    }
  }
}

/** The most host calls one evaluation may make. */
const MAX_EXTERNAL_CALLS = 64;

/**
 * Runs an evaluation that may call host functions. Each pass evaluates synchronously; the first host call
 * without a result stops the pass's result from counting, is awaited, and the evaluation runs again with it.
 * Only a call whose arguments were computed from known values is ever made.
 */
export async function runWithHooks<T>(
  hooks: ExternalHooks | undefined,
  pass: (external: ExternalState) => T,
): Promise<T> {
  const state: ExternalState = { results: new Map(), pending: undefined };
  for (let calls = 0; ; calls++) {
    state.pending = undefined;
    const result = pass(state);
    const pending = state.pending as ExternalState['pending'];
    if (pending === undefined) return result;
    if (calls >= MAX_EXTERNAL_CALLS)
      throw new RangeError(`A rule may call at most ${MAX_EXTERNAL_CALLS} host functions`);
    state.results.set(pending.key, await callHook(hooks, pending.name, pending.args));
  }
}

/**
 * Compiles a rule's SQL statement once into a {@link CompiledRule}.
 * @throws {SqlParseError} for SQL that AWS IoT would reject.
 * @example
 * const rule = compileRule("SELECT temperature AS t FROM 'devices/+/telemetry' WHERE temperature > 50");
 * rule.evaluate({ topic: 'devices/d1/telemetry', payload: '{"temperature":70}' });
 * // { matched: true, output: { t: 70 } }
 */
export function compileRule(sql: string, options: CompileOptions = {}): CompiledRule {
  const sqlVersion = resolveSqlVersion(sql, options.sqlVersion);
  const ast = parseSql(sql);
  const v1 = sqlVersion === '2015-10-08';
  if (ast.topicFilter !== undefined) {
    const problem = topicFilterProblem(ast.topicFilter);
    if (problem !== undefined) {
      throw new SqlParseError(sql, sql.indexOf(`'${ast.topicFilter}'`), {
        message: `Invalid topic filter: ${problem}`,
      });
    }
  }
  const state: CompileState = {
    source: sql,
    v1,
    sqlVersion,
    usesPayload: false,
    usesExternal: false,
    externalSites: 0,
  };
  const where: Evaluator | undefined = ast.where ? compileExpression(ast.where, state) : undefined;
  const projection = compileProjection(ast, state, { nested: false });
  const usesPayload = state.usesPayload;
  const isAsync = state.usesExternal;
  const matcher = ast.topicFilter === undefined ? () => false : compileTopicMatcher(ast.topicFilter);

  const readMessage = (
    message: MessageContext | PreparedMessage,
  ): { context: MessageContext; parsed: ParsedPayload } => {
    if (message instanceof PreparedMessage) {
      return { context: message.context, parsed: usesPayload ? message.parsed(v1) : NO_PAYLOAD };
    }
    return { context: message, parsed: usesPayload ? parsePayload(message.payload, v1) : NO_PAYLOAD };
  };

  const run = (context: MessageContext, parsed: ParsedPayload, external: ExternalState | undefined) => {
    const env = createEnv(context, parsed, v1, sqlVersion, external);
    const root = parsed.root;
    if (where !== undefined && where(root, env) !== true) return NO_MATCH;
    if (external?.pending) return NO_MATCH;
    return { matched: true as const, output: projection(root, env) };
  };

  return {
    sql,
    sqlVersion,
    topicFilter: ast.topicFilter,
    isAsync,
    ast,
    matchesTopic: matcher,
    evaluate(message) {
      if (isAsync) throw new TypeError('This rule calls a host function: evaluate it with evaluateAsync()');
      const { context, parsed } = readMessage(message);
      return run(context, parsed, undefined);
    },
    async evaluateAsync(message, hooks) {
      const { context, parsed } = readMessage(message);
      if (!isAsync) return run(context, parsed, undefined);
      const given = hooks ?? (message instanceof PreparedMessage ? undefined : message.hooks);
      return runWithHooks(given, (external) => run(context, parsed, external));
    },
  };
}

/** The outcome of {@link validateSql}. */
export type ValidationResult =
  | {
      readonly ok: true;
      readonly topicFilter: string | undefined;
      readonly sqlVersion: SqlVersion;
      readonly isAsync: boolean;
    }
  | { readonly ok: false; readonly error: SqlParseError };

/**
 * Checks a rule's SQL as AWS IoT would when the rule is created (syntax, functions, argument counts,
 * version-specific constructs), without throwing.
 */
export function validateSql(sql: string, sqlVersion?: CompileOptions['sqlVersion']): ValidationResult {
  try {
    const rule = compileRule(sql, { sqlVersion });
    return { ok: true, topicFilter: rule.topicFilter, sqlVersion: rule.sqlVersion, isAsync: rule.isAsync };
  } catch (error) {
    if (error instanceof SqlParseError) return { ok: false, error };
    throw error;
  }
}
