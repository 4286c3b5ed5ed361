import { type IncomingHttpHeaders, request } from 'node:http';
import type { InvokeResult, LambdaInvoker } from '../../../src/contracts';
import {
  type ApiGatewayLogger,
  type ApiGatewayProxyEvent,
  apiGatewayId,
  type IntegrationProperties,
  type MethodProperties,
  type RestApiRegistry,
} from '../../../src/services/apigateway';

export const REGION = 'us-east-1';
export const functionArn = (name: string) => `arn:aws:lambda:${REGION}:000000000000:function:${name}`;

/** An AWS_PROXY integration as serverless writes it, resolved. */
export const proxyIntegration = (functionName: string, extra: Partial<IntegrationProperties> = {}) => ({
  IntegrationHttpMethod: 'POST',
  Type: 'AWS_PROXY',
  Uri: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${functionArn(functionName)}/invocations`,
  ...extra,
});

type Handler = (event: ApiGatewayProxyEvent) => InvokeResult | Promise<InvokeResult>;

/** An in-process stand-in for the Lambda runtime: records each event, answers with a handler per function. */
export class RecordingInvoker implements LambdaInvoker {
  readonly calls: Array<{ functionArn: string; event: ApiGatewayProxyEvent; type: string }> = [];
  private readonly handlers = new Map<string, Handler>();

  /** The function answers with this proxy response (or invoke result). */
  answer(functionName: string, handler: Handler): this {
    this.handlers.set(functionArn(functionName), handler);
    return this;
  }

  async invoke(functionArnOrName: string, event: unknown, type: 'RequestResponse' | 'Event'): Promise<InvokeResult> {
    this.calls.push({ functionArn: functionArnOrName, event: event as ApiGatewayProxyEvent, type });
    const handler = this.handlers.get(functionArnOrName);
    if (handler) return handler(event as ApiGatewayProxyEvent);
    return { ok: true, payload: { statusCode: 200, body: JSON.stringify({ handledBy: functionArnOrName }) } };
  }

  lastEvent(): ApiGatewayProxyEvent {
    const last = this.calls.at(-1);
    if (!last) throw new Error('No function was invoked');
    return last.event;
  }
}

export class RecordingLogger implements ApiGatewayLogger {
  readonly warnings: Array<{ message: string; details?: Record<string, unknown> }> = [];
  warn(message: string, details?: Record<string, unknown>): void {
    this.warnings.push({ message, details });
  }
}

/**
 * Creates the resources of a path (`/devices/{deviceId}/config`) under the API's root, with ids derived from the
 * path as an interpreter would derive them from logical ids, and returns the id of the last one.
 */
export function ensurePath(registry: RestApiRegistry, restApiId: string, rootResourceId: string, path: string) {
  let parentId = rootResourceId;
  let soFar = '';
  for (const part of path.split('/').filter(Boolean)) {
    soFar += `/${part}`;
    const id = apiGatewayId(`${restApiId}${soFar}`);
    registry.createResource(id, { RestApiId: restApiId, ParentId: parentId, PathPart: part });
    parentId = id;
  }
  return parentId;
}

/** Puts a method on a path, creating the path's resources. */
export function route(
  registry: RestApiRegistry,
  api: { id: string; rootResourceId: string },
  httpMethod: string,
  path: string,
  method: Partial<MethodProperties> & { Integration: MethodProperties['Integration'] },
) {
  const resourceId = ensurePath(registry, api.id, api.rootResourceId, path);
  registry.putMethod({
    RestApiId: api.id,
    ResourceId: resourceId,
    HttpMethod: httpMethod,
    AuthorizationType: 'NONE',
    ...method,
  });
  return resourceId;
}

/** A request with headers exactly as given (repeated names, a chosen Host), which `fetch` cannot send. */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: string[]; body?: Buffer } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  const headers = [...(options.headers ?? [])];
  // Given as a list, headers are sent as they are: Node adds no Host, which HTTP/1.1 requires.
  if (!headers.some((name, i) => i % 2 === 0 && name.toLowerCase() === 'host')) headers.push('Host', new URL(url).host);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
