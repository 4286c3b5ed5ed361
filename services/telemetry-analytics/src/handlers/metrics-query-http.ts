import { HttpProblem } from '@iot/lambda-kit';
import type { GetMetricsQuery } from '@iot/types';
import { InvalidPageTokenError, type WindowQuery } from '../domain/query-window-metrics';

const DAY_MS = 86_400_000;
const DEFAULT_PAGE = 100;

/** The query of a metrics route with its defaults: the last day, 100 windows a page. */
export function windowQueryOf(query: GetMetricsQuery, now: number): WindowQuery {
  const to = query.to ?? now;
  return {
    from: query.from ?? to - DAY_MS,
    to,
    limit: query.limit ?? DEFAULT_PAGE,
    ...(query.metric ? { metric: query.metric } : {}),
    ...(query.nextToken ? { nextToken: query.nextToken } : {}),
  };
}

/** The metrics routes' domain errors as the caller sees them. */
export function mapQueryError(error: unknown): HttpProblem | undefined {
  if (error instanceof InvalidPageTokenError) {
    return new HttpProblem(400, 'Bad Request', `query.nextToken: ${error.message}`, [
      { path: 'query.nextToken', message: error.message },
    ]);
  }
  return undefined;
}
