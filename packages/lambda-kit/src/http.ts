import { describeIssues, type FieldIssue, type ProblemDetails } from '@iot/types';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type * as z from 'zod';
import type { Logger } from './logger';

/**
 * An error the caller may see: answered as RFC 9457 problem details with its status. Anything else a handler
 * throws becomes a plain 500 that tells nothing of the internals.
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldIssue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
    this.name = 'HttpProblem';
  }
}

/** A 400 naming each failing field of the request. */
export function badRequest(where: string, error: z.ZodError): HttpProblem {
  const errors = describeIssues(error).map((issue) => ({
    path: issue.path ? `${where}.${issue.path}` : where,
    message: issue.message,
  }));
  const detail = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
  return new HttpProblem(400, 'Bad Request', detail, errors);
}

const PROBLEM_TYPES: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  412: 'precondition-failed',
  413: 'content-too-large',
  415: 'unsupported-media-type',
  422: 'unprocessable-content',
  429: 'too-many-requests',
  500: 'internal-server-error',
  502: 'bad-gateway',
  503: 'service-unavailable',
};

function problemResponse(problem: HttpProblem, instance?: string): APIGatewayProxyResult {
  const body: ProblemDetails = {
    type: `https://iot-backend.dev/problems/${PROBLEM_TYPES[problem.status] ?? 'error'}`,
    title: problem.title,
    status: problem.status,
    ...(problem.detail ? { detail: problem.detail } : {}),
    ...(instance ? { instance } : {}),
    ...(problem.errors ? { errors: problem.errors } : {}),
  };
  return {
    statusCode: problem.status,
    headers: { 'content-type': 'application/problem+json', ...problem.headers },
    body: JSON.stringify(body),
  };
}

/** A JSON answer. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** A request header by name, whatever its case; `undefined` when absent. */
export function headerOf(event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === wanted)?.[1] ?? undefined;
}

export interface JsonBodyOptions {
  /** A body of more bytes (UTF-8) is refused with a 413 before it is parsed. */
  maxBytes?: number;
}

/** The JSON body of a request, validated with a schema; a 400 names what is wrong. */
export function parseJsonBody<Schema extends z.ZodType>(
  schema: Schema,
  event: APIGatewayProxyEvent,
  options: JsonBodyOptions = {},
): z.infer<Schema> {
  const contentType = headerOf(event, 'content-type');
  if (contentType && !/^application\/([a-z.+-]*\+)?json\b/i.test(contentType)) {
    throw new HttpProblem(415, 'Unsupported Media Type', `expected application/json, got ${contentType}`);
  }
  if (!event.body) throw new HttpProblem(400, 'Bad Request', 'body: a JSON body is required');
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (options.maxBytes !== undefined && bytes.length > options.maxBytes) {
    throw new HttpProblem(
      413,
      'Content Too Large',
      `body: ${bytes.length} bytes is more than the ${options.maxBytes} this route accepts`,
    );
  }
  const text = bytes.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HttpProblem(400, 'Bad Request', `body: not valid JSON (${(error as Error).message})`);
  }
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest('body', result.error);
  return result.data;
}

/** Path parameters validated with a schema. */
export function parsePathParameters<Schema extends z.ZodType>(
  schema: Schema,
  event: APIGatewayProxyEvent,
): z.infer<Schema> {
  const result = schema.safeParse(event.pathParameters ?? {});
  if (!result.success) throw badRequest('path', result.error);
  return result.data;
}

/** Query string parameters validated with a schema. */
export function parseQuery<Schema extends z.ZodType>(schema: Schema, event: APIGatewayProxyEvent): z.infer<Schema> {
  const result = schema.safeParse(event.queryStringParameters ?? {});
  if (!result.success) throw badRequest('query', result.error);
  return result.data;
}

export interface ProblemDetailsOptions {
  logger: Logger;
  /** Maps a service's domain errors to what the caller sees; `undefined` leaves the error a 500. */
  mapError?: (error: unknown) => HttpProblem | undefined;
}

const THROTTLING_ERRORS = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'RequestThrottledException',
]);

/** Whether an AWS SDK error says the caller is being throttled (the request may be retried later). */
export function isThrottlingError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const sdk = error as Error & { $metadata?: { httpStatusCode?: number }; $retryable?: { throttling?: boolean } };
  return (
    THROTTLING_ERRORS.has(error.name) || sdk.$retryable?.throttling === true || sdk.$metadata?.httpStatusCode === 429
  );
}

/**
 * Middy middleware answering every failure as problem details: an `HttpProblem` (or a domain error that `mapError`
 * maps) as it is, an AWS throttling error as a 429 with `Retry-After`, anything else as a 500 whose details stay in
 * the log.
 */
export function problemDetails(
  options: ProblemDetailsOptions,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: async (request) => {
      const error = request.error;
      const mapped =
        error instanceof HttpProblem
          ? error
          : (options.mapError?.(error) ??
            (isThrottlingError(error)
              ? new HttpProblem(429, 'Too Many Requests', 'Too many requests; retry shortly.', undefined, {
                  'retry-after': '1',
                })
              : undefined));
      const instance = request.event?.requestContext?.requestId;
      if (mapped) {
        if (mapped.status >= 500) options.logger.error('request failed', { error: error as Error });
        request.response = problemResponse(mapped, instance);
        return;
      }
      options.logger.error('unhandled error', { error: error as Error });
      request.response = problemResponse(
        new HttpProblem(500, 'Internal Server Error', 'The request could not be completed.'),
        instance,
      );
    },
  };
}
