import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { headerOf } from './http';

export interface CorsOptions {
  /**
   * The origins a browser may call from: one origin (`https://dashboard.example.com`), several separated by commas
   * (the request's `Origin` is echoed when it is one of them), or `*`.
   */
  origin: string;
  /** Response headers a browser script may read, beyond the CORS-safelisted ones. */
  exposeHeaders?: string[];
}

/** What the routes of the REST API answer that a browser script needs to read. */
export const DEFAULT_EXPOSED_HEADERS = ['ETag', 'Location', 'Retry-After', 'Idempotent-Replayed'];

/**
 * Middy middleware adding the CORS headers to every answer of a Lambda proxy integration, errors included (API Gateway
 * answers only the preflight `OPTIONS` itself). Use it first, so it sees the answers of the error handler too.
 */
export function cors(options: CorsOptions): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const allowed = options.origin
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  const expose = (options.exposeHeaders ?? DEFAULT_EXPOSED_HEADERS).join(', ');

  const addHeaders = (request: { event: APIGatewayProxyEvent; response: APIGatewayProxyResult | null | undefined }) => {
    if (!request.response) return;
    const requested = request.event ? headerOf(request.event, 'origin') : undefined;
    const origin = allowed.includes('*')
      ? '*'
      : allowed.length === 1
        ? allowed[0]
        : requested && allowed.includes(requested)
          ? requested
          : undefined;
    const headers: Record<string, string | number | boolean> = { ...request.response.headers };
    if (origin) headers['access-control-allow-origin'] = origin;
    if (origin && origin !== '*') headers.vary = headers.vary ? `${headers.vary}, Origin` : 'Origin';
    if (expose) headers['access-control-expose-headers'] = expose;
    request.response = { ...request.response, headers };
  };

  return { after: addHeaders, onError: addHeaders };
}
