import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConflictException,
  DeleteConnectionCommand,
  DeleteThingShadowCommand,
  GetRetainedMessageCommand,
  GetThingShadowCommand,
  InvalidRequestException,
  IoTDataPlaneClient,
  ListNamedShadowsForThingCommand,
  ListRetainedMessagesCommand,
  MethodNotAllowedException,
  PublishCommand,
  RequestEntityTooLargeException,
  ResourceNotFoundException,
  UnsupportedDocumentEncodingException,
  UpdateThingShadowCommand,
} from '@aws-sdk/client-iot-data-plane';
import { type EdgeServer, startEdgeServer } from '../../../src/edge/edge-server';
import { type ClientDisconnector, IotDataPlaneService, type RetainedMessageReader } from '../../../src/iot/data-plane';
import { DeviceShadowService } from '../../../src/iot/shadow';
import { RecordingPublisher } from '../shadow/recording-publisher';

const silent = { warn: () => undefined, error: () => undefined };
const encode = (body: unknown) => new TextEncoder().encode(JSON.stringify(body));
const decode = (payload: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(payload));

interface LocalIotData {
  edge: EdgeServer;
  client: IoTDataPlaneClient;
  publisher: RecordingPublisher;
  shadows: DeviceShadowService;
  stop(): Promise<void>;
}

/** The data plane and the shadow service behind a real edge endpoint, with a recording broker and an SDK client. */
async function startLocalIotData(
  options: { dataDir?: string; retainedMessages?: RetainedMessageReader; connections?: ClientDisconnector } = {},
): Promise<LocalIotData> {
  const publisher = new RecordingPublisher();
  const shadows = new DeviceShadowService({
    publisher,
    logger: silent,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  });
  publisher.observe(shadows);
  const service = new IotDataPlaneService({
    shadows,
    ...(options.retainedMessages ? { retainedMessages: options.retainedMessages } : {}),
    ...(options.connections ? { connections: options.connections } : {}),
  });
  const edge = await startEdgeServer({ services: [service] });
  const client = new IoTDataPlaneClient({
    endpoint: edge.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return {
    edge,
    client,
    publisher,
    shadows,
    async stop() {
      client.destroy();
      await shadows.close();
      await edge.close();
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('the IoT data plane through IoTDataPlaneClient', () => {
  let iot: LocalIotData;

  beforeEach(async () => {
    iot = await startLocalIotData();
  });

  afterEach(async () => {
    await iot.stop();
  });

  it('updates a shadow, answers the accepted document and gets it back with its delta', async () => {
    // Prepare
    await iot.client.send(
      new UpdateThingShadowCommand({
        thingName: 'lamp-1',
        payload: encode({ state: { reported: { color: 'GREEN' } } }),
      }),
    );

    // Act
    const updated = await iot.client.send(
      new UpdateThingShadowCommand({
        thingName: 'lamp-1',
        payload: encode({ state: { desired: { color: 'RED' } }, clientToken: 'app-1' }),
      }),
    );
    const got = await iot.client.send(new GetThingShadowCommand({ thingName: 'lamp-1' }));

    // Assess
    expect(decode(updated.payload)).toMatchObject({
      state: { desired: { color: 'RED' } },
      metadata: { desired: { color: { timestamp: expect.any(Number) } } },
      version: 2,
      clientToken: 'app-1',
    });
    const document = decode(got.payload);
    expect(document.state).toEqual({
      desired: { color: 'RED' },
      reported: { color: 'GREEN' },
      delta: { color: 'RED' },
    });
    expect(document.version).toBe(2);
    expect(document.timestamp).toBeLessThan(Date.now() / 1000 + 1);
  });

  it('publishes /update/accepted, /update/delta and /update/documents on MQTT for an update over HTTPS', async () => {
    // Prepare
    const payload = encode({ state: { desired: { interval: 30 } } });

    // Act
    await iot.client.send(new UpdateThingShadowCommand({ thingName: 'lamp-1', shadowName: 'config', payload }));

    // Assess
    expect(iot.publisher.serviceTopics()).toEqual([
      '$aws/things/lamp-1/shadow/name/config/update/accepted',
      '$aws/things/lamp-1/shadow/name/config/update/delta',
      '$aws/things/lamp-1/shadow/name/config/update/documents',
    ]);
    expect(iot.publisher.answers('/update/delta')[0]?.body).toMatchObject({ state: { interval: 30 }, version: 1 });
  });

  it('raises ConflictException for another version, and publishes nothing on /update/rejected', async () => {
    // Prepare
    await iot.client.send(
      new UpdateThingShadowCommand({ thingName: 'lamp-1', payload: encode({ state: { desired: { a: 1 } } }) }),
    );
    iot.publisher.clear();

    // Act
    const error = await rejection(
      iot.client.send(
        new UpdateThingShadowCommand({
          thingName: 'lamp-1',
          payload: encode({ state: { desired: { a: 2 } }, version: 5 }),
        }),
      ),
    );

    // Assess
    expect(error).toBeInstanceOf(ConflictException);
    expect(error.message).toBe('Version conflict');
    expect(iot.publisher.serviceTopics()).toEqual([]);
  });

  it('raises ResourceNotFoundException for a shadow that does not exist, on get and on delete', async () => {
    // Act
    const onGet = await rejection(iot.client.send(new GetThingShadowCommand({ thingName: 'nobody' })));
    const onDelete = await rejection(
      iot.client.send(new DeleteThingShadowCommand({ thingName: 'nobody', shadowName: 'config' })),
    );

    // Assess
    expect(onGet).toBeInstanceOf(ResourceNotFoundException);
    expect(onGet.message).toBe("No shadow exists with name: 'nobody'");
    expect(onDelete).toBeInstanceOf(ResourceNotFoundException);
    expect(onDelete.message).toBe("No shadow exists with name: 'config'");
  });

  it('raises RequestEntityTooLargeException for a document over 8 KB', async () => {
    // Prepare
    const payload = encode({ state: { reported: { log: 'x'.repeat(8 * 1024) } } });

    // Act
    const error = await rejection(iot.client.send(new UpdateThingShadowCommand({ thingName: 'lamp-1', payload })));

    // Assess
    expect(error).toBeInstanceOf(RequestEntityTooLargeException);
    expect(error.message).toBe('The payload exceeds the maximum size allowed');
  });

  it.each([
    { label: 'invalid JSON', payload: new TextEncoder().encode('{"state":'), message: 'Invalid JSON' },
    { label: 'no state', payload: encode({ desired: {} }), message: 'Missing required node: state' },
    {
      label: 'an unknown state node',
      payload: encode({ state: { delta: {} } }),
      message: 'State contains an invalid node',
    },
  ])('raises InvalidRequestException for $label', async ({ payload, message }) => {
    // Act
    const error = await rejection(iot.client.send(new UpdateThingShadowCommand({ thingName: 'lamp-1', payload })));

    // Assess
    expect(error).toBeInstanceOf(InvalidRequestException);
    expect(error.message).toBe(message);
  });

  it('raises InvalidRequestException for a thing name AWS would refuse', async () => {
    // Act
    const error = await rejection(iot.client.send(new GetThingShadowCommand({ thingName: 'lamp 1' })));

    // Assess
    expect(error).toBeInstanceOf(InvalidRequestException);
    expect(error.message).toContain("Value 'lamp 1' at 'thingName'");
  });

  it('raises UnsupportedDocumentEncodingException for a payload that is not UTF-8', async () => {
    // Act
    const error = await rejection(
      iot.client.send(
        new UpdateThingShadowCommand({ thingName: 'lamp-1', payload: new Uint8Array([0x7b, 0xc3, 0x28]) }),
      ),
    );

    // Assess
    expect(error).toBeInstanceOf(UnsupportedDocumentEncodingException);
  });

  it('deletes a shadow, answering its version, publishing /delete/accepted, and keeps the version going', async () => {
    // Prepare
    for (const on of [true, false]) {
      await iot.client.send(
        new UpdateThingShadowCommand({ thingName: 'lamp-1', payload: encode({ state: { reported: { on } } }) }),
      );
    }
    iot.publisher.clear();

    // Act
    const deleted = await iot.client.send(new DeleteThingShadowCommand({ thingName: 'lamp-1' }));
    const recreated = await iot.client.send(
      new UpdateThingShadowCommand({ thingName: 'lamp-1', payload: encode({ state: { reported: { on: true } } }) }),
    );

    // Assess
    expect(decode(deleted.payload)).toEqual({ version: 2, timestamp: expect.any(Number) });
    expect(iot.publisher.serviceTopics()[0]).toBe('$aws/things/lamp-1/shadow/delete/accepted');
    expect(decode(recreated.payload).version).toBe(3);
  });

  it('lists named shadows page by page, leaving out the classic shadow and deleted ones', async () => {
    // Prepare
    for (const shadowName of [undefined, 'gamma', 'alpha', 'beta', 'delta']) {
      await iot.client.send(
        new UpdateThingShadowCommand({
          thingName: 'lamp-1',
          shadowName,
          payload: encode({ state: { reported: { on: true } } }),
        }),
      );
    }
    await iot.client.send(new DeleteThingShadowCommand({ thingName: 'lamp-1', shadowName: 'delta' }));

    // Act
    const first = await iot.client.send(new ListNamedShadowsForThingCommand({ thingName: 'lamp-1', pageSize: 2 }));
    const second = await iot.client.send(
      new ListNamedShadowsForThingCommand({ thingName: 'lamp-1', pageSize: 2, nextToken: first.nextToken }),
    );
    const none = await iot.client.send(new ListNamedShadowsForThingCommand({ thingName: 'lamp-9' }));

    // Assess
    expect(first.results).toEqual(['alpha', 'beta']);
    expect(first.nextToken).toEqual(expect.any(String));
    expect(second.results).toEqual(['gamma']);
    expect(second.nextToken).toBeUndefined();
    expect(second.timestamp).toEqual(expect.any(Number));
    expect(none.results).toEqual([]);
  });

  it('publishes to the broker with the decoded topic, QoS, retain flag and payload', async () => {
    // Act
    await iot.client.send(
      new PublishCommand({
        topic: 'devices/lamp-1/config',
        qos: 1,
        retain: true,
        payload: encode({ interval: 30 }),
      }),
    );
    await iot.client.send(new PublishCommand({ topic: 'a topic/with spaces+$and%', payload: encode({}) }));

    // Assess
    expect(iot.publisher.published.map(({ topic, qos, retain }) => ({ topic, qos, retain }))).toEqual([
      { topic: 'devices/lamp-1/config', qos: 1, retain: true },
      { topic: 'a topic/with spaces+$and%', qos: 0, retain: false },
    ]);
    expect(decode(iot.publisher.published[0]?.payload)).toEqual({ interval: 30 });
    expect(iot.publisher.published[0]?.clientId).toBeUndefined();
  });

  it('runs a Publish on a shadow request topic through the shadow service, as AWS does', async () => {
    // Act
    await iot.client.send(
      new PublishCommand({
        topic: '$aws/things/lamp-1/shadow/update',
        qos: 1,
        payload: encode({ state: { reported: { on: true } } }),
      }),
    );

    // Assess
    expect(iot.publisher.serviceTopics()).toContain('$aws/things/lamp-1/shadow/update/accepted');
    expect(iot.shadows.store.peek({ thingName: 'lamp-1' })?.state).toEqual({ reported: { on: true } });
  });

  it('raises InvalidRequestException for a QoS other than 0 or 1', async () => {
    // Act
    const error = await rejection(iot.client.send(new PublishCommand({ topic: 'a/b', qos: 2, payload: encode({}) })));

    // Assess
    expect(error).toBeInstanceOf(InvalidRequestException);
  });

  it('raises MethodNotAllowedException for the retained message reads without a broker that offers them', async () => {
    // Act
    const error = await rejection(iot.client.send(new ListRetainedMessagesCommand({})));

    // Assess
    expect(error).toBeInstanceOf(MethodNotAllowedException);
  });
});

describe('the IoT data plane retained message reads', () => {
  it('lists and gets the retained messages the broker offers', async () => {
    // Prepare
    const retained = [
      { topic: 'devices/b/config', payload: Buffer.from('{"b":1}'), qos: 1 as const, lastModifiedTime: 2_000 },
      { topic: 'devices/a/config', payload: Buffer.from('{"a":1}'), qos: 0 as const, lastModifiedTime: 1_000 },
    ];
    const iot = await startLocalIotData({
      retainedMessages: {
        listRetainedMessages: async () => retained,
        getRetainedMessage: async (topic) => retained.find((message) => message.topic === topic),
      },
    });

    try {
      // Act
      const first = await iot.client.send(new ListRetainedMessagesCommand({ maxResults: 1 }));
      const second = await iot.client.send(new ListRetainedMessagesCommand({ nextToken: first.nextToken }));
      const message = await iot.client.send(new GetRetainedMessageCommand({ topic: 'devices/b/config' }));
      const missing = await rejection(iot.client.send(new GetRetainedMessageCommand({ topic: 'devices/c/config' })));

      // Assess
      expect(first.retainedTopics).toEqual([
        { topic: 'devices/a/config', payloadSize: 7, qos: 0, lastModifiedTime: 1_000 },
      ]);
      expect(second.retainedTopics?.map((summary) => summary.topic)).toEqual(['devices/b/config']);
      expect(second.nextToken).toBeUndefined();
      expect(new TextDecoder().decode(message.payload)).toBe('{"b":1}');
      expect(message).toMatchObject({ topic: 'devices/b/config', qos: 1, lastModifiedTime: 2_000 });
      expect(missing).toBeInstanceOf(ResourceNotFoundException);
    } finally {
      await iot.stop();
    }
  });
});

describe('the IoT data plane DeleteConnection', () => {
  it('ends a connected client through the broker and raises ResourceNotFoundException for an unknown one', async () => {
    // Prepare
    const connected = new Set(['device-1']);
    const iot = await startLocalIotData({
      connections: { disconnectClient: (clientId) => connected.delete(clientId) },
    });

    try {
      // Act
      await iot.client.send(new DeleteConnectionCommand({ clientId: 'device-1' }));
      const again = await rejection(iot.client.send(new DeleteConnectionCommand({ clientId: 'device-1' })));

      // Assess
      expect(connected.size).toBe(0);
      expect(again).toBeInstanceOf(ResourceNotFoundException);
    } finally {
      await iot.stop();
    }
  });
});

describe('the IoT data plane over raw HTTP', () => {
  it('answers MethodNotAllowedException for a method a shadow path does not take', async () => {
    // Prepare
    const iot = await startLocalIotData();
    const authorization =
      'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/iotdata/aws4_request, SignedHeaders=host, Signature=0';

    try {
      // Act
      const response = await fetch(`${iot.edge.url}/things/lamp-1/shadow`, {
        method: 'PUT',
        headers: { authorization },
      });

      // Assess
      expect(response.status).toBe(405);
      expect(response.headers.get('x-amzn-errortype')).toBe('MethodNotAllowedException');
    } finally {
      await iot.stop();
    }
  });
});

describe('shadows across restarts of the local cloud', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'iot-data-'));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves the shadows of the previous run from the same dataDir', async () => {
    // Prepare
    const before = await startLocalIotData({ dataDir });
    await before.client.send(
      new UpdateThingShadowCommand({ thingName: 'lamp-1', payload: encode({ state: { desired: { on: true } } }) }),
    );
    await before.client.send(
      new UpdateThingShadowCommand({
        thingName: 'lamp-1',
        shadowName: 'config',
        payload: encode({ state: { reported: { interval: 60 } } }),
      }),
    );
    await before.stop();

    // Act
    const after = await startLocalIotData({ dataDir });
    try {
      const classic = decode((await after.client.send(new GetThingShadowCommand({ thingName: 'lamp-1' }))).payload);
      const names = await after.client.send(new ListNamedShadowsForThingCommand({ thingName: 'lamp-1' }));

      // Assess
      expect(classic.state).toEqual({ desired: { on: true }, delta: { on: true } });
      expect(classic.version).toBe(1);
      expect(names.results).toEqual(['config']);
    } finally {
      await after.stop();
    }
  });
});
