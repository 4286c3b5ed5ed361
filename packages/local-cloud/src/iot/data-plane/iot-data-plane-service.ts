import { type AwsService, AwsServiceError, type EdgeRequest, type EdgeResponse } from '../../edge/aws-service';
import type { IotPublisher } from '../contracts';
import type { DeviceShadowService } from '../shadow/device-shadow-service';
import { ShadowRequestError } from '../shadow/shadow-errors';
import type { ShadowRef } from '../shadow/shadow-store';

/** A message the broker retains, as the data plane lists it. */
export interface DataPlaneRetainedMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  /** Epoch milliseconds of the publish that retained it. */
  lastModifiedTime: number;
}

/** Reads the broker's retained messages, for ListRetainedMessages and GetRetainedMessage (`MqttBroker` is one). */
export interface RetainedMessageReader {
  /** Every retained message. */
  listRetainedMessages(): Promise<DataPlaneRetainedMessage[]>;
  getRetainedMessage(topic: string): Promise<DataPlaneRetainedMessage | undefined>;
}

/** Ends a client's connection, for DeleteConnection (`MqttBroker` is one). */
export interface ClientDisconnector {
  /** False when no client with this id is connected. */
  disconnectClient(clientId: string): boolean;
}

export interface IotDataPlaneServiceOptions {
  shadows: DeviceShadowService;
  /** Where Publish goes; the shadow service's publisher when not given. */
  publisher?: IotPublisher;
  /** Without one, the retained message operations answer MethodNotAllowedException. */
  retainedMessages?: RetainedMessageReader;
  /** Without one, DeleteConnection answers MethodNotAllowedException. */
  connections?: ClientDisconnector;
}

/** The exception each status maps to, as client-iot-data-plane names them. */
const EXCEPTIONS: Record<number, string> = {
  400: 'InvalidRequestException',
  401: 'UnauthorizedException',
  403: 'ForbiddenException',
  404: 'ResourceNotFoundException',
  405: 'MethodNotAllowedException',
  409: 'ConflictException',
  413: 'RequestEntityTooLargeException',
  415: 'UnsupportedDocumentEncodingException',
  429: 'ThrottlingException',
  500: 'InternalFailureException',
  503: 'ServiceUnavailableException',
};

/** The largest payload an MQTT message, and so a Publish, may carry. */
const MAX_PUBLISH_BYTES = 128 * 1024;
const DEFAULT_MAX_RESULTS = 50;
const MAX_MAX_RESULTS = 200;

const SHADOW_PATH = /^\/things\/([^/]+)\/shadow\/?$/;
const LIST_NAMED_SHADOWS_PATH = /^\/api\/things\/shadow\/ListNamedShadowsForThing\/([^/]+)\/?$/;
const TOPIC_PATH = /^\/topics\/(.+)$/;
const RETAINED_LIST_PATH = /^\/retainedMessage\/?$/;
const RETAINED_MESSAGE_PATH = /^\/retainedMessage\/(.+)$/;
const CONNECTION_PATH = /^\/connections\/([^/]+)$/;

function json(body: unknown): EdgeResponse {
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** An error in the REST-JSON shape: the SDK reads the exception from `x-amzn-errortype`, the message from the body. */
function errorResponse(status: number, message: string, type = EXCEPTIONS[status] ?? 'InternalFailureException') {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': type },
    body: JSON.stringify({ code: status, message }),
  };
}

function invalid(message: string): AwsServiceError {
  return new AwsServiceError('InvalidRequestException', message, 400);
}

function decodeLabel(raw: string, field: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw invalid(`The ${field} in the path is not valid percent-encoding`);
  }
}

function integerQuery(query: URLSearchParams, field: string, min: number, max: number): number | undefined {
  const raw = query.get(field);
  if (raw === null || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(
      `1 validation error detected: Value '${raw}' at '${field}' failed to satisfy constraint: Member must have value between ${min} and ${max}`,
    );
  }
  return value;
}

function booleanQuery(query: URLSearchParams, field: string): boolean {
  const raw = query.get(field);
  if (raw === null || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  throw invalid(
    `1 validation error detected: Value '${raw}' at '${field}' failed to satisfy constraint: Member must be a boolean`,
  );
}

/**
 * The AWS IoT data plane on the edge endpoint (signing name `iotdata`, the one client-iot-data-plane puts in its SigV4
 * scope): the Device Shadow REST API (GetThingShadow, UpdateThingShadow, DeleteThingShadow, ListNamedShadowsForThing),
 * Publish, and the retained message reads and DeleteConnection when the broker offers them.
 */
export class IotDataPlaneService implements AwsService {
  readonly signingName = 'iotdata';

  constructor(private readonly options: IotDataPlaneServiceOptions) {}

  async handle(request: EdgeRequest): Promise<EdgeResponse> {
    try {
      return await this.route(request);
    } catch (error) {
      if (error instanceof ShadowRequestError) return errorResponse(error.code, error.message);
      if (error instanceof AwsServiceError) return errorResponse(error.status, error.message, error.code);
      throw error;
    }
  }

  private async route(request: EdgeRequest): Promise<EdgeResponse> {
    const { method, path } = request;
    const { shadows } = this.options;

    const shadowPath = SHADOW_PATH.exec(path);
    if (shadowPath) {
      const ref = this.shadowRef(decodeLabel(shadowPath[1] as string, 'thingName'), request.query);
      if (method === 'GET') return json(await shadows.getThingShadow(ref));
      if (method === 'POST') return json(await shadows.updateThingShadow(ref, request.body));
      if (method === 'DELETE') return json(await shadows.deleteThingShadow(ref));
      return this.methodNotAllowed(request);
    }

    const listPath = LIST_NAMED_SHADOWS_PATH.exec(path);
    if (listPath) {
      if (method !== 'GET') return this.methodNotAllowed(request);
      const pageSize = integerQuery(request.query, 'pageSize', 1, 100);
      const nextToken = request.query.get('nextToken') || undefined;
      return json(
        await shadows.listNamedShadowsForThing(decodeLabel(listPath[1] as string, 'thingName'), {
          ...(pageSize === undefined ? {} : { pageSize }),
          ...(nextToken === undefined ? {} : { nextToken }),
        }),
      );
    }

    const topicPath = TOPIC_PATH.exec(path);
    if (topicPath) {
      if (method !== 'POST') return this.methodNotAllowed(request);
      return this.publish(decodeLabel(topicPath[1] as string, 'topic'), request);
    }

    if (RETAINED_LIST_PATH.test(path)) {
      if (method !== 'GET') return this.methodNotAllowed(request);
      return this.listRetained(request.query);
    }
    const retainedPath = RETAINED_MESSAGE_PATH.exec(path);
    if (retainedPath) {
      if (method !== 'GET') return this.methodNotAllowed(request);
      return this.getRetained(decodeLabel(retainedPath[1] as string, 'topic'));
    }

    const connectionPath = CONNECTION_PATH.exec(path);
    if (connectionPath) {
      if (method !== 'DELETE') return this.methodNotAllowed(request);
      return this.deleteConnection(decodeLabel(connectionPath[1] as string, 'clientId'));
    }

    return errorResponse(404, `No IoT data plane operation answers ${method} ${path}`, 'UnknownOperationException');
  }

  private shadowRef(thingName: string, query: URLSearchParams): ShadowRef {
    // An empty name is the classic shadow, as when the parameter is left out.
    const shadowName = query.get('name') || undefined;
    return { thingName, ...(shadowName === undefined ? {} : { shadowName }) };
  }

  private methodNotAllowed(request: EdgeRequest): EdgeResponse {
    return errorResponse(405, `The method ${request.method} is not allowed on ${request.path}`);
  }

  private async publish(topic: string, request: EdgeRequest): Promise<EdgeResponse> {
    const qos = (integerQuery(request.query, 'qos', 0, 1) ?? 0) as 0 | 1;
    const retain = booleanQuery(request.query, 'retain');
    if (request.body.length > MAX_PUBLISH_BYTES) {
      return errorResponse(413, `The payload exceeds the maximum size of ${MAX_PUBLISH_BYTES} bytes`);
    }
    const publisher = this.options.publisher ?? this.options.shadows.publisher;
    if (!publisher) return errorResponse(503, 'The MQTT broker is not running: nothing can be published');
    try {
      await publisher.publish({ topic, payload: request.body, qos, retain });
    } catch (error) {
      if (error instanceof AwsServiceError) throw error;
      // The broker refuses only what AWS would refuse (a topic or payload over a limit): the caller's error.
      throw invalid(error instanceof Error ? error.message : String(error));
    }
    return { status: 200, headers: { 'content-type': 'application/json' }, body: '' };
  }

  private retainedReader(): RetainedMessageReader {
    const reader = this.options.retainedMessages;
    if (!reader) {
      throw new AwsServiceError(
        'MethodNotAllowedException',
        'Retained messages cannot be read: the local cloud was started without a broker that offers them',
        405,
      );
    }
    return reader;
  }

  private async listRetained(query: URLSearchParams): Promise<EdgeResponse> {
    const maxResults = integerQuery(query, 'maxResults', 1, MAX_MAX_RESULTS) ?? DEFAULT_MAX_RESULTS;
    const token = query.get('nextToken');
    let after: string | undefined;
    if (token) {
      after = Buffer.from(token, 'base64url').toString('utf8');
      if (!after) throw invalid('The nextToken is not valid');
    }
    const messages = (await this.retainedReader().listRetainedMessages())
      .filter((message) => after === undefined || message.topic > after)
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
    const page = messages.slice(0, maxResults);
    const last = page[page.length - 1];
    return json({
      retainedTopics: page.map((message) => ({
        topic: message.topic,
        payloadSize: message.payload.length,
        qos: message.qos,
        lastModifiedTime: message.lastModifiedTime,
      })),
      ...(messages.length > maxResults && last ? { nextToken: Buffer.from(last.topic).toString('base64url') } : {}),
    });
  }

  private async getRetained(topic: string): Promise<EdgeResponse> {
    const message = await this.retainedReader().getRetainedMessage(topic);
    if (!message) return errorResponse(404, `No retained message exists on topic: '${topic}'`);
    return json({
      topic: message.topic,
      payload: message.payload.toString('base64'),
      qos: message.qos,
      lastModifiedTime: message.lastModifiedTime,
    });
  }

  private deleteConnection(clientId: string): EdgeResponse {
    const connections = this.options.connections;
    if (!connections) {
      return errorResponse(405, 'Connections cannot be ended: the local cloud was started without a broker');
    }
    if (!connections.disconnectClient(clientId)) {
      return errorResponse(404, `No connection exists with client id: '${clientId}'`);
    }
    return { status: 200, headers: { 'content-type': 'application/json' }, body: '' };
  }
}
