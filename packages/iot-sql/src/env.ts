import type { SqlValue } from './values';

/** The names of the functions whose work the host does (possibly asynchronously). */
export type ExternalFunctionName = 'aws_lambda' | 'get_thing_shadow' | 'get_dynamodb' | 'get_secret';

/** State of the external calls of one asynchronous evaluation (see `rule.ts`). */
export interface ExternalState {
  /** Results already obtained, by call site and arguments. */
  readonly results: Map<string, SqlValue>;
  /** The first call of this pass that has no result yet. */
  pending: { key: string; name: ExternalFunctionName; args: SqlValue[] } | undefined;
}

/** Everything an evaluation reads besides the current document. One per evaluation. */
export interface Env {
  /** SQL version 2015-10-08 (whole decimals stay Decimal). */
  readonly v1: boolean;
  readonly sqlVersion: string;
  /** The value of `*` at the top level: the payload object, or its bytes when it is not a JSON object. */
  readonly star: SqlValue;
  /** The payload as received. */
  readonly raw: Uint8Array | string;
  /** The topic, without the Basic Ingest prefix. */
  readonly topic: string;
  topicLevels: string[] | undefined;
  readonly clientId: string | undefined;
  readonly principal: string | undefined;
  readonly timestamp: number;
  readonly newUuid: () => string;
  readonly accountId: string | undefined;
  readonly traceId: string | undefined;
  readonly sourceIp: string | undefined;
  readonly external: ExternalState | undefined;
}

/** A compiled expression: reads the current document (`root`) and the evaluation's environment. */
export type Evaluator = (root: SqlValue, env: Env) => SqlValue;
