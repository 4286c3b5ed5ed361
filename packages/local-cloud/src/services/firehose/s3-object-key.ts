import { randomUUID } from 'node:crypto';
import { formatTime } from '@iot/iot-sql';
import { AwsServiceError } from '../../edge/aws-service';

/**
 * The S3 object keys of Firehose deliveries: `<evaluated prefix><stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><ext>`.
 *
 * Prefixes may hold `!{timestamp:<Java DateTimeFormatter pattern>}`, `!{firehose:random-string}` and, in the error
 * prefix only, `!{firehose:error-output-type}`. Following the documented rules:
 * - no Prefix: `yyyy/MM/dd/HH/`; a Prefix without a timestamp expression gets `yyyy/MM/dd/HH/` appended as is
 *   (`raw` gives `raw2026/05/12/10/`: end a prefix with `/` to make it a folder);
 * - a Prefix with expressions needs an ErrorOutputPrefix, and an ErrorOutputPrefix with expressions needs
 *   `!{firehose:error-output-type}`;
 * - without ErrorOutputPrefix, failed records go under `<Prefix>processing-failed/yyyy/MM/dd/HH/`; a static
 *   ErrorOutputPrefix `E` (no expressions) is used the same way, as `E<error-output-type>/yyyy/MM/dd/HH/`.
 * Timestamps are those of the oldest record in the object, in UTC unless the destination names a CustomTimeZone.
 * Dynamic partitioning (`partitionKeyFromQuery`, `partitionKeyFromLambda`) is not emulated.
 */

const DEFAULT_TIME_PREFIX = '!{timestamp:yyyy/MM/dd/HH/}';
const EXPRESSION = /!\{([^}]*)\}/g;
const MAX_PREFIX_LENGTH = 1024;

const invalid = (message: string) => new AwsServiceError('InvalidArgumentException', message, 400);

type Token = { literal: string } | { letter: string; count: number };

/** Splits a Java DateTimeFormatter pattern into literals and runs of pattern letters. */
function tokenizePattern(pattern: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < pattern.length) {
    const char = pattern[index] as string;
    if (char === "'") {
      const end = pattern.indexOf("'", index + 1);
      if (end < 0) throw invalid(`Unterminated quote in the timestamp pattern "${pattern}"`);
      // '' is a quote; 'text' is text.
      tokens.push({ literal: end === index + 1 ? "'" : pattern.slice(index + 1, end) });
      index = end + 1;
    } else if (/[A-Za-z]/.test(char)) {
      let end = index;
      while (pattern[end] === char) end++;
      tokens.push({ letter: char, count: end - index });
      index = end;
    } else if ('[]{}#'.includes(char)) {
      throw invalid(`The timestamp pattern "${pattern}" uses "${char}", which the local cloud does not support`);
    } else {
      tokens.push({ literal: char });
      index++;
    }
  }
  return tokens;
}

const SUPPORTED_LETTERS = new Set(['y', 'u', 'M', 'd', 'H', 'h', 'm', 's', 'S', 'D', 'E', 'a']);

function validatePattern(pattern: string): void {
  for (const token of tokenizePattern(pattern)) {
    if ('letter' in token && !SUPPORTED_LETTERS.has(token.letter)) {
      throw invalid(
        `The timestamp pattern "${pattern}" uses "${token.letter}", which the local cloud does not support`,
      );
    }
  }
}

/** Formats a time with the subset of Java DateTimeFormatter that prefixes use (the IoT SQL engine's formatter). */
export function formatTimestamp(pattern: string, time: Date, timeZone = 'UTC'): string {
  validatePattern(pattern);
  const text = formatTime(pattern, time.getTime(), timeZone);
  if (text === undefined) throw invalid(`Cannot format the timestamp pattern "${pattern}" in time zone "${timeZone}"`);
  return text;
}

interface Expression {
  namespace: string;
  value: string;
}

function expressionsOf(prefix: string): Expression[] {
  return [...prefix.matchAll(EXPRESSION)].map((match) => {
    const body = match[1] as string;
    const colon = body.indexOf(':');
    return colon < 0
      ? { namespace: body, value: '' }
      : { namespace: body.slice(0, colon).trim(), value: body.slice(colon + 1) };
  });
}

function validateExpressions(prefix: string, field: 'Prefix' | 'ErrorOutputPrefix'): Expression[] {
  if (prefix.length > MAX_PREFIX_LENGTH) throw invalid(`${field} is longer than ${MAX_PREFIX_LENGTH} characters`);
  if (prefix.replace(EXPRESSION, '').includes('!{')) {
    throw invalid(`${field} "${prefix}" has a "!{" that does not start a complete !{namespace:value} expression`);
  }
  const expressions = expressionsOf(prefix);
  for (const { namespace, value } of expressions) {
    if (namespace === 'timestamp') validatePattern(value);
    else if (namespace === 'firehose') {
      if (value !== 'random-string' && value !== 'error-output-type') {
        throw invalid(
          `${field} uses !{firehose:${value}}; the firehose namespace has random-string and error-output-type`,
        );
      }
      if (value === 'error-output-type' && field === 'Prefix') {
        throw invalid('Prefix cannot contain !{firehose:error-output-type}; only ErrorOutputPrefix can');
      }
    } else if (namespace === 'partitionKeyFromQuery' || namespace === 'partitionKeyFromLambda') {
      throw invalid(`${field} uses ${namespace}: dynamic partitioning is not emulated by the local cloud`);
    } else {
      throw invalid(`${field} uses the unknown namespace "${namespace}"`);
    }
  }
  return expressions;
}

/** Checks a destination's prefixes against Firehose's rules, with AWS's error for each broken rule. */
export function validatePrefixes(prefix: string | undefined, errorOutputPrefix: string | undefined): void {
  const prefixExpressions = prefix ? validateExpressions(prefix, 'Prefix') : [];
  if (prefixExpressions.length > 0 && !errorOutputPrefix) {
    throw invalid(
      'The supplied prefix(es) do not satisfy the following constraint: ErrorOutputPrefix cannot be null or empty when Prefix contains expressions',
    );
  }
  if (errorOutputPrefix) {
    const errorExpressions = validateExpressions(errorOutputPrefix, 'ErrorOutputPrefix');
    if (
      errorExpressions.length > 0 &&
      !errorExpressions.some((e) => e.namespace === 'firehose' && e.value === 'error-output-type')
    ) {
      throw invalid(
        'The supplied prefix(es) do not satisfy the following constraint: ErrorOutputPrefix must contain !{firehose:error-output-type} when it contains expressions',
      );
    }
  }
}

/** The prefix template of delivered data, the documented defaults applied. */
export function dataPrefixTemplate(prefix: string | undefined): string {
  if (!prefix) return DEFAULT_TIME_PREFIX;
  return expressionsOf(prefix).some((e) => e.namespace === 'timestamp') ? prefix : `${prefix}${DEFAULT_TIME_PREFIX}`;
}

/** The prefix template of failed records, the documented defaults applied. */
export function errorPrefixTemplate(prefix: string | undefined, errorOutputPrefix: string | undefined): string {
  if (errorOutputPrefix && expressionsOf(errorOutputPrefix).length > 0) return errorOutputPrefix;
  return `${errorOutputPrefix || prefix || ''}!{firehose:error-output-type}/${DEFAULT_TIME_PREFIX}`;
}

/** Evaluates a prefix template; every timestamp expression evaluates the same instant. */
export function evaluatePrefix(
  template: string,
  time: Date,
  options: { timeZone?: string; errorOutputType?: string } = {},
): string {
  return template.replace(EXPRESSION, (_match, body: string) => {
    const colon = body.indexOf(':');
    const namespace = body.slice(0, colon).trim();
    const value = body.slice(colon + 1);
    if (namespace === 'timestamp') return formatTimestamp(value, time, options.timeZone);
    if (value === 'random-string') return randomUUID().slice(0, 11);
    return options.errorOutputType ?? '';
  });
}

/** `<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><extension>` */
export function objectNameSuffix(
  streamName: string,
  versionId: number,
  time: Date,
  options: { timeZone?: string; extension?: string } = {},
): string {
  const stamp = formatTimestamp('yyyy-MM-dd-HH-mm-ss', time, options.timeZone);
  return `${streamName}-${versionId}-${stamp}-${randomUUID()}${options.extension ?? ''}`;
}
