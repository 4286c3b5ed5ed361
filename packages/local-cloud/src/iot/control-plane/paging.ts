import { AwsServiceError, type EdgeRequest } from '../../edge/aws-service';

const DEFAULT_PAGE = 50;

/** The maxResults/nextToken paging of the registry list operations. */
export function page<T>(items: T[], request: EdgeRequest): { items: T[]; nextToken?: string } {
  const max = Number(request.query.get('maxResults') ?? DEFAULT_PAGE);
  if (!Number.isInteger(max) || max < 1 || max > 250) {
    throw new AwsServiceError('InvalidRequestException', 'maxResults must be between 1 and 250', 400);
  }
  const token = request.query.get('nextToken');
  const start = token ? Number(Buffer.from(token, 'base64').toString('utf8')) : 0;
  if (!Number.isInteger(start) || start < 0)
    throw new AwsServiceError('InvalidRequestException', 'Invalid nextToken', 400);
  const slice = items.slice(start, start + max);
  const next = start + max < items.length ? Buffer.from(String(start + max)).toString('base64') : undefined;
  return { items: slice, ...(next ? { nextToken: next } : {}) };
}
