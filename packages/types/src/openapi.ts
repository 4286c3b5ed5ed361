import * as z from 'zod';
import { AlarmSchema } from './alarm.schema';
import {
  AlarmHistoryEntrySchema,
  AlarmHistoryPageSchema,
  AlarmsPageSchema,
  GetAlarmHistoryQuerySchema,
  ListAlarmsQuerySchema,
} from './alarm-history.schema';
import {
  AlarmPathSchema,
  DevicePathSchema,
  FleetMetricsPageSchema,
  FleetThresholdsResponseSchema,
  GetAlarmsResponseSchema,
  GetFleetMetricsQuerySchema,
  GetMetricsQuerySchema,
  GetThresholdsResponseSchema,
  ProblemDetailsSchema,
  PutDeviceConfigRequestSchema,
  PutDeviceConfigResponseSchema,
  PutThresholdsRequestSchema,
  WindowMetricsPageSchema,
} from './api.schema';
import {
  CommandPathSchema,
  CommandResultPayloadSchema,
  CommandSchema,
  CommandStatusSchema,
  SendCommandRequestSchema,
} from './command.schema';
import { DeviceIdSchema } from './common.schema';
import {
  DeviceAttributesSchema,
  DeviceConfigViewSchema,
  DeviceConnectivitySchema,
  DeviceSchema,
  DevicesPageSchema,
  DeviceTypeSchema,
  ListDevicesQuerySchema,
  RegisterDeviceRequestSchema,
  RegisteredDeviceSchema,
  ShadowStateSchema,
} from './device.schema';
import { DeviceConfigurationSchema } from './device-config.schema';
import { FleetWindowMetricSchema } from './fleet-metric.schema';
import { GetTelemetryQuerySchema, TelemetryReadingSchema, TelemetryReadingsSchema } from './telemetry-reading.schema';
import { AppliedThresholdRuleSchema, ThresholdRuleSchema } from './threshold.schema';
import { WindowMetricSchema } from './window-metric.schema';

/*
 * The one list of the public REST API's routes, across every service that attaches routes to it. The OpenAPI
 * document (`GET /openapi.json`) is generated from it and from the same zod schemas the handlers validate with; a
 * test checks it against the `http` events of every service's serverless.yml, so a route cannot be added to one
 * without the other.
 */

/** The services that own routes of the REST API. */
export type ApiService = 'device-config-api' | 'alerting' | 'telemetry-analytics';

export type HttpMethod = 'get' | 'post' | 'put' | 'delete';

/** A header of a request or a response, documented once and used by several routes. */
export interface ApiHeader {
  name: string;
  description: string;
  required?: boolean;
  schema: Record<string, unknown>;
}

export interface ApiResponse {
  description: string;
  /** The JSON body; none for 204. */
  body?: z.ZodType;
  headers?: ApiHeader[];
}

/** One route of the REST API. */
export interface ApiRoute {
  service: ApiService;
  method: HttpMethod;
  /** As in serverless.yml, with a leading slash: `/devices/{deviceId}/config`. */
  path: string;
  /** The function's name in the service's serverless.yml. */
  operationId: string;
  summary: string;
  description?: string;
  /** False only for `/openapi.json`: every other route needs a Cognito ID token. */
  authenticated: boolean;
  pathParameters?: z.ZodObject;
  query?: z.ZodObject;
  requestHeaders?: ApiHeader[];
  requestBody?: z.ZodType;
  /** The success answers by status. */
  responses: Record<number, ApiResponse>;
  /** The statuses answered as problem details, beyond 401 and 500 which every authenticated route may give. */
  problems: number[];
}

/** `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header): a retried POST with the same key acts once. */
export const IDEMPOTENCY_KEY_HEADER: ApiHeader = {
  name: 'Idempotency-Key',
  description:
    'Makes a POST safe to retry: a request repeated with the same key (and the same body) within 24 hours acts ' +
    'once and gets the first answer again, with `Idempotent-Replayed: true`. The same key with another body is 422; ' +
    'the same key while the first request is still running is 409. 1 to 255 visible ASCII characters, quoted as a ' +
    'structured-field string or not; a UUID is a good choice.',
  schema: { type: 'string', minLength: 1, maxLength: 255 },
};

const IF_MATCH_HEADER: ApiHeader = {
  name: 'If-Match',
  description: 'The shadow version the change is based on (the `ETag` of the last read); 412 if the shadow moved on.',
  schema: { type: 'string', pattern: '^(W/)?"?\\d{1,15}"?$' },
};

const ETAG_HEADER: ApiHeader = {
  name: 'ETag',
  description: 'The shadow version, quoted; send it back as `If-Match`.',
  schema: { type: 'string' },
};

const LOCATION_HEADER: ApiHeader = {
  name: 'Location',
  description: 'The path of what was created.',
  schema: { type: 'string' },
};

const REPLAYED_HEADER: ApiHeader = {
  name: 'Idempotent-Replayed',
  description: '`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`.',
  schema: { type: 'string', enum: ['true'] },
};

const deviceRoute = { pathParameters: DevicePathSchema, authenticated: true } as const;

/** Every route of the REST API, in the order the document lists them. */
export const API_ROUTES: readonly ApiRoute[] = [
  {
    service: 'device-config-api',
    method: 'get',
    path: '/devices',
    operationId: 'listDevices',
    summary: "The caller's devices, with connection state, last seen time and shadow version.",
    authenticated: true,
    query: ListDevicesQuerySchema,
    responses: { 200: { description: 'A page of devices, by device id.', body: DevicesPageSchema } },
    problems: [400, 429],
  },
  {
    service: 'device-config-api',
    method: 'post',
    path: '/devices',
    operationId: 'registerDevice',
    summary:
      'Registers a device to the caller: its AWS IoT thing, a certificate and key pair (the private key is returned once and kept nowhere) with the device policy, and the MQTT endpoint.',
    authenticated: true,
    requestHeaders: [IDEMPOTENCY_KEY_HEADER],
    requestBody: RegisterDeviceRequestSchema,
    responses: {
      201: {
        description:
          'The registered device, its certificate and where it connects. A replayed answer (same Idempotency-Key) has no private key.',
        body: RegisteredDeviceSchema,
        headers: [LOCATION_HEADER, REPLAYED_HEADER],
      },
    },
    problems: [400, 409, 413, 415, 422, 429],
  },
  {
    service: 'device-config-api',
    method: 'get',
    path: '/devices/{deviceId}',
    operationId: 'getDevice',
    summary: 'One of the caller’s devices.',
    ...deviceRoute,
    responses: { 200: { description: 'The device.', body: DeviceSchema } },
    problems: [400, 403, 404, 429],
  },
  {
    service: 'device-config-api',
    method: 'delete',
    path: '/devices/{deviceId}',
    operationId: 'deleteDevice',
    summary: 'Deregisters a device: deletes its AWS IoT thing and shadow, and its ownership.',
    description: 'Certificates attached to the thing are detached, not deleted.',
    ...deviceRoute,
    responses: { 204: { description: 'The device is gone.' } },
    problems: [400, 403, 404, 429],
  },
  {
    service: 'device-config-api',
    method: 'get',
    path: '/devices/{deviceId}/config',
    operationId: 'getDeviceConfig',
    summary: 'The configuration in the device shadow: desired, reported, the pending delta, version, timestamps.',
    ...deviceRoute,
    responses: { 200: { description: 'The configuration.', body: DeviceConfigViewSchema, headers: [ETAG_HEADER] } },
    problems: [400, 403, 404, 429],
  },
  {
    service: 'device-config-api',
    method: 'put',
    path: '/devices/{deviceId}/config',
    operationId: 'putDeviceConfig',
    summary: 'Makes a configuration the desired state of the device shadow; the device receives the delta.',
    ...deviceRoute,
    requestHeaders: [IF_MATCH_HEADER],
    requestBody: PutDeviceConfigRequestSchema,
    responses: {
      200: { description: 'The new desired state.', body: PutDeviceConfigResponseSchema, headers: [ETAG_HEADER] },
    },
    problems: [400, 403, 404, 412, 413, 415, 429],
  },
  {
    service: 'device-config-api',
    method: 'post',
    path: '/devices/{deviceId}/commands',
    operationId: 'sendDeviceCommand',
    summary: 'Publishes a one-off command to the device on `devices/{deviceId}/commands` (QoS 1).',
    description:
      'The device answers on `devices/{deviceId}/commands/{commandId}/result`; read the answer with ' +
      '`GET /devices/{deviceId}/commands/{commandId}`.',
    ...deviceRoute,
    requestHeaders: [IDEMPOTENCY_KEY_HEADER],
    requestBody: SendCommandRequestSchema,
    responses: {
      202: {
        description: 'The command was sent; its result comes later.',
        body: CommandSchema,
        headers: [LOCATION_HEADER, REPLAYED_HEADER],
      },
    },
    problems: [400, 403, 404, 409, 413, 415, 422, 429],
  },
  {
    service: 'device-config-api',
    method: 'get',
    path: '/devices/{deviceId}/commands/{commandId}',
    operationId: 'getDeviceCommand',
    summary: 'A command sent to the device: its status and the device’s answer.',
    authenticated: true,
    pathParameters: CommandPathSchema,
    responses: { 200: { description: 'The command.', body: CommandSchema } },
    problems: [400, 403, 404, 429],
  },
  {
    service: 'device-config-api',
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document.',
    authenticated: false,
    responses: { 200: { description: 'The OpenAPI 3.1 document of the REST API.' } },
    problems: [],
  },
  {
    service: 'alerting',
    method: 'put',
    path: '/devices/{deviceId}/thresholds',
    operationId: 'putDeviceThresholds',
    summary: 'Replaces the threshold rules of one device; answers the rules that now apply.',
    ...deviceRoute,
    requestBody: PutThresholdsRequestSchema,
    responses: { 200: { description: 'The rules that apply.', body: GetThresholdsResponseSchema } },
    problems: [400, 403, 404, 415],
  },
  {
    service: 'alerting',
    method: 'get',
    path: '/devices/{deviceId}/thresholds',
    operationId: 'getDeviceThresholds',
    summary: 'The threshold rules that apply to one device: its own, and the fleet defaults for its other metrics.',
    ...deviceRoute,
    responses: { 200: { description: 'The rules that apply.', body: GetThresholdsResponseSchema } },
    problems: [400, 403, 404],
  },
  {
    service: 'alerting',
    method: 'delete',
    path: '/devices/{deviceId}/thresholds',
    operationId: 'deleteDeviceThresholds',
    summary: 'Removes the threshold rules of one device, leaving it to the fleet defaults; answers what now applies.',
    ...deviceRoute,
    responses: { 200: { description: 'The rules that apply.', body: GetThresholdsResponseSchema } },
    problems: [400, 403, 404],
  },
  {
    service: 'alerting',
    method: 'put',
    path: '/fleet/thresholds',
    operationId: 'putFleetThresholds',
    summary: 'Replaces the fleet-wide default threshold rules.',
    description: "They apply to every user's devices: for members of the `fleet-operators` user pool group only.",
    authenticated: true,
    requestBody: PutThresholdsRequestSchema,
    responses: { 200: { description: 'The fleet defaults.', body: FleetThresholdsResponseSchema } },
    problems: [400, 403, 415],
  },
  {
    service: 'alerting',
    method: 'get',
    path: '/fleet/thresholds',
    operationId: 'getFleetThresholds',
    summary: 'The fleet-wide default threshold rules.',
    authenticated: true,
    responses: { 200: { description: 'The fleet defaults.', body: FleetThresholdsResponseSchema } },
    problems: [],
  },
  {
    service: 'alerting',
    method: 'get',
    path: '/devices/{deviceId}/alarms',
    operationId: 'getDeviceAlarms',
    summary: 'The current alarm of each evaluated metric of one device.',
    ...deviceRoute,
    responses: { 200: { description: 'The alarms.', body: GetAlarmsResponseSchema } },
    problems: [400, 403, 404],
  },
  {
    service: 'alerting',
    method: 'get',
    path: '/devices/{deviceId}/alarms/history',
    operationId: 'getDeviceAlarmHistory',
    summary: "The changes of state of one device's alarms, newest first.",
    ...deviceRoute,
    query: GetAlarmHistoryQuerySchema,
    responses: { 200: { description: 'A page of alarm changes.', body: AlarmHistoryPageSchema } },
    problems: [400, 403, 404],
  },
  {
    service: 'alerting',
    method: 'get',
    path: '/alarms',
    operationId: 'listAlarms',
    summary: 'The alarms of the whole fleet in one state (default ALARM), the most recently changed first.',
    authenticated: true,
    query: ListAlarmsQuerySchema,
    responses: { 200: { description: 'A page of alarms.', body: AlarmsPageSchema } },
    problems: [400],
  },
  {
    service: 'alerting',
    method: 'post',
    path: '/devices/{deviceId}/alarms/{metric}/ack',
    operationId: 'acknowledgeAlarm',
    summary: 'Acknowledges an alarm (stops its reminders); acknowledging again answers the first acknowledgement.',
    authenticated: true,
    pathParameters: AlarmPathSchema,
    responses: { 200: { description: 'The acknowledged alarm.', body: AlarmSchema } },
    problems: [400, 403, 404, 409],
  },
  {
    service: 'telemetry-analytics',
    method: 'get',
    path: '/devices/{deviceId}/metrics',
    operationId: 'getDeviceMetrics',
    summary: "A device's window metrics in a time range (default: the last day), oldest first.",
    ...deviceRoute,
    query: GetMetricsQuerySchema,
    responses: { 200: { description: 'A page of window metrics.', body: WindowMetricsPageSchema } },
    problems: [400, 403, 404],
  },
  {
    service: 'telemetry-analytics',
    method: 'get',
    path: '/devices/{deviceId}/telemetry',
    operationId: 'getDeviceTelemetry',
    summary: "A device's recent raw readings (kept for an hour by default), oldest first.",
    description:
      'Every telemetry message of the device as it arrived, newest `limit` at or after `from`, for live charts. ' +
      'Readings are recorded only for devices someone watches: this read marks the device watched until ' +
      '`watchedUntil` (10 minutes by default, extended by later reads), and its readings are recorded from then on. ' +
      'An empty `items` with `watchedUntil` ahead means recording has just started. ' +
      'Older readings are in the window metrics and the raw archive.',
    ...deviceRoute,
    query: GetTelemetryQuerySchema,
    responses: { 200: { description: 'The recent readings.', body: TelemetryReadingsSchema } },
    problems: [400, 403, 404],
  },
  {
    service: 'telemetry-analytics',
    method: 'get',
    path: '/fleet/metrics',
    operationId: 'getFleetMetrics',
    summary: "The fleet's window metrics in a time range (default: the last day), oldest first.",
    description: "They aggregate every user's devices: for members of the `fleet-operators` user pool group only.",
    authenticated: true,
    query: GetFleetMetricsQuerySchema,
    responses: { 200: { description: 'A page of fleet window metrics.', body: FleetMetricsPageSchema } },
    problems: [400, 403],
  },
];

/**
 * The named schemas of the document (`#/components/schemas/<name>`). Every request and response body of a route
 * must be one of them; a schema used inside another is referenced rather than repeated.
 */
export const API_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  ProblemDetails: ProblemDetailsSchema,
  DeviceId: DeviceIdSchema,
  DeviceType: DeviceTypeSchema,
  DeviceAttributes: DeviceAttributesSchema,
  DeviceConnectivity: DeviceConnectivitySchema,
  Device: DeviceSchema,
  RegisteredDevice: RegisteredDeviceSchema,
  DevicesPage: DevicesPageSchema,
  RegisterDeviceRequest: RegisterDeviceRequestSchema,
  ShadowState: ShadowStateSchema,
  DeviceConfigView: DeviceConfigViewSchema,
  DeviceConfiguration: DeviceConfigurationSchema,
  PutDeviceConfigRequest: PutDeviceConfigRequestSchema,
  PutDeviceConfigResponse: PutDeviceConfigResponseSchema,
  SendCommandRequest: SendCommandRequestSchema,
  CommandStatus: CommandStatusSchema,
  CommandResult: CommandResultPayloadSchema,
  Command: CommandSchema,
  ThresholdRule: ThresholdRuleSchema,
  AppliedThresholdRule: AppliedThresholdRuleSchema,
  PutThresholdsRequest: PutThresholdsRequestSchema,
  GetThresholdsResponse: GetThresholdsResponseSchema,
  Alarm: AlarmSchema,
  FleetThresholdsResponse: FleetThresholdsResponseSchema,
  GetAlarmsResponse: GetAlarmsResponseSchema,
  AlarmHistoryEntry: AlarmHistoryEntrySchema,
  AlarmHistoryPage: AlarmHistoryPageSchema,
  AlarmsPage: AlarmsPageSchema,
  WindowMetric: WindowMetricSchema,
  WindowMetricsPage: WindowMetricsPageSchema,
  FleetWindowMetric: FleetWindowMetricSchema,
  FleetMetricsPage: FleetMetricsPageSchema,
  TelemetryReading: TelemetryReadingSchema,
  TelemetryReadings: TelemetryReadingsSchema,
};

const STATUS_TEXT: Record<number, string> = {
  400: 'The request is malformed; `errors` names each failing field.',
  401: 'No valid Cognito ID token in `Authorization`.',
  403: 'The device belongs to another user, or the route is for members of a user pool group the caller is not in.',
  404: 'No such device, command or alarm.',
  409: 'A conflict: already registered, a request with this `Idempotency-Key` still running, an alarm acknowledged by someone else.',
  412: 'The shadow is no longer at the `If-Match` version.',
  413: 'The body is too large.',
  415: 'The body is not JSON.',
  422: 'This `Idempotency-Key` was used with another request.',
  429: 'Too many requests; retry after `Retry-After` seconds.',
  500: 'Something failed on the server; nothing is revealed about it.',
};

type JsonObject = Record<string, unknown>;

/** An OpenAPI 3.1 document (the parts this module writes). */
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description?: string };
  jsonSchemaDialect: string;
  servers?: Array<{ url: string; description?: string }>;
  tags: Array<{ name: string; description: string }>;
  paths: Record<string, Record<string, JsonObject>>;
  components: {
    schemas: Record<string, JsonObject>;
    securitySchemes: Record<string, JsonObject>;
    responses: Record<string, JsonObject>;
  };
}

export interface OpenApiOptions {
  /** The API's base URL, e.g. `https://abc.execute-api.us-east-1.amazonaws.com/dev`. */
  serverUrl?: string;
  version?: string;
}

const SCHEMA_REF_PREFIX = '#/components/schemas/';

/** The JSON Schemas of the named schemas, referencing one another by `$ref`. */
function componentSchemas(): { schemas: Record<string, JsonObject>; nameOf: Map<z.ZodType, string> } {
  const registry = z.registry<{ id: string }>();
  const nameOf = new Map<z.ZodType, string>();
  for (const [name, schema] of Object.entries(API_SCHEMAS)) {
    registry.add(schema, { id: name });
    nameOf.set(schema, name);
  }
  const converted = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'output',
    unrepresentable: 'any',
    uri: (id) => `${SCHEMA_REF_PREFIX}${id}`,
  }).schemas as Record<string, JsonObject>;
  const schemas: Record<string, JsonObject> = {};
  for (const [name, schema] of Object.entries(converted)) {
    // The document's own dialect applies; an `$id` of a bare fragment is not a valid 2020-12 identifier.
    const { $schema: _dialect, $id: _id, ...rest } = schema;
    schemas[name] = rest;
  }
  return { schemas, nameOf };
}

/** The properties of an object schema as OpenAPI parameters. */
function parameters(where: 'path' | 'query', schema: z.ZodObject | undefined): JsonObject[] {
  if (!schema) return [];
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as JsonObject;
  const properties = (json.properties ?? {}) as Record<string, JsonObject>;
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: propertySchema,
    };
  });
}

function headerObjects(headers: ApiHeader[] | undefined): JsonObject | undefined {
  if (!headers?.length) return undefined;
  return Object.fromEntries(
    headers.map((header) => [header.name, { description: header.description, schema: header.schema }]),
  );
}

/**
 * The OpenAPI 3.1 document of the whole REST API, generated from {@link API_ROUTES} and the zod schemas the handlers
 * validate with.
 */
export function buildOpenApiDocument(options: OpenApiOptions = {}): OpenApiDocument {
  const { schemas, nameOf } = componentSchemas();
  const ref = (schema: z.ZodType, where: string) => {
    const name = nameOf.get(schema);
    if (!name) throw new Error(`${where}: the schema is not one of API_SCHEMAS; add it there under a name`);
    return { $ref: `${SCHEMA_REF_PREFIX}${name}` };
  };

  const paths: OpenApiDocument['paths'] = {};
  for (const route of API_ROUTES) {
    const where = `${route.method.toUpperCase()} ${route.path}`;
    const responses: Record<string, JsonObject> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      const headers = headerObjects(response.headers);
      responses[status] = {
        description: response.description,
        ...(headers ? { headers } : {}),
        ...(response.body
          ? { content: { 'application/json': { schema: ref(response.body, `${where} ${status}`) } } }
          : route.operationId === 'getOpenApiDocument'
            ? { content: { 'application/json': { schema: { type: 'object' } } } }
            : {}),
      };
    }
    const problems = new Set([...route.problems, ...(route.authenticated ? [401] : []), 500]);
    for (const status of [...problems].sort((a, b) => a - b))
      responses[String(status)] = { $ref: `#/components/responses/Problem${status}` };

    const operation: JsonObject = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.service],
      security: route.authenticated ? [{ cognito: [] }] : [],
      parameters: [
        ...parameters('path', route.pathParameters),
        ...parameters('query', route.query),
        ...(route.requestHeaders ?? []).map((header) => ({
          name: header.name,
          in: 'header',
          required: header.required ?? false,
          description: header.description,
          schema: header.schema,
        })),
      ],
      ...(route.requestBody
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: ref(route.requestBody, `${where} request body`) } },
            },
          }
        : {}),
      responses,
    };
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, JsonObject>)[route.method] = operation;
  }

  const problemResponses: Record<string, JsonObject> = {};
  for (const [status, description] of Object.entries(STATUS_TEXT)) {
    problemResponses[`Problem${status}`] = {
      description,
      ...(status === '429' ? { headers: { 'Retry-After': { schema: { type: 'integer', minimum: 0 } } } } : {}),
      content: { 'application/problem+json': { schema: { $ref: `${SCHEMA_REF_PREFIX}ProblemDetails` } } },
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'IoT backend REST API',
      version: options.version ?? '1.0.0',
      description:
        'The REST API of the mobile app and the dashboard: devices, their configuration (device shadow) and ' +
        'commands, thresholds and alarms, and window metrics. Errors are RFC 9457 problem details.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    tags: [
      { name: 'device-config-api', description: 'Devices, configuration and commands (iot-device-config-api).' },
      { name: 'alerting', description: 'Thresholds and alarms (iot-alerting).' },
      { name: 'telemetry-analytics', description: 'Window metrics (iot-telemetry-analytics).' },
    ],
    paths,
    components: {
      schemas,
      securitySchemes: {
        cognito: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'A Cognito user pool ID token in `Authorization`, as it is or after `Bearer `. Locally, the token ' +
            'issuer of the local cloud signs it.',
        },
      },
      responses: problemResponses,
    },
  };
}
