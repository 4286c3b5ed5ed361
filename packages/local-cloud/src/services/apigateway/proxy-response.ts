import { validateHeaderName, validateHeaderValue } from 'node:http';
import { firstAcceptedMediaType, isBinaryMediaType } from './media-types';

/** What a function behind an AWS_PROXY integration returns (REST API, payload format 1.0). */
export interface ApiGatewayProxyResult {
  statusCode?: number | string;
  headers?: Record<string, string | boolean> | null;
  multiValueHeaders?: Record<string, Array<string | boolean>> | null;
  body?: string | null;
  isBase64Encoded?: boolean | null;
}

export interface HttpResponse {
  statusCode: number;
  /** Header name (as the function wrote it) and its values; one entry per name, case-insensitively. */
  headers: Array<[string, string[]]>;
  body: Buffer;
}

export type ProxyResponseParse = { ok: true; response: HttpResponse } | { ok: false; reason: string };

const ALLOWED_KEYS = new Set(['statusCode', 'headers', 'multiValueHeaders', 'body', 'isBase64Encoded']);
/** Headers the gateway sets itself from the body it sends. */
const GATEWAY_OWNED = new Set(['content-length', 'transfer-encoding', 'connection']);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const headerValue = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'boolean' ? String(value) : undefined;

/**
 * Checks a function's result the way API Gateway does and turns it into the HTTP response. Every field is optional
 * (no statusCode means 200) but no other field is allowed, `statusCode` must be an integer (a numeric string will
 * do), header values strings or booleans, `body` a string: anything else is a "Malformed Lambda proxy response",
 * which the caller answers with 502. `headers` and `multiValueHeaders` merge, `multiValueHeaders` winning for a
 * header present in both. A body flagged `isBase64Encoded` is sent decoded only when the request's first Accept
 * media type is one of the API's binary media types; otherwise the client gets the base64 text, as from AWS.
 */
export function parseProxyResponse(
  payload: unknown,
  request: { accept?: string; binaryMediaTypes: readonly string[] },
): ProxyResponseParse {
  if (!isRecord(payload)) return { ok: false, reason: 'the function did not return a JSON object' };
  const unexpected = Object.keys(payload).filter((key) => !ALLOWED_KEYS.has(key));
  if (unexpected.length > 0) return { ok: false, reason: `unexpected fields: ${unexpected.join(', ')}` };

  const { statusCode = 200, headers, multiValueHeaders, body, isBase64Encoded } = payload;
  const status = typeof statusCode === 'string' && /^\s*\d+\s*$/.test(statusCode) ? Number(statusCode) : statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    return { ok: false, reason: `statusCode is not an HTTP status: ${JSON.stringify(statusCode)}` };
  }
  if (body !== undefined && body !== null && typeof body !== 'string') {
    return { ok: false, reason: `body is a ${Array.isArray(body) ? 'array' : typeof body}, not a string` };
  }
  if (isBase64Encoded !== undefined && isBase64Encoded !== null && typeof isBase64Encoded !== 'boolean') {
    return { ok: false, reason: 'isBase64Encoded is not a boolean' };
  }

  const merged = new Map<string, { name: string; values: string[] }>();
  if (multiValueHeaders !== undefined && multiValueHeaders !== null) {
    if (!isRecord(multiValueHeaders)) return { ok: false, reason: 'multiValueHeaders is not an object' };
    for (const [name, raw] of Object.entries(multiValueHeaders)) {
      const values = (Array.isArray(raw) ? raw : [raw]).map(headerValue);
      if (values.some((value) => value === undefined)) {
        return { ok: false, reason: `multiValueHeaders.${name} holds a value that is not a string` };
      }
      merged.set(name.toLowerCase(), { name, values: values as string[] });
    }
  }
  if (headers !== undefined && headers !== null) {
    if (!isRecord(headers)) return { ok: false, reason: 'headers is not an object' };
    for (const [name, raw] of Object.entries(headers)) {
      const value = headerValue(raw);
      if (value === undefined) return { ok: false, reason: `headers.${name} is not a string` };
      const existing = merged.get(name.toLowerCase());
      if (!existing) merged.set(name.toLowerCase(), { name, values: [value] });
    }
  }
  for (const owned of GATEWAY_OWNED) merged.delete(owned);
  for (const { name, values } of merged.values()) {
    try {
      validateHeaderName(name);
      for (const value of values) validateHeaderValue(name, value);
    } catch {
      return { ok: false, reason: `header ${JSON.stringify(name)} cannot be sent over HTTP` };
    }
  }
  if (!merged.has('content-type')) merged.set('content-type', { name: 'Content-Type', values: ['application/json'] });

  const text = body ?? '';
  const decode =
    isBase64Encoded === true && isBinaryMediaType(firstAcceptedMediaType(request.accept), request.binaryMediaTypes);
  return {
    ok: true,
    response: {
      statusCode: status,
      headers: [...merged.values()].map(({ name, values }) => [name, values]),
      body: Buffer.from(text, decode ? 'base64' : 'utf8'),
    },
  };
}
