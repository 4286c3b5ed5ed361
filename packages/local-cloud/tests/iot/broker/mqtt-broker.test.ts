import type { MqttBroker } from '../../../src/iot/broker';
import type { PublishedMessage } from '../../../src/iot/contracts';
import { closeClients, closed, connect, connectForConnack, inbox, sleep, startBroker } from './mqtt-fixture';

describe('MQTT broker', () => {
  let broker: MqttBroker;
  let observed: PublishedMessage[];

  beforeEach(async () => {
    ({ broker, observed } = await startBroker());
  });

  afterEach(async () => {
    await closeClients();
    await broker.close();
  });

  it('delivers a QoS 1 publish to a QoS 1 subscriber and hands it to the observers', async () => {
    // Prepare
    const subscriber = await connect(broker.url, { clientId: 'app' });
    const received = inbox(subscriber);
    await subscriber.subscribeAsync('devices/+/telemetry', { qos: 1 });
    const device = await connect(broker.url, { clientId: 'device-1', username: 'cert-1' });

    // Act
    await device.publishAsync('devices/d1/telemetry', '{"temperature":21}', { qos: 1 });

    // Assess
    const message = await received.next('devices/d1/telemetry');
    expect(message.packet.qos).toBe(1);
    expect(message.payload.toString()).toBe('{"temperature":21}');
    const seen = observed.find((m) => m.topic === 'devices/d1/telemetry');
    expect(seen).toMatchObject({ qos: 1, retain: false, clientId: 'device-1', principal: 'cert-1' });
    expect(typeof seen?.receivedAt).toBe('number');
  });

  it('grants QoS 1 for a QoS 2 subscription and ends the connection of a QoS 2 publish', async () => {
    // Prepare
    const client = await connect(broker.url, { clientId: 'qos2' });

    // Act
    const granted = await client.subscribeAsync('a/b', { qos: 2 });
    client.publish('a/b', 'x', { qos: 2 });

    // Assess
    expect(granted[0]?.qos).toBe(1);
    await closed(client);
  });

  it('keeps a retained message for exact subscriptions only, and deletes it on an empty payload', async () => {
    // Prepare
    const publisher = await connect(broker.url, { clientId: 'config-writer' });
    await publisher.publishAsync('devices/d1/config', '{"interval":30}', { qos: 1, retain: true });

    // Act
    const exact = await connect(broker.url, { clientId: 'exact' });
    const exactInbox = inbox(exact);
    await exact.subscribeAsync('devices/d1/config', { qos: 1 });
    const wildcard = await connect(broker.url, { clientId: 'wildcard' });
    const wildcardInbox = inbox(wildcard);
    await wildcard.subscribeAsync('devices/+/config', { qos: 1 });
    const retained = await exactInbox.next('devices/d1/config');
    await sleep(100);
    await publisher.publishAsync('devices/d1/config', '', { qos: 1, retain: true });

    // Assess
    expect(retained.packet.retain).toBe(true);
    expect(retained.payload.toString()).toBe('{"interval":30}');
    expect(wildcardInbox.messages.filter((m) => m.payload.length > 0)).toEqual([]);
    await wildcardInbox.next('devices/d1/config');
    expect(await broker.getRetainedMessage('devices/d1/config')).toBeUndefined();
  });

  it('gives a persistent session the QoS 1 messages it missed while away', async () => {
    // Prepare
    const away = await connect(broker.url, { clientId: 'sleepy', clean: false });
    await away.subscribeAsync('commands/sleepy', { qos: 1 });
    await away.endAsync();
    const sender = await connect(broker.url, { clientId: 'sender' });
    await sender.publishAsync('commands/sleepy', 'wake up', { qos: 1 });

    // Act
    const { client: back, connack } = await connectForConnack(broker.url, { clientId: 'sleepy', clean: false });
    const received = inbox(back);

    // Assess
    expect(connack.sessionPresent).toBe(true);
    expect((await received.next('commands/sleepy')).payload.toString()).toBe('wake up');
  });

  it('publishes the last will when a connection is lost, not when the client disconnects', async () => {
    // Prepare
    const watcher = await connect(broker.url, { clientId: 'watcher' });
    const received = inbox(watcher);
    await watcher.subscribeAsync('status/+', { qos: 1 });
    const will = (name: string) => ({
      topic: `status/${name}`,
      payload: Buffer.from('offline'),
      qos: 1 as const,
      retain: false,
    });
    const lost = await connect(broker.url, { clientId: 'lost', will: will('lost') });
    const polite = await connect(broker.url, { clientId: 'polite', will: will('polite') });

    // Act
    await polite.endAsync();
    lost.stream.destroy();

    // Assess
    expect((await received.next('status/lost')).payload.toString()).toBe('offline');
    await sleep(100);
    expect(received.messages.map((m) => m.topic)).toEqual(['status/lost']);
  });

  it('disconnects a client that publishes more than 128 KB, and delivers nothing', async () => {
    // Prepare
    const subscriber = await connect(broker.url, { clientId: 'listener' });
    const received = inbox(subscriber);
    await subscriber.subscribeAsync(['big/+', '$aws/events/presence/disconnected/+'], { qos: 1 });
    const device = await connect(broker.url, { clientId: 'big-sender' });

    // Act
    device.publish('big/one', Buffer.alloc(129 * 1024, 1), { qos: 1 });

    // Assess
    await closed(device);
    const event = JSON.parse((await received.next('$aws/events/presence/disconnected/big-sender')).payload.toString());
    expect(event).toMatchObject({ disconnectReason: 'CLIENT_ERROR', clientInitiatedDisconnect: false });
    expect(received.messages.filter((m) => m.topic === 'big/one')).toEqual([]);
    expect(observed.filter((m) => m.topic === 'big/one')).toEqual([]);
  });

  it('accepts 7 slashes in a topic and disconnects on 8; a Basic Ingest prefix does not count', async () => {
    // Prepare
    const seven = await connect(broker.url, { clientId: 'seven' });
    const eight = await connect(broker.url, { clientId: 'eight' });

    // Act
    await seven.publishAsync('a/b/c/d/e/f/g/h', 'ok', { qos: 1 });
    await seven.publishAsync('$aws/rules/my_rule/a/b/c/d/e/f/g/h', 'ok', { qos: 1 });
    eight.publish('a/b/c/d/e/f/g/h/i', 'too deep', { qos: 1 });

    // Assess
    await closed(eight);
    expect(seven.connected).toBe(true);
    expect(observed.map((m) => m.topic)).toEqual(
      expect.arrayContaining(['a/b/c/d/e/f/g/h', '$aws/rules/my_rule/a/b/c/d/e/f/g/h']),
    );
    expect(observed.some((m) => m.topic === 'a/b/c/d/e/f/g/h/i')).toBe(false);
  });

  it('refuses a subscription with more than 7 slashes by ending the connection', async () => {
    // Prepare
    const client = await connect(broker.url, { clientId: 'deep-subscriber' });

    // Act
    client.subscribe('a/b/c/d/e/f/g/h/+', { qos: 0 });

    // Assess
    await closed(client);
  });

  it.each([
    [
      'publishing to a lifecycle event topic',
      (c: import('mqtt').MqttClient) => c.publish('$aws/events/presence/connected/x', '{}'),
    ],
    [
      'publishing to shadow accepted',
      (c: import('mqtt').MqttClient) => c.publish('$aws/things/t/shadow/update/accepted', '{}'),
    ],
    ['subscribing to Basic Ingest', (c: import('mqtt').MqttClient) => c.subscribe('$aws/rules/my_rule/#')],
    [
      'retaining on a shadow topic',
      (c: import('mqtt').MqttClient) => c.publish('$aws/things/t/shadow/update', '{}', { retain: true }),
    ],
    ['publishing to another $ topic', (c: import('mqtt').MqttClient) => c.publish('$SYS/anything', 'x')],
  ])('ends the connection of a client %s', async (_name, act) => {
    // Prepare
    const client = await connect(broker.url, { clientId: `reserved-${Math.random()}` });

    // Act
    act(client);

    // Assess
    await closed(client);
  });

  it('allows the reserved topics AWS allows: shadow requests and responses, events, Basic Ingest publishes', async () => {
    // Prepare
    const app = await connect(broker.url, { clientId: 'app' });
    const received = inbox(app);
    await app.subscribeAsync(['$aws/things/lamp/shadow/update/accepted', '$aws/events/presence/+/+', '#'], { qos: 1 });
    const device = await connect(broker.url, { clientId: 'lamp' });

    // Act
    await device.publishAsync('$aws/things/lamp/shadow/update', '{"state":{}}', { qos: 1 });
    await device.publishAsync('$aws/rules/lamp_rule/lamps/lamp', '{"on":true}', { qos: 1 });
    await broker.publish({
      topic: '$aws/things/lamp/shadow/update/accepted',
      payload: Buffer.from('{}'),
      qos: 1,
      retain: false,
    });

    // Assess
    await received.next('$aws/things/lamp/shadow/update/accepted');
    await received.next('$aws/events/presence/connected/lamp');
    expect(device.connected).toBe(true);
    expect(received.messages.some((m) => m.topic.startsWith('$aws/rules/'))).toBe(false);
    expect(observed.find((m) => m.topic === '$aws/rules/lamp_rule/lamps/lamp')).toMatchObject({ clientId: 'lamp' });
    expect(observed.some((m) => m.topic === '$aws/things/lamp/shadow/update')).toBe(true);
  });

  it('publishes connect and disconnect lifecycle events with the documented fields', async () => {
    // Prepare
    const watcher = await connect(broker.url, { clientId: 'watcher' });
    const received = inbox(watcher);
    await watcher.subscribeAsync('$aws/events/presence/+/sensor-7', { qos: 1 });

    // Act
    const sensor = await connect(broker.url, { clientId: 'sensor-7', username: 'cert-7' });
    const connected = JSON.parse((await received.next('$aws/events/presence/connected/sensor-7')).payload.toString());
    await sensor.endAsync();
    const disconnected = JSON.parse(
      (await received.next('$aws/events/presence/disconnected/sensor-7')).payload.toString(),
    );

    // Assess
    expect(connected).toEqual({
      clientId: 'sensor-7',
      timestamp: expect.any(Number),
      eventType: 'connected',
      sessionIdentifier: expect.stringMatching(/^[0-9a-f]{32}$/),
      principalIdentifier: 'cert-7',
      ipAddress: '127.0.0.1',
      versionNumber: 0,
    });
    expect(disconnected).toEqual({
      clientId: 'sensor-7',
      timestamp: expect.any(Number),
      eventType: 'disconnected',
      sessionIdentifier: connected.sessionIdentifier,
      principalIdentifier: 'cert-7',
      clientInitiatedDisconnect: true,
      disconnectReason: 'CLIENT_INITIATED_DISCONNECT',
      versionNumber: 0,
    });
  });

  it('disconnects the older of two clients with the same client id (DUPLICATE_CLIENTID)', async () => {
    // Prepare
    const watcher = await connect(broker.url, { clientId: 'watcher' });
    const received = inbox(watcher);
    await watcher.subscribeAsync('$aws/events/presence/disconnected/twin', { qos: 1 });
    const first = await connect(broker.url, { clientId: 'twin' });

    // Act
    const second = await connect(broker.url, { clientId: 'twin' });

    // Assess
    await closed(first);
    const event = JSON.parse((await received.next()).payload.toString());
    expect(event.disconnectReason).toBe('DUPLICATE_CLIENTID');
    expect(second.connected).toBe(true);
  });

  it('refuses a client id longer than 128 bytes', async () => {
    // Act
    const attempt = connect(broker.url, { clientId: 'x'.repeat(129) });

    // Assess
    await expect(attempt).rejects.toThrow(/Identifier rejected/i);
  });

  it('serves MQTT 5 clients with AWS CONNACK properties and topic aliases', async () => {
    // Prepare
    const subscriber = await connect(broker.url, { clientId: 'v5-sub', protocolVersion: 5 });
    const received = inbox(subscriber);
    await subscriber.subscribeAsync('v5/+', { qos: 1 });
    const publisher = await connect(broker.url, { clientId: 'v5-pub', protocolVersion: 5 });

    // Act
    await publisher.publishAsync('v5/a', 'first', { qos: 1, properties: { topicAlias: 3 } });
    await publisher.publishAsync('', 'second', { qos: 1, properties: { topicAlias: 3 } });
    const unsubscribed = await subscriber.unsubscribeAsync('v5/+');

    // Assess
    await received.next('v5/a');
    await sleep(50);
    expect(received.messages.map((m) => m.payload.toString())).toEqual(['first', 'second']);
    expect(publisher.options.properties?.maximumPacketSize ?? 0).toBeDefined();
    expect(unsubscribed).toBeDefined();
  });

  it('tells MQTT 5 clients the maximum QoS is 1', async () => {
    // Act
    const { connack } = await connectForConnack(broker.url, { clientId: 'v5-connack', protocolVersion: 5 });

    // Assess
    expect(connack.reasonCode).toBe(0);
    expect(connack.properties).toMatchObject({ maximumQoS: 1, topicAliasMaximum: 8, retainAvailable: true });
  });

  it('serves MQTT over WebSocket on /mqtt', async () => {
    // Prepare
    const subscriber = await connect(broker.url, { clientId: 'tcp-sub' });
    const received = inbox(subscriber);
    await subscriber.subscribeAsync('ws/test', { qos: 1 });
    const webClient = await connect(broker.webSocketUrl as string, { clientId: 'browser' });

    // Act
    await webClient.publishAsync('ws/test', 'over websocket', { qos: 1 });

    // Assess
    expect((await received.next('ws/test')).payload.toString()).toBe('over websocket');
    expect(broker.webSocketUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/);
  });

  it('publishes for services (IotPublisher) and refuses what AWS would refuse', async () => {
    // Prepare
    const subscriber = await connect(broker.url, { clientId: 'app' });
    const received = inbox(subscriber);
    await subscriber.subscribeAsync('devices/d1/config', { qos: 1 });

    // Act
    await broker.publish({ topic: 'devices/d1/config', payload: Buffer.from('{"a":1}'), qos: 1, retain: true });
    const tooBig = broker.publish({ topic: 'x', payload: Buffer.alloc(128 * 1024 + 1), qos: 0, retain: false });
    await expect(tooBig).rejects.toThrow(/exceeds size limit/);
    const reservedRetain = broker.publish({
      topic: '$aws/things/t/shadow/update',
      payload: Buffer.from('{}'),
      qos: 0,
      retain: true,
    });
    await expect(reservedRetain).rejects.toThrow(/reserved topic/);

    // Assess
    expect((await received.next('devices/d1/config')).payload.toString()).toBe('{"a":1}');
    expect((await broker.getRetainedMessage('devices/d1/config'))?.payload.toString()).toBe('{"a":1}');
  });
});
