import { createHash } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { HttpProblem, headerOf } from './http';

/*
 * `Idempotency-Key` as the IETF draft describes it (draft-ietf-httpapi-idempotency-key-header): a client sends a
 * unique key with a POST; the server acts on the first request with that key and answers every retry with the
 * same answer, for as long as it keeps the key (24 hours here). A key reused with a different request is refused
 * with 422 Unprocessable Content; a retry that arrives while the first request is still being processed gets
 * 409 Conflict. Keys are scoped to the caller, so two users' keys never collide.
 */

/** An answer kept for replay. */
export interface StoredResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export type IdempotencyRecord =
  | {
      key: string;
      fingerprint: string;
      status: 'IN_PROGRESS';
      /** Milliseconds: past this the first request is taken to have died, and a retry may act. */
      lockedUntil: number;
      /** Seconds since the epoch (a DynamoDB time to live). */
      expiresAt: number;
    }
  | { key: string; fingerprint: string; status: 'COMPLETED'; response: StoredResponse; expiresAt: number };

/** Where keys are kept. */
export interface IdempotencyStore {
  /**
   * Records the key as in progress, unless a live record already holds it (one not expired, and if in progress, not
   * past its lock). Answers that record when it cannot; `existing` is undefined if it vanished in between.
   */
  claim(
    record: Extract<IdempotencyRecord, { status: 'IN_PROGRESS' }>,
    now: number,
  ): Promise<{ claimed: true } | { claimed: false; existing?: IdempotencyRecord }>;
  /** Keeps the answer of the request that holds the key. */
  complete(key: string, fingerprint: string, response: StoredResponse, expiresAt: number): Promise<void>;
  /** Lets the key go: the request failed without acting, and may be retried with the same key. */
  release(key: string, fingerprint: string): Promise<void>;
}

export interface IdempotencyOptions {
  store: IdempotencyStore;
  /** How long a key is remembered; 24 hours unless given. */
  ttlSeconds?: number;
  /** How long a request in progress holds its key before a retry may take it over; 30 seconds unless given. */
  lockSeconds?: number;
  now?: () => number;
  /** Told when a finished answer could not be kept (the answer is returned anyway). */
  onStoreError?: (error: unknown) => void;
}

export const IDEMPOTENCY_KEY = 'Idempotency-Key';
export const DEFAULT_IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

// A structured-field string (RFC 8941) is quoted; many clients send the bare value, which is accepted too.
const KEY_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]{1,255}$/;

function parseKey(header: string): string {
  const trimmed = header.trim();
  const key = /^".*"$/.test(trimmed) ? trimmed.slice(1, -1) : trimmed;
  if (!KEY_PATTERN.test(key)) {
    const message = 'must be 1 to 255 visible ASCII characters, without quotes or backslashes';
    throw new HttpProblem(400, 'Bad Request', `headers.${IDEMPOTENCY_KEY}: ${message}`, [
      { path: `headers.${IDEMPOTENCY_KEY}`, message },
    ]);
  }
  return key;
}

/** JSON with its object keys sorted, so the same document spelled differently has the same fingerprint. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What makes two requests "the same request": method, route, path parameters and body. */
export function requestFingerprint(event: APIGatewayProxyEvent): string {
  const text = event.body
    ? event.isBase64Encoded
      ? Buffer.from(event.body, 'base64').toString('utf8')
      : event.body
    : '';
  let body = text;
  try {
    body = text ? canonicalJson(JSON.parse(text)) : '';
  } catch {
    // Not JSON: the bytes as sent.
  }
  const path = canonicalJson(event.pathParameters ?? {});
  return createHash('sha256').update(`${event.httpMethod} ${event.resource} ${path}\n${body}`).digest('base64url');
}

/**
 * Runs the work of a POST at most once per `Idempotency-Key`. Without the header the work simply runs. Only a
 * successful (2xx) answer is kept; when the work fails, the key is let go so that the client's retry acts.
 */
export class Idempotency {
  private readonly ttlSeconds: number;
  private readonly lockMs: number;
  private readonly now: () => number;

  constructor(private readonly options: IdempotencyOptions) {
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_IDEMPOTENCY_TTL_SECONDS;
    this.lockMs = (options.lockSeconds ?? 30) * 1000;
    this.now = options.now ?? Date.now;
  }

  private readonly storeFailed = (error: unknown) => {
    this.options.onStoreError?.(error);
  };

  /**
   * `scope` separates the keys of different callers (the user id). `keep`, when given, is what is stored for replays
   * in place of the response: a response carrying a secret (a private key) is answered once and kept without it.
   */
  async run(
    event: APIGatewayProxyEvent,
    scope: string,
    work: () => Promise<APIGatewayProxyResult>,
    keep: (response: APIGatewayProxyResult) => APIGatewayProxyResult = (response) => response,
  ): Promise<APIGatewayProxyResult> {
    const header = headerOf(event, IDEMPOTENCY_KEY);
    if (header === undefined) return work();
    const key = `${scope}#${parseKey(header)}`;
    const fingerprint = requestFingerprint(event);
    const now = this.now();
    const expiresAt = Math.ceil(now / 1000) + this.ttlSeconds;

    const claim = await this.options.store.claim(
      { key, fingerprint, status: 'IN_PROGRESS', lockedUntil: now + this.lockMs, expiresAt },
      now,
    );
    if (!claim.claimed) return this.answerRetry(claim.existing, fingerprint);

    let response: APIGatewayProxyResult;
    try {
      response = await work();
    } catch (error) {
      await this.options.store.release(key, fingerprint).catch(this.storeFailed);
      throw error;
    }
    if (response.statusCode >= 200 && response.statusCode < 300) {
      await this.options.store.complete(key, fingerprint, toStored(keep(response)), expiresAt).catch(this.storeFailed);
    } else {
      await this.options.store.release(key, fingerprint).catch(this.storeFailed);
    }
    return response;
  }

  private answerRetry(existing: IdempotencyRecord | undefined, fingerprint: string): APIGatewayProxyResult {
    if (existing && existing.fingerprint !== fingerprint) {
      throw new HttpProblem(
        422,
        'Unprocessable Content',
        `This ${IDEMPOTENCY_KEY} was already used with a different request; use a new key for a new request.`,
      );
    }
    if (existing?.status === 'COMPLETED') {
      return {
        statusCode: existing.response.statusCode,
        headers: { ...existing.response.headers, 'idempotent-replayed': 'true' },
        body: existing.response.body,
      };
    }
    throw new HttpProblem(
      409,
      'Conflict',
      `A request with this ${IDEMPOTENCY_KEY} is still being processed; retry later.`,
      undefined,
      { 'retry-after': '1' },
    );
  }
}

function toStored(response: APIGatewayProxyResult): StoredResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers ?? {})) {
    // CORS headers are the CORS middleware's to add to each answer, the replayed one included.
    if (!name.toLowerCase().startsWith('access-control-') && name.toLowerCase() !== 'vary')
      headers[name] = String(value);
  }
  return { statusCode: response.statusCode, headers, body: response.body };
}
