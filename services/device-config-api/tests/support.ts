/**
 * What the handler tests share: a real DynamoDB (dynalite) with the tables of serverless.yml, the local cloud's AWS
 * IoT control plane (thing registry) and data plane (Device Shadow service, Publish) started in-process behind one
 * edge endpoint, requests as API Gateway sends them after the Cognito authorizer, and the fixtures of tests/fixtures.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createLogger, Idempotency } from '@iot/lambda-kit';
import {
  type ApiRequest,
  apiGatewayProxyEvent,
  createTableFromServerlessYml,
  type LocalDynamoDb,
  lambdaContext,
  parseServerlessYml,
  startLocalDynamoDb,
} from '@iot/testing';
import { type LocalAws, startLocalAwsServices } from '@iot/testing/local-aws';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { DynamoDbCommandStore } from '../src/adapters/dynamodb-command-store';
import { DynamoDbDeviceStore } from '../src/adapters/dynamodb-device-store';
import { createDocumentClient } from '../src/adapters/dynamodb-document-client';
import { DynamoDbIdempotencyStore } from '../src/adapters/dynamodb-idempotency-store';
import { IotDataCommandPublisher } from '../src/adapters/iot-data-command-publisher';
import { IotDataDeviceShadow } from '../src/adapters/iot-data-device-shadow';
import { IotDeviceCredentials } from '../src/adapters/iot-device-credentials';
import { IotThingRegistry } from '../src/adapters/iot-thing-registry';
import type { DeviceRecord } from '../src/domain/devices';

export const SERVICE_DIR = join(__dirname, '..');
export const DASHBOARD_ORIGIN = 'https://dashboard.example.com';

/** Two users of the pool. */
export const ALICE = { sub: '7f1c3a52-1b9e-4c55-9d0f-0a1b2c3d4e5f', username: 'alice', email: 'alice@example.com' };
export const BOB = { sub: '0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70', username: 'bob', email: 'bob@example.com' };
export type User = typeof ALICE;

/** The claims a COGNITO_USER_POOLS authorizer puts in the event: every value a string, as API Gateway gives them. */
export function claimsOf(user: User): Record<string, string> {
  return {
    sub: user.sub,
    'cognito:username': user.username,
    email: user.email,
    email_verified: 'true',
    token_use: 'id',
    aud: '5q2k3l4m5n6o7p8q9r0s1t2u3v',
    iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI',
    auth_time: '1767225600',
    iat: 'Thu Jan 01 00:00:00 UTC 2026',
    exp: 'Thu Jan 01 01:00:00 UTC 2026',
  };
}

/** A request as it reaches the function behind the authorizer; `as: undefined` for one without claims. */
export function request(
  as: User | undefined,
  input: ApiRequest & { headers?: Record<string, string> },
): APIGatewayProxyEvent {
  const event = apiGatewayProxyEvent(input);
  if (as) event.requestContext.authorizer = { claims: claimsOf(as) };
  return event;
}

/** An API Gateway event from tests/fixtures, as `serverless invoke local -p` sends it. */
export function fixture(name: string): APIGatewayProxyEvent {
  return JSON.parse(readFileSync(join(SERVICE_DIR, 'tests', 'fixtures', `${name}.json`), 'utf8'));
}

export type Handler = (event: APIGatewayProxyEvent, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

/** Calls a middy handler and types its answer. */
export async function call(handler: Handler, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  return (await handler(event, lambdaContext())) as APIGatewayProxyResult;
}

export const bodyOf = (response: APIGatewayProxyResult) => JSON.parse(response.body);

/** The tables of serverless.yml, created under fresh names in one dynalite. */
export interface TestTables {
  dynamo: LocalDynamoDb;
  names: { devices: string; commands: string; idempotency: string };
  documents: ReturnType<typeof createDocumentClient>;
  /** Every item of a table, to check that a refused request changed nothing. */
  scan(table: keyof TestTables['names']): Promise<Record<string, unknown>[]>;
  /** Creates fresh, empty tables (each test starts from none). */
  reset(): Promise<void>;
}

let generation = 0;

export async function startTables(): Promise<TestTables> {
  const dynamo = await startLocalDynamoDb();
  const documents = createDocumentClient(dynamo.client);
  const tables: TestTables = {
    dynamo,
    documents,
    names: { devices: '', commands: '', idempotency: '' },
    async scan(table) {
      const { Items = [] } = await documents.send(new ScanCommand({ TableName: tables.names[table] }));
      return Items;
    },
    async reset() {
      generation += 1;
      tables.names = {
        devices: `devices-${generation}`,
        commands: `commands-${generation}`,
        idempotency: `idempotency-${generation}`,
      };
      await createTableFromServerlessYml(dynamo.client, SERVICE_DIR, 'DevicesTable', tables.names.devices);
      await createTableFromServerlessYml(dynamo.client, SERVICE_DIR, 'CommandsTable', tables.names.commands);
      await createTableFromServerlessYml(dynamo.client, SERVICE_DIR, 'IdempotencyTable', tables.names.idempotency);
    },
  };
  return tables;
}

/** The local IoT control and data planes; the shadow service's clock is `now()` when given. */
export async function startLocalIot(options: { now?: () => number } = {}): Promise<LocalAws> {
  const iot = await startLocalAwsServices({ iot: true, iotData: true, ...options });
  iot.policies.createPolicy(DEVICE_POLICY, devicePolicyDocument());
  return iot;
}

/** The DevicePolicy of serverless.yml, its `Fn::Sub`s resolved for the local account in us-east-1. */
export function devicePolicyDocument(): string {
  const yml = parseServerlessYml(readFileSync(join(SERVICE_DIR, 'serverless.yml'), 'utf8'));
  const document = yml.resources?.Resources?.DevicePolicy?.Properties?.PolicyDocument;
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': 'us-east-1',
    'AWS::AccountId': '000000000000',
  };
  const sub = (text: string) =>
    text.replace(/\$\{(!?)([^}]+)\}/g, (_, escaped: string, name: string) =>
      escaped ? `\${${name}}` : (pseudo[name] ?? name),
    );
  return JSON.stringify(document, (_key, value: unknown) =>
    value && typeof value === 'object' && 'Fn::Sub' in value ? sub((value as { 'Fn::Sub': string })['Fn::Sub']) : value,
  );
}

/** The device policy the tests' registrations attach (created by {@link startLocalIot}). */
export const DEVICE_POLICY = 'iot-test-device';

/** Where the IoT clients go when a test gives none: nowhere, so that a call a test did not expect fails. */
const NO_ENDPOINT = 'http://127.0.0.1:9';

/**
 * The real adapters over the test tables, their IoT clients pointed at `iotEndpoint` (the local IoT started by
 * `startLocalIot`) with dummy credentials.
 */
export function adapters(tables: TestTables, options: { now?: () => number; iotEndpoint?: string } = {}) {
  const config = {
    endpoint: options.iotEndpoint ?? NO_ENDPOINT,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  };
  const iot = new IoTClient(config);
  const iotData = new IoTDataPlaneClient(config);
  return {
    devices: new DynamoDbDeviceStore(tables.documents, tables.names.devices),
    commands: new DynamoDbCommandStore(tables.documents, tables.names.commands),
    idempotency: new Idempotency({
      store: new DynamoDbIdempotencyStore(tables.documents, tables.names.idempotency),
      ...(options.now ? { now: options.now } : {}),
    }),
    things: new IotThingRegistry(iot, [1, 1]),
    credentials: new IotDeviceCredentials(iot, DEVICE_POLICY),
    shadows: new IotDataDeviceShadow(iotData),
    publisher: new IotDataCommandPublisher(iotData),
    logger: createLogger('test'),
    corsOrigin: DASHBOARD_ORIGIN,
  };
}

/** A registered device of `owner`, written straight into the devices table. */
export function deviceRecord(deviceId: string, owner: User, extra: Partial<DeviceRecord> = {}): DeviceRecord {
  return {
    deviceId,
    ownerId: owner.sub,
    type: 'sensor',
    attributes: { site: 'greenhouse-1' },
    registeredAt: 1_767_225_600_000,
    thingArn: `arn:aws:iot:us-east-1:000000000000:thing/${deviceId}`,
    ...extra,
  };
}
