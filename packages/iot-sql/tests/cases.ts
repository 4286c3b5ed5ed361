import { compileRule, type MessageContext, type SqlVersion, toJson } from '../src';

/** Context values shared by the table-driven cases, so results are reproducible. */
export const CONTEXT: Omit<MessageContext, 'topic' | 'payload'> = {
  clientId: 'client-1',
  principal: 'ba67293af50bf2506f5f93469686da660c7c844e7b3950bfb16813e0d31e9373',
  timestamp: 1481825251155,
  newUuid: () => '123a4567-b89c-12d3-e456-789012345000',
  accountId: '123456789012',
  traceId: '12345678-1234-1234-1234-123456789012',
  sourceIp: '192.0.2.10',
};

/** What a case expects: the output as JSON text (`''` for Undefined), the raw bytes, no match, or a parse error. */
export type Expectation = { json: string } | { bytes: string } | 'no-match' | { parseError: RegExp };

/** One row: a statement, its version, the message, and what AWS IoT gives for it. */
export interface RuleCase {
  /** The section of the AWS IoT SQL reference the behaviour comes from. */
  section: string;
  name: string;
  sql: string;
  version?: SqlVersion;
  topic?: string;
  payload?: string | Uint8Array;
  context?: Partial<MessageContext>;
  expect: Expectation;
}

/** Runs one case and returns what it observed, in the shape of an {@link Expectation}. */
export function runCase(c: RuleCase): Expectation | { error: string } {
  let rule: ReturnType<typeof compileRule>;
  try {
    rule = compileRule(c.sql, { sqlVersion: c.version ?? '2015-10-08' });
  } catch (error) {
    return { error: (error as Error).message };
  }
  const result = rule.evaluate({
    ...CONTEXT,
    ...c.context,
    topic: c.topic ?? 'topic/subtopic',
    payload: c.payload ?? '{}',
  });
  if (!result.matched) return 'no-match';
  if (result.output instanceof Uint8Array) return { bytes: Buffer.from(result.output).toString('utf8') };
  return { json: toJson(result.output) };
}

/** Asserts a case with Jest. */
export function expectCase(c: RuleCase): void {
  const observed = runCase(c);
  const expected = c.expect;
  if (typeof expected === 'object' && 'parseError' in expected) {
    expect(observed).toEqual({ error: expect.stringMatching(expected.parseError) });
  } else {
    expect(observed).toEqual(expected);
  }
}

/**
 * A case for one expression: `SELECT <expression> AS r`, expecting the JSON of `r` (`''` when Undefined).
 */
export function valueCase(
  section: string,
  expression: string,
  json: string,
  options: { version?: SqlVersion; payload?: string; topic?: string; context?: Partial<MessageContext> } = {},
): RuleCase {
  return {
    section,
    name: `${expression} = ${json === '' ? 'Undefined' : json} (${options.version ?? '2015-10-08'})`,
    sql: `SELECT ${expression} AS r FROM 'topic/#'`,
    version: options.version,
    payload: options.payload,
    topic: options.topic,
    context: options.context,
    expect: { json: json === '' ? '{}' : `{"r":${json}}` },
  };
}

export const V2: { version: SqlVersion } = { version: '2016-03-23' };
