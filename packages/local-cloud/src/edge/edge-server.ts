import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AwsService, AwsServiceError, DEFAULT_REGION, type EdgeRequest, LOCAL_ACCOUNT_ID } from './aws-service';

/** What `/_local/...` routes answer; the local cloud mounts health and tooling there. */
export type LocalRoute = (request: EdgeRequest) => Promise<{ status: number; body: unknown }>;

export interface EdgeServerOptions {
  host?: string;
  port?: number;
  services: AwsService[];
  localRoutes?: Record<string, LocalRoute>;
}

export interface EdgeServer {
  readonly url: string;
  readonly server: Server;
  /** Adds or replaces the service answering a signing name. */
  register(service: AwsService): void;
  close(): Promise<void>;
}

const CREDENTIAL_SCOPE = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/;

/** The region and service of a SigV4-signed request (header or presigned query). */
export function signingScope(headers: Record<string, string>, query: URLSearchParams) {
  const source =
    headers.authorization ?? (query.get('X-Amz-Credential') ? `Credential=${query.get('X-Amz-Credential')}` : '');
  const match = CREDENTIAL_SCOPE.exec(source);
  return match ? { region: match[1] as string, service: match[2] as string } : undefined;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function lowerCaseHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * The edge endpoint: one HTTP port for every emulated AWS service, dispatching on the service name of the SigV4
 * credential scope, so unchanged AWS SDK clients work with only `AWS_ENDPOINT_URL` set.
 */
export async function startEdgeServer(options: EdgeServerOptions): Promise<EdgeServer> {
  const services = new Map(options.services.map((s) => [s.signingName, s]));
  const localRoutes = options.localRoutes ?? {};

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://edge');
      // The raw path, not URL.pathname: that resolves `.` and `..` segments, which are part of S3 object keys.
      const rawPath = (req.url ?? '/').split('?', 1)[0] || '/';
      const headers = lowerCaseHeaders(req);
      const body = await readBody(req);
      const scope = signingScope(headers, url.searchParams);
      const request: EdgeRequest = {
        method: req.method ?? 'GET',
        path: rawPath,
        query: url.searchParams,
        headers,
        body,
        region: scope?.region ?? DEFAULT_REGION,
        accountId: LOCAL_ACCOUNT_ID,
      };

      if (url.pathname.startsWith('/_local/')) {
        const route = localRoutes[url.pathname.slice('/_local/'.length)];
        if (!route) return sendJson(res, 404, { message: `No local route ${url.pathname}` });
        const answer = await route(request);
        return sendJson(res, answer.status, answer.body);
      }

      if (!scope) {
        return sendJson(res, 400, {
          __type: 'MissingAuthenticationTokenException',
          message: 'Request is not signed with AWS Signature Version 4: the service cannot be told',
        });
      }
      const service = services.get(scope.service);
      if (!service) {
        return sendJson(res, 400, {
          __type: 'UnknownServiceException',
          message: `The local cloud does not emulate the AWS service "${scope.service}"`,
        });
      }
      const answer = await service.handle(request);
      const payload = answer.body ?? '';
      res.writeHead(answer.status, {
        'x-amzn-requestid': crypto.randomUUID(),
        'content-length': Buffer.byteLength(payload),
        ...answer.headers,
      });
      res.end(payload);
    })().catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      const status = error instanceof AwsServiceError ? error.status : 500;
      const code = error instanceof AwsServiceError ? error.code : 'InternalFailure';
      sendJson(res, status, { __type: code, message: error instanceof Error ? error.message : String(error) });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;

  return {
    url: `http://${address}:${port}`,
    server,
    register(service) {
      services.set(service.signingName, service);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
