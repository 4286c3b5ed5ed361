import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LambdaInvoker } from '../../contracts';
import { LOCAL_ACCOUNT_ID } from '../../edge/aws-service';
import { type AuthorizationRequest, type AuthorizeStrategy, allowEveryRequest } from './authorization';
import { type GatewayError, gatewayErrors, renderGatewayError } from './gateway-responses';
import { type ApiGatewayLogger, stderrApiGatewayLogger } from './logger';
import { answerMock } from './mock-integration';
import { buildProxyEvent, eventQuery, type InboundRequest } from './proxy-event';
import { parseProxyResponse } from './proxy-response';
import { matchRoute, type RouteMatch } from './resource-router';
import { type DeployedStage, lambdaArnFromIntegrationUri, type RestApiRegistry } from './rest-api-registry';

export const DEFAULT_REST_API_PORT = 3000;
/** API Gateway's request payload quota for REST APIs. */
export const MAX_REQUEST_PAYLOAD_BYTES = 10 * 1024 * 1024;
/** API Gateway's default integration timeout; an integration's TimeoutInMillis overrides it. */
export const DEFAULT_INTEGRATION_TIMEOUT_MS = 29_000;

export interface RestApiServerOptions {
  registry: RestApiRegistry;
  /** Calls the functions of AWS_PROXY integrations, synchronously. */
  invoker: LambdaInvoker;
  /** 3000 unless given; 0 picks a free port. */
  port?: number;
  host?: string;
  /** Decides requests to methods with a CUSTOM or COGNITO_USER_POOLS authorizer; lets everything through if absent. */
  authorize?: AuthorizeStrategy;
  /** For integrations without TimeoutInMillis; 29 s unless given. */
  integrationTimeoutMs?: number;
  accountId?: string;
  /** Why a request got a 5xx (function error, malformed response, timeout); JSON lines on stderr if absent. */
  logger?: ApiGatewayLogger;
}

export interface RestApiServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** The invoke URL of a stage, `http://127.0.0.1:<port>/<stage>`, like a deployed API's ServiceEndpoint. */
  stageUrl(stageName: string): string;
  close(): Promise<void>;
}

const AUTHORIZED_TYPES = new Set(['CUSTOM', 'COGNITO_USER_POOLS']);
const EXECUTE_API_HOST = /^([a-z0-9]+)\.execute-api\./i;
const TIMED_OUT = Symbol('timed out');

type Headers = Array<[string, string | string[]]>;

function writeResponse(res: ServerResponse, requestId: string, statusCode: number, headers: Headers, body: Buffer) {
  for (const [name, value] of headers) res.setHeader(name, value);
  res.setHeader('x-amzn-RequestId', requestId);
  res.setHeader('x-amz-apigw-id', `${randomBytes(11).toString('base64url').slice(0, 15)}=`);
  if (statusCode !== 204 && statusCode !== 304) res.setHeader('Content-Length', body.length);
  res.writeHead(statusCode);
  res.end(body);
}

/** The body, or undefined once it passes the limit (the rest is drained so the client reads the 413). */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  let tooLarge = Number(req.headers['content-length'] ?? 0) > limit;
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) tooLarge = true;
    if (!tooLarge) chunks.push(chunk);
  }
  return tooLarge ? undefined : Buffer.concat(chunks);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function lowerCaseHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `method.request.<location>.<name>: true` parameters absent from the request. */
function missingRequiredParameters(
  match: RouteMatch,
  headers: Readonly<Record<string, string>>,
  query: Readonly<Record<string, string>>,
): string[] {
  const missing: string[] = [];
  for (const [key, required] of Object.entries(match.method.RequestParameters ?? {})) {
    const [, location, name] = /^method\.request\.(header|querystring|path)\.(.+)$/.exec(key) ?? [];
    if (!required || !location || !name) continue;
    const present =
      location === 'header'
        ? headers[name.toLowerCase()] !== undefined
        : location === 'querystring'
          ? query[name] !== undefined
          : match.pathParameters[name] !== undefined;
    if (!present) missing.push(name);
  }
  return missing;
}

/**
 * Serves every deployed stage of the registry's REST APIs at `http://127.0.0.1:<port>/<stage>/<path>`, as API Gateway
 * serves `https://<api>.execute-api.<region>.amazonaws.com/<stage>/<path>`. When several APIs have a stage of the
 * same name, the first created answers, unless the Host header names one (`<apiId>.execute-api.localhost`).
 */
export async function startRestApiServer(options: RestApiServerOptions): Promise<RestApiServer> {
  const { registry, invoker } = options;
  const authorize = options.authorize ?? allowEveryRequest;
  const logger = options.logger ?? stderrApiGatewayLogger;
  const accountId = options.accountId ?? LOCAL_ACCOUNT_ID;

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const receivedAt = new Date();
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const rawPath = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const rawQuery = queryAt === -1 ? '' : rawUrl.slice(queryAt + 1);
    const httpMethod = (req.method ?? 'GET').toUpperCase();

    const body = await readBody(req, MAX_REQUEST_PAYLOAD_BYTES);
    if (!body) {
      // Refused in front of the API, before routing, so gateway responses (and their CORS headers) do not apply.
      const text = `HTTP content length exceeded ${MAX_REQUEST_PAYLOAD_BYTES} bytes.`;
      return writeResponse(res, requestId, 413, [['content-type', 'text/plain']], Buffer.from(text));
    }

    const [, stageSegment = '', ...rest] = rawPath.split('/');
    const path = `/${rest.join('/')}`;
    const apiFromHost = EXECUTE_API_HOST.exec(req.headers.host ?? '')?.[1]?.toLowerCase();
    const stage = stageSegment ? registry.findStage(safeDecode(stageSegment), apiFromHost) : undefined;
    if (!stage) {
      const headers: Headers = [
        ['content-type', 'application/json'],
        ['x-amzn-ErrorType', 'ForbiddenException'],
      ];
      return writeResponse(res, requestId, 403, headers, Buffer.from(JSON.stringify({ message: 'Forbidden' })));
    }

    const headers = lowerCaseHeaders(req);
    const fail = (error: GatewayError) => {
      const rendered = renderGatewayError(error, requestId, stage.deployment, headers);
      writeResponse(res, requestId, rendered.statusCode, rendered.headers, Buffer.from(rendered.body));
    };

    const match = matchRoute(stage.deployment.root, path, httpMethod);
    if (!match) return fail(gatewayErrors.missingAuthenticationToken());
    const { resource, method, pathParameters } = match;
    const query = eventQuery(rawQuery).queryStringParameters ?? {};
    const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');

    let authorizerContext: Record<string, unknown> | undefined;
    if (AUTHORIZED_TYPES.has(method.AuthorizationType ?? 'NONE')) {
      const authorizer = method.AuthorizerId ? stage.deployment.authorizers.get(method.AuthorizerId) : undefined;
      if (!authorizer) {
        logger.warn('Method names an authorizer its deployment does not have', { authorizerId: method.AuthorizerId });
        return fail(gatewayErrors.authorizerFailure());
      }
      const request: AuthorizationRequest = {
        restApiId: stage.restApiId,
        stage: stage.stageName,
        httpMethod,
        path,
        resourcePath: resource.path,
        headers,
        queryStringParameters: query,
        pathParameters,
        stageVariables: stage.variables,
        sourceIp,
        method,
      };
      let decision: Awaited<ReturnType<AuthorizeStrategy>>;
      try {
        decision = await authorize(request, authorizer);
      } catch (error) {
        logger.warn('Authorizer failed', { authorizerId: authorizer.id, error: String(error) });
        return fail(gatewayErrors.authorizerFailure());
      }
      if (!decision.allow) {
        return fail(
          decision.statusCode === 401
            ? gatewayErrors.unauthorized(decision.message)
            : gatewayErrors.accessDenied(decision.message),
        );
      }
      authorizerContext = decision.authorizerContext;
    }

    const validator = method.RequestValidatorId
      ? stage.deployment.requestValidators.get(method.RequestValidatorId)
      : undefined;
    if (validator?.ValidateRequestParameters) {
      const missing = missingRequiredParameters(match, headers, query);
      if (missing.length > 0) return fail(gatewayErrors.missingRequestParameters(missing));
    }

    const integration = method.Integration;
    if (integration?.Type === 'MOCK') {
      const outcome = answerMock(integration, {
        contentType: headers['content-type'],
        headers,
        queryStringParameters: query,
        pathParameters,
        stageVariables: stage.variables,
      });
      if (!outcome.ok) {
        logger.warn('Execution failed due to configuration error', { reason: outcome.reason, path: resource.path });
        return fail(gatewayErrors.configuration());
      }
      return writeResponse(res, requestId, outcome.statusCode, outcome.headers, Buffer.from(outcome.body));
    }
    if (integration?.Type !== 'AWS_PROXY') {
      logger.warn('Integration type not emulated', { integrationType: integration?.Type, path: resource.path });
      return fail(gatewayErrors.configuration());
    }

    const inbound: InboundRequest = {
      httpMethod,
      path,
      rawQuery,
      rawHeaders: req.rawHeaders,
      body,
      sourceIp,
      localPort: req.socket.localPort ?? 0,
      httpVersion: req.httpVersion,
      requestId,
      receivedAt,
    };
    const response = await proxyToLambda({ inbound, stage, match, authorizerContext, accept: headers.accept });
    if ('error' in response) return fail(response.error);
    return writeResponse(res, requestId, response.statusCode, response.headers, response.body);
  }

  /** Calls the function of an AWS_PROXY integration and turns its result into the response, or a gateway error. */
  async function proxyToLambda(call: {
    inbound: InboundRequest;
    stage: DeployedStage;
    match: RouteMatch;
    authorizerContext?: Record<string, unknown>;
    accept?: string;
  }): Promise<{ statusCode: number; headers: Headers; body: Buffer } | { error: GatewayError }> {
    const { inbound, stage, match } = call;
    const integration = match.method.Integration;
    const functionArn = lambdaArnFromIntegrationUri(integration?.Uri ?? '', stage.variables);
    if (!functionArn) {
      logger.warn('Integration URI names no Lambda function', { uri: integration?.Uri, path: match.resource.path });
      return { error: gatewayErrors.configuration() };
    }
    const event = buildProxyEvent(inbound, {
      accountId,
      restApiId: stage.restApiId,
      stage: stage.stageName,
      deploymentId: stage.deployment.id,
      stageVariables: stage.variables,
      resourceId: match.resource.id,
      resourcePath: match.resource.path,
      pathParameters: match.pathParameters,
      binaryMediaTypes: stage.deployment.binaryMediaTypes,
      authorizer: call.authorizerContext,
    });
    const timeoutMs = integration?.TimeoutInMillis ?? options.integrationTimeoutMs ?? DEFAULT_INTEGRATION_TIMEOUT_MS;

    let outcome: Awaited<ReturnType<LambdaInvoker['invoke']>> | typeof TIMED_OUT;
    try {
      outcome = await withTimeout(invoker.invoke(functionArn, event, 'RequestResponse'), timeoutMs);
    } catch (error) {
      logger.warn('Lambda invocation failed', { functionArn, error: String(error) });
      return { error: gatewayErrors.configuration() };
    }
    if (outcome === TIMED_OUT) {
      logger.warn('Endpoint request timed out', { functionArn, timeoutMs });
      return { error: gatewayErrors.integrationTimeout() };
    }
    if (!outcome.ok) {
      logger.warn('Lambda execution failed with a function error', { functionArn, ...outcome.error });
      return { error: gatewayErrors.badGateway() };
    }
    const parsed = parseProxyResponse(outcome.payload, {
      accept: call.accept,
      binaryMediaTypes: stage.deployment.binaryMediaTypes,
    });
    if (!parsed.ok) {
      logger.warn('Execution failed due to configuration error: Malformed Lambda proxy response', {
        functionArn,
        reason: parsed.reason,
      });
      return { error: gatewayErrors.badGateway() };
    }
    const trace = Object.entries(event.headers).find(([name]) => name.toLowerCase() === 'x-amzn-trace-id')?.[1];
    const headers: Headers = [...parsed.response.headers];
    if (trace) headers.push(['X-Amzn-Trace-Id', trace]);
    return { statusCode: parsed.response.statusCode, headers, body: parsed.response.body };
  }

  const server = createServer((req, res) => {
    const requestId = randomUUID();
    handle(req, res, requestId).catch((error: unknown) => {
      logger.warn('Request failed inside the gateway', { requestId, error: String(error) });
      if (res.headersSent) return void res.destroy();
      const rendered = renderGatewayError(gatewayErrors.configuration(), requestId);
      writeResponse(res, requestId, rendered.statusCode, rendered.headers, Buffer.from(rendered.body));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_REST_API_PORT, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;

  return {
    url,
    port,
    server,
    stageUrl: (stageName) => `${url}/${stageName}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
