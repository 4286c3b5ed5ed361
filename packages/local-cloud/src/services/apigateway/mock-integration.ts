import type { IntegrationProperties, IntegrationResponseProperties } from './rest-api-registry';

/** What a MOCK integration's mappings can read of the request. */
export interface MockRequest {
  contentType?: string;
  /** Header names in lower case. */
  headers: Readonly<Record<string, string>>;
  queryStringParameters: Readonly<Record<string, string>>;
  pathParameters: Readonly<Record<string, string>>;
  stageVariables: Readonly<Record<string, string>>;
}

export type MockOutcome =
  | { ok: true; statusCode: number; headers: Array<[string, string]>; body: string }
  | { ok: false; reason: string };

const STATUS_IN_TEMPLATE = /["']?statusCode["']?\s*:\s*["']?(\d{3})/;

function pick<T>(byContentType: Readonly<Record<string, T>> | undefined, contentType: string | undefined) {
  if (!byContentType) return undefined;
  const type = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  return (type && byContentType[type]) ?? byContentType['application/json'] ?? Object.values(byContentType)[0];
}

function resolveParameter(expression: string, request: MockRequest): string | undefined {
  if (/^'.*'$/s.test(expression)) return expression.slice(1, -1);
  const [, source, name] =
    /^(method\.request\.(?:header|querystring|path)|stageVariables)\.(.+)$/.exec(expression) ?? [];
  if (!source || !name) return undefined;
  if (source === 'method.request.header') return request.headers[name.toLowerCase()];
  if (source === 'method.request.querystring') return request.queryStringParameters[name];
  if (source === 'method.request.path') return request.pathParameters[name];
  return request.stageVariables[name];
}

function selects(pattern: string, status: number): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`).test(String(status));
  } catch {
    return false;
  }
}

function selectResponse(responses: readonly IntegrationResponseProperties[], status: number) {
  const matching = responses.find(
    (response) => response.SelectionPattern && selects(response.SelectionPattern, status),
  );
  return matching ?? responses.find((response) => !response.SelectionPattern);
}

/**
 * Answers a MOCK integration, as serverless writes them for CORS preflight: the status comes from the request
 * template (`{statusCode:200}`), picks an integration response by SelectionPattern (or the default one), whose
 * `method.response.header.X` parameters become headers with the quotes of static values stripped, and whose
 * template is the body. Templates are given verbatim: Velocity (VTL) is not evaluated.
 */
export function answerMock(integration: IntegrationProperties, request: MockRequest): MockOutcome {
  const requestTemplate = pick(integration.RequestTemplates, request.contentType);
  let status = 200;
  if (requestTemplate !== undefined) {
    const match = STATUS_IN_TEMPLATE.exec(requestTemplate);
    if (!match) return { ok: false, reason: 'Unable to parse statusCode from the request template' };
    status = Number(match[1]);
  }
  const response = selectResponse(integration.IntegrationResponses ?? [], status);
  if (!response) return { ok: false, reason: 'No match for output mapping and no default output mapping configured' };

  const headers: Array<[string, string]> = [];
  for (const [key, expression] of Object.entries(response.ResponseParameters ?? {})) {
    const name = /^method\.response\.header\.(.+)$/.exec(key)?.[1];
    const value = name ? resolveParameter(expression, request) : undefined;
    if (name && value !== undefined) headers.push([name, value]);
  }
  const templates = Object.entries(response.ResponseTemplates ?? {});
  const [contentType, body] = templates.find(([type]) => type === 'application/json') ??
    templates[0] ?? ['application/json', ''];
  if (!headers.some(([name]) => name.toLowerCase() === 'content-type')) headers.push(['Content-Type', contentType]);
  return { ok: true, statusCode: Number(response.StatusCode), headers, body };
}
