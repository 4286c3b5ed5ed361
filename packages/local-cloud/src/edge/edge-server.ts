import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { type AwsService, AwsServiceError, DEFAULT_REGION, type EdgeRequest, LOCAL_ACCOUNT_ID } from './aws-service';

/** What `/_local/...` routes answer; the local cloud mounts health and tooling there. */
export type LocalRoute = (request: EdgeRequest) => Promise<{ status: number; body: unknown }>;

/** A plain HTTP handler served under a path (a static site such as the dashboard). */
export type SiteHandler = (req: IncomingMessage, res: ServerResponse) => void;

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
  /** Serves `path` and everything below it (`/dashboard`, `/dashboard/...`) with `handler`, unsigned. */
  mount(path: string, handler: SiteHandler): void;
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
 * A stream that yields `first` and then whatever the socket receives, and writes to the socket. An HTTP/2 session
 * reads its socket natively, past anything pushed back with `unshift`, so the bytes read to tell the protocol are
 * handed over this way.
 */
function replaying(socket: Socket, first: Buffer): Duplex {
  const duplex = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _encoding, done) => void socket.write(chunk, done),
    final: (done) => {
      socket.end();
      done();
    },
    destroy: (error, done) => {
      socket.destroy(error ?? undefined);
      done(error);
    },
  });
  duplex.push(first);
  socket.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.once('end', () => duplex.push(null));
  socket.once('error', (error) => duplex.destroy(error));
  socket.once('close', () => duplex.destroy());
  return duplex;
}

/**
 * The edge endpoint: one HTTP port for every emulated AWS service, dispatching on the service name of the SigV4
 * credential scope, so unchanged AWS SDK clients work with only `AWS_ENDPOINT_URL` set.
 */
export async function startEdgeServer(options: EdgeServerOptions): Promise<EdgeServer> {
  const services = new Map(options.services.map((s) => [s.signingName, s]));
  const localRoutes = options.localRoutes ?? {};
  const sites = new Map<string, SiteHandler>();

  const siteOf = (url: string | undefined): SiteHandler | undefined => {
    const path = (url ?? '/').split('?', 1)[0] ?? '/';
    for (const [prefix, handler] of sites) {
      if (path === prefix || path.startsWith(`${prefix}/`)) return handler;
    }
    return undefined;
  };

  const handleRequest = (req: IncomingMessage, res: ServerResponse) => {
    const site = siteOf(req.url);
    if (site) return site(req, res);
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
        // `/_local/<name>` or anything below it (`/_local/cognito/<pool>/.well-known/jwks.json`).
        const rest = url.pathname.slice('/_local/'.length);
        const route = localRoutes[rest] ?? localRoutes[rest.split('/', 1)[0] ?? ''];
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
  };

  // Most SDK clients speak HTTP/1.1; some (Kinesis) default to HTTP/2 without TLS. One port serves both: the first
  // bytes of a connection tell which (an HTTP/2 connection opens with its preface, `PRI * HTTP/2.0`).
  const server = createServer(handleRequest);
  const http2 = createHttp2Server({}, handleRequest as never);
  const sockets = new Set<Socket>();
  const listener = createTcpServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.once('data', (first: Buffer) => {
      if (first.subarray(0, 3).toString('latin1') === 'PRI') {
        http2.emit('connection', replaying(socket, first));
        return;
      }
      socket.pause();
      socket.unshift(first);
      server.emit('connection', socket);
      socket.resume();
    });
  });

  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = listener.address() as AddressInfo;

  return {
    url: `http://${address}:${port}`,
    server,
    register(service) {
      services.set(service.signingName, service);
    },
    mount(path, handler) {
      sites.set(path.replace(/\/+$/, ''), handler);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        listener.close(() => resolve());
      }),
  };
}
