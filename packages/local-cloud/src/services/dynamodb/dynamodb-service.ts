import { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type AwsService, AwsServiceError, type EdgeRequest, type EdgeResponse } from '../../edge/aws-service';
import { JsonSnapshotFile } from '../../persistence/json-snapshot-file';

// dynalite ships no types; this is the part of its API used here.
type DynaliteFactory = (options: {
  path?: string;
  createTableMs: number;
  deleteTableMs: number;
  updateTableMs: number;
}) => Server;
const dynalite = require('dynalite') as DynaliteFactory;

/** What dynalite's request handler reads of a request and writes to a response. */
type IncomingMessageLike = EventEmitter & { method: string; url: string; headers: Record<string, string> };
interface ServerResponseLike {
  statusCode: number;
  setHeader(name: string, value: string | number): void;
  end(chunk?: string | Buffer): void;
}

const SIGNATURE =
  'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0';

interface TimeToLive {
  AttributeName: string;
  Enabled: boolean;
}

export interface DynamoDbServiceOptions {
  /** LevelDB files go under `<dataDir>/dynamodb`; in memory without it. */
  dataDir?: string;
  /** How often expired items (DynamoDB TTL) are deleted; AWS deletes them within days, locally within this. */
  ttlSweepIntervalMs?: number;
}

/**
 * DynamoDB: dynalite (a real implementation of the DynamoDB API on LevelDB), reached through the edge endpoint.
 * Time to live, which dynalite lacks, is answered here: `UpdateTimeToLive` and `DescribeTimeToLive` keep the setting,
 * and a sweeper deletes expired items.
 */
export class DynamoDbService implements AwsService {
  readonly signingName = 'dynamodb';
  private server: Server | undefined;
  private port = 0;
  private sweeper: NodeJS.Timeout | undefined;
  /** The sweep under way, if any: sweeps never overlap, and a stop waits for the one running. */
  private sweeping: Promise<number> | undefined;
  /** Operations dynalite is answering: a stop waits for them before it closes the database under them. */
  private readonly inFlight = new Set<Promise<EdgeResponse>>();
  private closing = false;
  private readonly timeToLive = new Map<string, TimeToLive>();
  private readonly snapshot: JsonSnapshotFile | undefined;

  constructor(private readonly options: DynamoDbServiceOptions = {}) {
    if (options.dataDir) {
      this.snapshot = new JsonSnapshotFile(join(options.dataDir, 'dynamodb-ttl.json'), () =>
        Object.fromEntries(this.timeToLive),
      );
      const saved = this.snapshot.load() as Record<string, TimeToLive> | undefined;
      for (const [table, ttl] of Object.entries(saved ?? {})) this.timeToLive.set(table, ttl);
    }
  }

  /** The dynalite endpoint, for clients inside the local cloud that need no edge. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.closing = false;
    const server = dynalite({
      ...(this.options.dataDir ? { path: join(this.options.dataDir, 'dynamodb') } : {}),
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    const interval = this.options.ttlSweepIntervalMs ?? 60_000;
    this.sweeper = setInterval(() => void this.sweepExpired().catch(() => undefined), interval);
    this.sweeper.unref();
  }

  async handle(request: EdgeRequest): Promise<EdgeResponse> {
    const target = request.headers['x-amz-target'] ?? '';
    const operation = target.split('.')[1];
    if (operation === 'UpdateTimeToLive') return this.updateTimeToLive(request);
    if (operation === 'DescribeTimeToLive') return this.describeTimeToLive(request);
    return this.forward(request);
  }

  /** Sets a table's time to live as `UpdateTimeToLive` does (also used when deploying a template). */
  setTimeToLive(tableName: string, spec: TimeToLive): void {
    this.timeToLive.set(tableName, spec);
    this.snapshot?.changed();
  }

  private updateTimeToLive(request: EdgeRequest): EdgeResponse {
    const body = JSON.parse(request.body.toString('utf8')) as {
      TableName: string;
      TimeToLiveSpecification: TimeToLive;
    };
    this.setTimeToLive(body.TableName, body.TimeToLiveSpecification);
    return json({ TimeToLiveSpecification: body.TimeToLiveSpecification });
  }

  private describeTimeToLive(request: EdgeRequest): EdgeResponse {
    const { TableName } = JSON.parse(request.body.toString('utf8')) as { TableName: string };
    const ttl = this.timeToLive.get(TableName);
    return json({
      TimeToLiveDescription: ttl?.Enabled
        ? { TimeToLiveStatus: 'ENABLED', AttributeName: ttl.AttributeName }
        : { TimeToLiveStatus: 'DISABLED' },
    });
  }

  /** Sends a request to dynalite and its answer back, unchanged. */
  private forward(request: EdgeRequest): Promise<EdgeResponse> {
    return this.call(request.headers['x-amz-target'] ?? '', request.body, request.headers['content-type']);
  }

  /**
   * Hands a request to dynalite's HTTP request handler in-process, with the request and response objects it uses,
   * rather than over a loopback connection to its port: the same handler answers, without a second HTTP exchange per
   * operation. (The port stays open for clients that reach dynalite directly.)
   */
  private call(target: string, body: Buffer, contentType = 'application/x-amz-json-1.0'): Promise<EdgeResponse> {
    if (this.closing) {
      return Promise.reject(new AwsServiceError('ServiceUnavailable', 'DynamoDB is stopping', 503));
    }
    const answer = this.dispatch(target, body, contentType);
    this.inFlight.add(answer);
    const settled = () => this.inFlight.delete(answer);
    answer.then(settled, settled);
    return answer;
  }

  private dispatch(target: string, body: Buffer, contentType: string): Promise<EdgeResponse> {
    const handler = this.server?.listeners('request')[0] as
      | ((request: IncomingMessageLike, response: ServerResponseLike) => void)
      | undefined;
    if (!handler) return Promise.reject(new AwsServiceError('ServiceException', 'DynamoDB is not started', 500));
    return new Promise((resolve, reject) => {
      const request: IncomingMessageLike = Object.assign(new EventEmitter(), {
        method: 'POST',
        url: '/',
        headers: {
          'content-type': contentType,
          'x-amz-target': target,
          'content-length': String(body.length),
          // dynalite checks that a request is signed, not the signature.
          authorization: SIGNATURE,
          'x-amz-date': '20260101T000000Z',
        },
      });
      const headers: Record<string, string> = {};
      const response: ServerResponseLike = {
        statusCode: 200,
        setHeader(name, value) {
          headers[name.toLowerCase()] = String(value);
        },
        end(chunk) {
          const answer: Record<string, string> = {};
          for (const name of ['content-type', 'x-amz-crc32']) {
            const value = headers[name];
            if (value !== undefined) answer[name] = value;
          }
          resolve({
            status: response.statusCode,
            headers: answer,
            body: chunk === undefined ? Buffer.alloc(0) : Buffer.from(chunk),
          });
        },
      };
      try {
        handler(request, response);
        if (body.length > 0) request.emit('data', body);
        request.emit('end');
      } catch (error) {
        reject(error);
      }
    });
  }

  private async op<T>(operation: string, input: unknown): Promise<T> {
    const answer = await this.call(`DynamoDB_20120810.${operation}`, Buffer.from(JSON.stringify(input)));
    const body = JSON.parse(String(answer.body)) as T & { __type?: string; message?: string };
    if (answer.status >= 400) throw new Error(`${operation}: ${body.__type ?? answer.status} ${body.message ?? ''}`);
    return body;
  }

  /**
   * Calls a DynamoDB operation in-process (CreateTable, DescribeTable, UpdateTable ... as the JSON API names them),
   * for the CloudFormation providers. Rejects with an AwsServiceError carrying DynamoDB's error code.
   */
  async request<T>(operation: string, input: unknown): Promise<T> {
    const answer = await this.call(`DynamoDB_20120810.${operation}`, Buffer.from(JSON.stringify(input)));
    const body = JSON.parse(String(answer.body)) as T & { __type?: string; message?: string; Message?: string };
    if (answer.status >= 400) {
      const code = (body.__type ?? 'InternalServerError').split('#').pop() as string;
      throw new AwsServiceError(code, `${operation}: ${body.message ?? body.Message ?? code}`, answer.status);
    }
    return body;
  }

  /**
   * Deletes the items whose TTL attribute (epoch seconds) has passed; answers how many. A sweep called while one runs
   * waits for it and starts no second one; a stop ends a sweep between two operations.
   */
  sweepExpired(nowSeconds = Date.now() / 1000): Promise<number> {
    if (this.closing) return Promise.resolve(0);
    if (!this.sweeping) {
      this.sweeping = this.sweep(nowSeconds).finally(() => {
        this.sweeping = undefined;
      });
    }
    return this.sweeping;
  }

  private async sweep(nowSeconds: number): Promise<number> {
    let deleted = 0;
    for (const [table, ttl] of this.timeToLive) {
      if (!ttl.Enabled || this.closing) continue;
      const { Table } = await this.op<{ Table: { KeySchema: { AttributeName: string }[] } }>('DescribeTable', {
        TableName: table,
      }).catch(() => ({ Table: undefined }));
      if (!Table) continue;
      const keys = Table.KeySchema.map((k) => k.AttributeName);
      let start: unknown;
      do {
        if (this.closing) return deleted;
        const page = await this.op<{ Items?: Record<string, unknown>[]; LastEvaluatedKey?: unknown }>('Scan', {
          TableName: table,
          FilterExpression: '#ttl < :now',
          ExpressionAttributeNames: { '#ttl': ttl.AttributeName },
          ExpressionAttributeValues: { ':now': { N: String(Math.floor(nowSeconds)) } },
          ...(start ? { ExclusiveStartKey: start } : {}),
        });
        for (const item of page.Items ?? []) {
          if (this.closing) return deleted;
          const key = Object.fromEntries(keys.map((k) => [k, item[k]]));
          await this.op('DeleteItem', { TableName: table, Key: key });
          deleted++;
        }
        start = page.LastEvaluatedKey;
      } while (start);
    }
    return deleted;
  }

  async flush(): Promise<void> {
    await this.snapshot?.flush();
  }

  /**
   * Stops in order: the sweeper's timer, then no new operation, then waits for the sweep and the operations under way,
   * and only then closes dynalite and its database (closing it under a running scan fails inside LevelDB's iterator).
   */
  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.closing = true;
    await this.sweeping?.catch(() => undefined);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.flush();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function json(body: unknown): EdgeResponse {
  return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: JSON.stringify(body) };
}
