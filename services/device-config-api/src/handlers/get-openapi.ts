import { createLogger, headerOf, json, once } from '@iot/lambda-kit';
import { buildOpenApiDocument, type OpenApiDocument } from '@iot/types';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { loadOpenApiConfig } from '../config';
import { type HttpDependencies, httpHandler } from './http';

/** The base URL the request came through: `https://<host>/<stage>`, or the local API's `http://127.0.0.1:3000/<stage>`. */
function serverUrlOf(event: APIGatewayProxyEvent): string | undefined {
  const host = headerOf(event, 'host');
  if (!host) return undefined;
  const scheme = headerOf(event, 'x-forwarded-proto') ?? (/^(localhost|127\.|\[::1\])/.test(host) ? 'http' : 'https');
  const stage = event.requestContext?.stage;
  // Behind a custom domain the stage is not in the path (the base path mapping stands for it).
  const stageInPath = stage && event.requestContext?.path?.startsWith(`/${stage}/`);
  return `${scheme}://${host}${stageInPath ? `/${stage}` : ''}`;
}

/** `GET /openapi.json`: the OpenAPI 3.1 document of the whole REST API, generated from the shared zod schemas. */
export function createGetOpenApiHandler(deps: HttpDependencies) {
  let document: OpenApiDocument | undefined;
  return httpHandler(deps, async (event) => {
    document ??= buildOpenApiDocument();
    const serverUrl = serverUrlOf(event);
    return json(200, serverUrl ? { ...document, servers: [{ url: serverUrl }] } : document, {
      'cache-control': 'public, max-age=300',
    });
  });
}

const built = once(() => {
  const config = loadOpenApiConfig();
  return createGetOpenApiHandler({
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    corsOrigin: config.CORS_ALLOWED_ORIGIN,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
