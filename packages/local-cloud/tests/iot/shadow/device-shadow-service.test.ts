import { DeviceShadowService, type ShadowServiceLogger } from '../../../src/iot/shadow';
import { RecordingPublisher } from './recording-publisher';

const NOW = 1_700_000_000;
const classic = '$aws/things/lamp-1/shadow';
const named = '$aws/things/lamp-1/shadow/name/config';

function silentLogger(): ShadowServiceLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (message) => void lines.push(message), error: (message) => void lines.push(message) };
}

/** The shadow service observing a recording broker, as the broker wires it. */
function setUp() {
  const publisher = new RecordingPublisher();
  const logger = silentLogger();
  const service = new DeviceShadowService({ publisher, logger, now: () => NOW * 1000 });
  publisher.observe(service);
  return { publisher, service, logger };
}

describe('Device Shadow MQTT topics', () => {
  it('answers an update on /update/accepted, /update/delta and /update/documents ("Updating a shadow")', async () => {
    // Prepare
    const { publisher } = setUp();

    // Act
    await publisher.device(`${classic}/update`, { state: { desired: { color: 'red' } }, clientToken: 'c1' }, 0);

    // Assess
    expect(publisher.serviceTopics()).toEqual([
      `${classic}/update/accepted`,
      `${classic}/update/delta`,
      `${classic}/update/documents`,
    ]);
    expect(publisher.answers('/update/accepted')).toEqual([
      {
        topic: `${classic}/update/accepted`,
        qos: 0,
        body: {
          state: { desired: { color: 'red' } },
          metadata: { desired: { color: { timestamp: NOW } } },
          version: 1,
          timestamp: NOW,
          clientToken: 'c1',
        },
      },
    ]);
    expect(publisher.answers('/update/delta')[0]).toEqual({
      topic: `${classic}/update/delta`,
      qos: 1,
      body: {
        state: { color: 'red' },
        metadata: { color: { timestamp: NOW } },
        version: 1,
        timestamp: NOW,
        clientToken: 'c1',
      },
    });
    expect(publisher.answers('/update/documents')[0]?.body).toMatchObject({ previous: null, current: { version: 1 } });
  });

  it('publishes no delta when reported matches desired ("/update/delta")', async () => {
    // Prepare
    const { publisher } = setUp();
    await publisher.device(`${classic}/update`, { state: { desired: { color: 'red' } } });
    publisher.clear();

    // Act
    await publisher.device(`${classic}/update`, { state: { reported: { color: 'red' } } });

    // Assess
    expect(publisher.serviceTopics()).toEqual([`${classic}/update/accepted`, `${classic}/update/documents`]);
  });

  it('answers a get with the whole document on /get/accepted, echoing the client token ("Retrieving a shadow document")', async () => {
    // Prepare
    const { publisher } = setUp();
    await publisher.device(`${named}/update`, { state: { desired: { interval: 30 }, reported: { interval: 60 } } });
    publisher.clear();

    // Act
    await publisher.device(`${named}/get`, { clientToken: 'g1' });
    await publisher.device(`${named}/get`, '');

    // Assess
    const answers = publisher.answers('/get/accepted');
    expect(answers.map((answer) => answer.topic)).toEqual([`${named}/get/accepted`, `${named}/get/accepted`]);
    expect(answers[0]?.body).toEqual({
      state: { desired: { interval: 30 }, reported: { interval: 60 }, delta: { interval: 30 } },
      metadata: {
        desired: { interval: { timestamp: NOW } },
        reported: { interval: { timestamp: NOW } },
        delta: { interval: { timestamp: NOW } },
      },
      version: 1,
      timestamp: NOW,
      clientToken: 'g1',
    });
    expect(answers[1]?.body.clientToken).toBeUndefined();
  });

  it('answers a get of a missing shadow on /get/rejected with 404 ("Initializing the device on first connection")', async () => {
    // Prepare
    const { publisher } = setUp();

    // Act
    await publisher.device(`${classic}/get`, { clientToken: 'g2' });
    await publisher.device(`${named}/get`);

    // Assess
    expect(publisher.answers('/get/rejected')).toEqual([
      {
        topic: `${classic}/get/rejected`,
        qos: 1,
        body: { code: 404, message: "No shadow exists with name: 'lamp-1'", timestamp: NOW, clientToken: 'g2' },
      },
      {
        topic: `${named}/get/rejected`,
        qos: 1,
        body: { code: 404, message: "No shadow exists with name: 'config'", timestamp: NOW },
      },
    ]);
  });

  it.each([
    { label: 'an empty payload', payload: '', message: 'Invalid JSON' },
    { label: 'a payload that is not JSON', payload: '{"state":', message: 'Invalid JSON' },
    { label: 'a payload without state', payload: { clientToken: 'u1' }, message: 'Missing required node: state' },
  ])(
    'answers an update with $label on /update/rejected ("Device Shadow error messages")',
    async ({ payload, message }) => {
      // Prepare
      const { publisher, service } = setUp();

      // Act
      await publisher.device(`${classic}/update`, payload);

      // Assess
      expect(publisher.serviceTopics()).toEqual([`${classic}/update/rejected`]);
      expect(publisher.answers('/update/rejected')[0]?.body).toEqual({
        code: 400,
        message,
        timestamp: NOW,
        ...(typeof payload === 'object' ? { clientToken: 'u1' } : {}),
      });
      expect(service.store.peek({ thingName: 'lamp-1' })).toBeUndefined();
    },
  );

  it('answers a stale version on /update/rejected with 409 and the client token ("Optimistic locking")', async () => {
    // Prepare
    const { publisher } = setUp();
    await publisher.device(`${classic}/update`, { state: { desired: { on: true } } });
    publisher.clear();

    // Act
    await publisher.device(`${classic}/update`, { state: { desired: { on: false } }, version: 7, clientToken: 'v' });

    // Assess
    expect(publisher.answers('/update/rejected').map((answer) => answer.body)).toEqual([
      { code: 409, message: 'Version conflict', timestamp: NOW, clientToken: 'v' },
    ]);
  });

  it('answers a delete on /delete/accepted, then 404 on /delete/rejected ("Deleting a shadow")', async () => {
    // Prepare
    const { publisher } = setUp();
    await publisher.device(`${named}/update`, { state: { reported: { on: true } } });
    await publisher.device(`${named}/update`, { state: { reported: { on: false } } });
    publisher.clear();

    // Act
    await publisher.device(`${named}/delete`, 'the content of the message is ignored');
    await publisher.device(`${named}/delete`, { clientToken: 'd2' });

    // Assess
    expect(publisher.answers('/delete/accepted').map((answer) => answer.body)).toEqual([
      { version: 2, timestamp: NOW },
    ]);
    expect(publisher.answers('/delete/rejected').map((answer) => answer.body)).toEqual([
      { code: 404, message: "No shadow exists with name: 'config'", timestamp: NOW, clientToken: 'd2' },
    ]);
  });

  it('keeps classic and named shadows of one thing apart', async () => {
    // Prepare
    const { publisher, service } = setUp();

    // Act
    await publisher.device(`${classic}/update`, { state: { reported: { a: 1 } } });
    await publisher.device(`${named}/update`, { state: { reported: { b: 2 } } });

    // Assess
    expect(service.store.peek({ thingName: 'lamp-1' })?.state).toEqual({ reported: { a: 1 } });
    expect(service.store.peek({ thingName: 'lamp-1', shadowName: 'config' })?.state).toEqual({ reported: { b: 2 } });
    expect((await service.listNamedShadowsForThing('lamp-1')).results).toEqual(['config']);
  });

  it.each([
    'devices/lamp-1/telemetry',
    '$aws/things/lamp-1/shadow/update/accepted',
    '$aws/things/lamp-1/shadow/get/rejected',
    '$aws/things/lamp-1/shadow/unknown',
    '$aws/things/lamp 1/shadow/update',
    '$aws/things/lamp-1/shadow/name/a.b/update',
  ])('ignores a publish on %s', async (topic) => {
    // Prepare
    const { publisher } = setUp();

    // Act
    await publisher.device(topic, { state: { reported: { on: true } } });

    // Assess
    expect(publisher.serviceTopics()).toEqual([]);
  });

  it('drops its answers with a warning while it has no publisher, and answers once it has one', async () => {
    // Prepare
    const logger = silentLogger();
    const service = new DeviceShadowService({ logger, now: () => NOW * 1000 });
    const request = {
      topic: `${classic}/update`,
      payload: Buffer.from(JSON.stringify({ state: { reported: { on: true } } })),
      qos: 1 as const,
      retain: false,
      receivedAt: Date.now(),
    };
    const publisher = new RecordingPublisher();

    // Act
    await service.onPublish(request);
    service.usePublisher(publisher);
    await service.onPublish(request);

    // Assess
    expect(logger.lines).toContain('No MQTT publisher: shadow message dropped');
    expect(publisher.answers('/update/accepted').map((answer) => answer.body.version)).toEqual([2]);
  });

  it('logs a publish the broker refuses and still resolves', async () => {
    // Prepare
    const logger = silentLogger();
    const service = new DeviceShadowService({
      logger,
      publisher: { publish: () => Promise.reject(new Error('broker down')) },
    });

    // Act
    const handled = service.onPublish({
      topic: `${classic}/get`,
      payload: Buffer.alloc(0),
      qos: 0,
      retain: false,
      receivedAt: Date.now(),
    });

    // Assess
    await expect(handled).resolves.toBeUndefined();
    expect(logger.lines).toContain('Cannot publish shadow message');
  });
});
