import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpRetryPolicy {
  /** Attempts after the first one. */
  retries: number;
  /** Wait before the first retry; doubled for each further one. */
  delayMs: number;
  /** How long one attempt may take; SNS gives an endpoint 15 s. */
  timeoutMs: number;
}

export const DEFAULT_HTTP_RETRY: HttpRetryPolicy = { retries: 3, delayMs: 1000, timeoutMs: 15_000 };

export interface HttpDeliveryResult {
  ok: boolean;
  attempts: number;
  status?: number;
  error?: string;
}

/**
 * POSTs a notification to an HTTP/S subscriber. As for SNS, a 2xx-4xx answer ends delivery except 429; a 5xx,
 * a 429, a timeout or a connection error is retried. Each attempt uses a fresh connection, so nothing lingers;
 * `signal` stops the attempt under way and any retry.
 */
export async function postNotification(
  url: string,
  body: string,
  headers: Record<string, string>,
  policy: HttpRetryPolicy,
  signal?: AbortSignal,
): Promise<HttpDeliveryResult> {
  let last: HttpDeliveryResult = { ok: false, attempts: 0 };
  for (let attempt = 0; attempt <= policy.retries; attempt++) {
    if (attempt > 0) await pause(policy.delayMs * 2 ** (attempt - 1), signal);
    if (signal?.aborted) return { ...last, error: last.error ?? 'delivery stopped' };
    try {
      const status = await postOnce(url, body, headers, policy.timeoutMs, signal);
      last = { ok: status >= 200 && status < 500 && status !== 429, attempts: attempt + 1, status };
      if (last.ok) return last;
    } catch (error) {
      last = { ok: false, attempts: attempt + 1, error: (error as Error).message };
    }
  }
  return last;
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function postOnce(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      target,
      {
        method: 'POST',
        agent: false,
        timeout: timeoutMs,
        ...(signal ? { signal } : {}),
        headers: {
          ...headers,
          'content-length': String(Buffer.byteLength(body)),
          connection: 'close',
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`No answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
