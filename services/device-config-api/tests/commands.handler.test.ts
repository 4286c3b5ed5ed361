/**
 * POST /devices/{deviceId}/commands, GET /devices/{deviceId}/commands/{commandId} and the two functions the IoT rules
 * invoke (command results, lifecycle events), on a real DynamoDB (dynalite) with the tables of serverless.yml.
 *
 * Publish goes through the adapters' real IoT data plane client to the local cloud's IoT data plane, started
 * in-process; the tests read what reached the IoT Core from its record of publishes.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createLogger } from '@iot/lambda-kit';
import { closedEndpoint, type LocalAws, type RecordedPublish } from '@iot/testing/local-aws';
import { CommandMessageSchema, CommandSchema, ProblemDetailsSchema } from '@iot/types';
import { createGetDeviceCommandHandler } from '../src/handlers/get-device-command';
import { createRecordCommandResultHandler } from '../src/handlers/record-command-result';
import { createRecordDevicePresenceHandler } from '../src/handlers/record-device-presence';
import { createSendDeviceCommandHandler } from '../src/handlers/send-device-command';
import {
  ALICE,
  adapters,
  BOB,
  bodyOf,
  call,
  deviceRecord,
  fixture,
  request,
  startLocalIot,
  startTables,
  type TestTables,
  type User,
} from './support';

let iot: LocalAws;
/** Where the adapters' IoT clients go: the local IoT of the test. */
let iotEndpoint: string;
const NOW = 1_767_225_600_000;
const COMMAND_ID = '3b0e7c2a-9d41-4f6e-8a5b-2c1d0e9f8a7b';
let tables: TestTables;
let clock = NOW;
let ids: string[] = [];

beforeAll(async () => {
  tables = await startTables();
});
afterAll(() => tables.dynamo.stop());
beforeEach(async () => {
  iot = await startLocalIot();
  iotEndpoint = iot.url;
  clock = NOW;
  ids = [COMMAND_ID, '9e8d7c6b-5a49-4382-9716-0a1b2c3d4e5f'];
  await tables.reset();
  await tables.documents.send(
    new PutCommand({ TableName: tables.names.devices, Item: deviceRecord('sensor-1', ALICE) }),
  );
});
afterEach(() => iot.stop());

const handlers = () => {
  const deps = { ...adapters(tables, { now: () => clock, iotEndpoint }), retentionDays: 30, now: () => clock };
  return {
    send: createSendDeviceCommandHandler({ ...deps, newCommandId: () => ids.shift() ?? 'no-more-ids' }),
    get: createGetDeviceCommandHandler(deps),
    recordResult: createRecordCommandResultHandler({ ...deps, logger: createLogger('test') }),
    recordPresence: createRecordDevicePresenceHandler({ ...deps, logger: createLogger('test') }),
  };
};

const send = (as: User, deviceId: string, body: unknown, headers: Record<string, string> = {}) =>
  call(
    handlers().send,
    request(as, {
      method: 'POST',
      resource: '/devices/{deviceId}/commands',
      pathParameters: { deviceId },
      body,
      headers,
    }),
  );

const getCommand = (as: User, deviceId: string, commandId: string) =>
  call(
    handlers().get,
    request(as, {
      method: 'GET',
      resource: '/devices/{deviceId}/commands/{commandId}',
      pathParameters: { deviceId, commandId },
    }),
  );

/** What reached the IoT Core through Publish, in order. */
function published(): { input: Omit<RecordedPublish, 'payload'>; message: unknown }[] {
  return iot.published.map(({ payload, ...input }) => ({ input, message: JSON.parse(payload) }));
}

describe('POST /devices/{deviceId}/commands', () => {
  it('publishes the command with QoS 1 on devices/{deviceId}/commands and answers 202 with its id (fixture)', async () => {
    // Act
    const response = await call(handlers().send, fixture('send-device-command'));

    // Assess
    expect(response.statusCode).toBe(202);
    expect(response.headers?.location).toBe(`/devices/sensor-1/commands/${COMMAND_ID}`);
    expect(CommandSchema.parse(bodyOf(response))).toEqual({
      commandId: COMMAND_ID,
      deviceId: 'sensor-1',
      name: 'identify',
      parameters: { durationSeconds: 10 },
      status: 'sent',
      requestedAt: NOW,
      sentAt: NOW,
      deadline: NOW + 30_000,
    });
    const [publish] = published();
    expect(publish?.input).toMatchObject({ topic: 'devices/sensor-1/commands', qos: 1 });
    expect(CommandMessageSchema.parse(publish?.message)).toEqual({
      commandId: COMMAND_ID,
      name: 'identify',
      parameters: { durationSeconds: 10 },
      issuedAt: NOW,
      deadline: NOW + 30_000,
    });
    expect(await tables.scan('commands')).toEqual([
      expect.objectContaining({ commandId: COMMAND_ID, status: 'sent', ownerId: ALICE.sub }),
    ]);
  });

  it('publishes once for a retried request with the same Idempotency-Key, answering the same command', async () => {
    // Prepare
    const body = { name: 'reboot', parameters: { delaySeconds: 5 } };
    const first = await send(ALICE, 'sensor-1', body, { 'Idempotency-Key': 'reboot-1' });
    clock += 2000;

    // Act
    const retry = await send(ALICE, 'sensor-1', body, { 'Idempotency-Key': 'reboot-1' });

    // Assess
    expect(retry.statusCode).toBe(202);
    expect(bodyOf(retry)).toEqual(bodyOf(first));
    expect(retry.headers?.['idempotent-replayed']).toBe('true');
    expect(published()).toHaveLength(1);
    expect(await tables.scan('commands')).toHaveLength(1);
  });

  it('answers 422 for the same Idempotency-Key with another command, publishing nothing more', async () => {
    // Prepare
    await send(ALICE, 'sensor-1', { name: 'reboot' }, { 'Idempotency-Key': 'k' });

    // Act
    const response = await send(ALICE, 'sensor-1', { name: 'identify' }, { 'Idempotency-Key': 'k' });

    // Assess
    expect(response.statusCode).toBe(422);
    expect(published()).toHaveLength(1);
  });

  it('treats the same key on another device as another request (422)', async () => {
    // Prepare
    await tables.documents.send(
      new PutCommand({ TableName: tables.names.devices, Item: deviceRecord('sensor-2', ALICE) }),
    );
    await send(ALICE, 'sensor-1', { name: 'reboot' }, { 'Idempotency-Key': 'k' });

    // Act
    const response = await send(ALICE, 'sensor-2', { name: 'reboot' }, { 'Idempotency-Key': 'k' });

    // Assess
    expect(response.statusCode).toBe(422);
  });

  it("refuses another user's device (403, whatever the body) and a device that does not exist (404), publishing nothing", async () => {
    // Act
    const others = await send(BOB, 'sensor-1', { name: 'reboot' });
    const othersBadBody = await send(BOB, 'sensor-1', { name: 'selfDestruct' });
    const missing = await send(ALICE, 'sensor-9', { name: 'reboot' });

    // Assess
    expect([others.statusCode, othersBadBody.statusCode, missing.statusCode]).toEqual([403, 403, 404]);
    expect(published()).toHaveLength(0);
    expect(await tables.scan('commands')).toEqual([]);
  });

  it.each([
    ['an unknown command', { name: 'selfDestruct' }, 'body.name'],
    ['a parameter of another command', { name: 'reboot', parameters: { durationSeconds: 5 } }, 'body.parameters'],
    ['a timeout under 5 s', { name: 'identify', timeoutSeconds: 1 }, 'body.timeoutSeconds'],
    ['a repeated sensor', { name: 'sampleNow', parameters: { sensors: ['t', 't'] } }, 'body.parameters.sensors'],
  ])('rejects %s with a 400 naming the field, publishing and storing nothing', async (_, body, path) => {
    // Act
    const response = await send(ALICE, 'sensor-1', body, { 'Idempotency-Key': 'k' });

    // Assess
    expect(response.statusCode).toBe(400);
    expect(ProblemDetailsSchema.parse(bodyOf(response)).errors?.map((e) => e.path)).toContain(path);
    expect(published()).toHaveLength(0);
    expect(await tables.scan('commands')).toEqual([]);
    expect(await tables.scan('idempotency')).toEqual([]);
  });

  it('rejects an oversized body with a 413', async () => {
    // Act
    const response = await send(ALICE, 'sensor-1', `{"name":"reboot","x":"${'y'.repeat(20_000)}"}`);

    // Assess
    expect(response.statusCode).toBe(413);
    expect(published()).toHaveLength(0);
  });

  it('forgets the command when it could not be published, and answers 500', async () => {
    // Prepare: an IoT data plane endpoint where nothing listens.
    iotEndpoint = await closedEndpoint();

    // Act
    const response = await send(ALICE, 'sensor-1', { name: 'reboot' }, { 'Idempotency-Key': 'k' });

    // Assess
    expect(response.statusCode).toBe(500);
    expect(await tables.scan('commands')).toEqual([]);
    expect(await tables.scan('idempotency')).toEqual([]);
  });
});

describe('GET /devices/{deviceId}/commands/{commandId} and the result rule', () => {
  it('shows the device result recorded by the result rule (fixtures)', async () => {
    // Prepare
    await send(ALICE, 'sensor-1', { name: 'identify', parameters: { durationSeconds: 10 }, timeoutSeconds: 30 });
    const event = JSON.parse(JSON.stringify(fixture('record-command-result')));

    // Act
    await handlers().recordResult(event);
    const response = await call(handlers().get, fixture('get-device-command'));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(CommandSchema.parse(bodyOf(response))).toMatchObject({
      commandId: COMMAND_ID,
      status: 'succeeded',
      completedAt: 1_767_225_605_000,
      result: { output: { identified: true } },
    });
    const [device] = await tables.scan('devices');
    expect(device?.lastSeenAt).toBe(1_767_225_605_000);
  });

  it('keeps the first answer of the device', async () => {
    // Prepare
    await send(ALICE, 'sensor-1', { name: 'reboot' });
    const answer = { deviceId: 'sensor-1', commandId: COMMAND_ID, receivedAt: NOW + 1000 };
    await handlers().recordResult({ ...answer, status: 'rejected', error: { code: 'BUSY', message: 'updating' } });

    // Act
    await handlers().recordResult({ ...answer, status: 'succeeded', receivedAt: NOW + 2000 });

    // Assess
    expect(bodyOf(await getCommand(ALICE, 'sensor-1', COMMAND_ID))).toMatchObject({
      status: 'rejected',
      result: { error: { code: 'BUSY', message: 'updating' } },
    });
  });

  it('shows a command without an answer past its deadline as timed out, and a late answer once it comes', async () => {
    // Prepare
    await send(ALICE, 'sensor-1', { name: 'reboot', timeoutSeconds: 5 });
    clock = NOW + 6000;

    // Act
    const late = bodyOf(await getCommand(ALICE, 'sensor-1', COMMAND_ID));
    await handlers().recordResult({
      deviceId: 'sensor-1',
      commandId: COMMAND_ID,
      receivedAt: clock,
      status: 'succeeded',
    });
    const answered = bodyOf(await getCommand(ALICE, 'sensor-1', COMMAND_ID));

    // Assess
    expect(late.status).toBe('timedOut');
    expect(answered.status).toBe('succeeded');
  });

  it.each([
    ['not an object', 'hello'],
    ['an unknown status', { deviceId: 'sensor-1', commandId: COMMAND_ID, receivedAt: NOW, status: 'maybe' }],
    ['a command id that is not one', { deviceId: 'sensor-1', commandId: 'x', receivedAt: NOW, status: 'failed' }],
  ])('drops an answer that is %s without failing', async (_, event) => {
    // Prepare
    await send(ALICE, 'sensor-1', { name: 'reboot' });

    // Act
    await handlers().recordResult(event);

    // Assess
    expect(bodyOf(await getCommand(ALICE, 'sensor-1', COMMAND_ID)).status).toBe('sent');
  });

  it('ignores an answer to a command that does not exist', async () => {
    // Act
    await handlers().recordResult({ deviceId: 'sensor-1', commandId: COMMAND_ID, receivedAt: NOW, status: 'failed' });

    // Assess
    expect(await tables.scan('commands')).toEqual([]);
  });

  it('answers 404 for an unknown command, 403 for a command of another user’s device, 400 for a bad id', async () => {
    // Prepare
    await send(ALICE, 'sensor-1', { name: 'reboot' });

    // Act
    const unknown = await getCommand(ALICE, 'sensor-1', '00000000-0000-4000-8000-000000000000');
    const others = await getCommand(BOB, 'sensor-1', COMMAND_ID);
    const malformed = await getCommand(ALICE, 'sensor-1', 'not-a-uuid');

    // Assess
    expect([unknown.statusCode, others.statusCode, malformed.statusCode]).toEqual([404, 403, 400]);
    expect(bodyOf(malformed).errors[0].path).toBe('path.commandId');
  });
});

describe('the device presence rule', () => {
  const device = async () => (await tables.scan('devices'))[0];

  it('records a disconnection with its reason and the last seen time (fixture)', async () => {
    // Act
    await handlers().recordPresence(JSON.parse(JSON.stringify(fixture('record-device-presence'))));

    // Assess
    expect(await device()).toMatchObject({
      connectivity: { state: 'disconnected', since: 1_767_229_200_000, disconnectReason: 'MQTT_KEEP_ALIVE_TIMEOUT' },
      lastSeenAt: 1_767_229_200_000,
    });
  });

  it('ignores an event older than the one applied (lifecycle events may arrive out of order)', async () => {
    // Prepare
    await handlers().recordPresence({
      clientId: 'sensor-1',
      eventType: 'connected',
      timestamp: NOW + 2000,
      versionNumber: 2,
    });

    // Act
    await handlers().recordPresence({
      clientId: 'sensor-1',
      eventType: 'disconnected',
      timestamp: NOW + 1000,
      versionNumber: 1,
    });

    // Assess
    expect(await device()).toMatchObject({
      connectivity: { state: 'connected', since: NOW + 2000 },
      lastSeenAt: NOW + 2000,
    });
  });

  it('creates nothing for a client that is not a registered device', async () => {
    // Act
    await handlers().recordPresence({ clientId: 'dashboard-tab-1', eventType: 'connected', timestamp: NOW });

    // Assess
    expect((await tables.scan('devices')).map((d) => d.deviceId)).toEqual(['sensor-1']);
  });
});
