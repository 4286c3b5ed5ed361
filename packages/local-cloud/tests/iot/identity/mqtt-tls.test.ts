import {
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  DetachPolicyCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { CertificateAuthority } from '../../../src/iot/identity/certificate-authority';
import { closed, inbox, sleep } from '../broker/mqtt-fixture';
import { type Identity, PREFIX, startIdentity } from './identity-fixture';

/** The message of the error an attempt ended with (a refused connection), or undefined when it succeeded. */
const refusal = (attempt: Promise<unknown>): Promise<string | undefined> =>
  attempt.then(
    () => undefined,
    (error: Error) => String(error.message || error),
  );
const REFUSED = expect.any(String);
const ownTopics = (env: Identity) => env.observed.map((m) => m.topic).filter((t) => !t.startsWith('$aws/events/'));

// Each device certificate comes with an RSA 2048 key pair, as AWS makes them: slow on a busy machine.
jest.setTimeout(30_000);

describe('MQTT over TLS with certificates and IoT policies', () => {
  let env: Identity;

  beforeEach(async () => {
    env = await startIdentity();
  });

  afterEach(() => env.close());

  it("lets a device publish its own telemetry and receive its own commands, with the certificate's id as principal", async () => {
    // Prepare
    const device = await env.device('sensor-1');
    const client = await env.asDevice(device);
    const messages = inbox(client);
    await client.subscribeAsync('devices/sensor-1/commands', { qos: 1 });

    // Act
    await client.publishAsync('devices/sensor-1/telemetry', '{"temperature":21}', { qos: 1 });
    await env.broker.publish({
      topic: 'devices/sensor-1/commands',
      payload: Buffer.from('reboot'),
      qos: 1,
      retain: false,
    });
    const command = await messages.next('devices/sensor-1/commands');

    // Assess
    const published = env.observed.find((m) => m.topic === 'devices/sensor-1/telemetry');
    expect(published).toMatchObject({ clientId: 'sensor-1', principal: device.certificateId });
    expect(command.payload.toString()).toBe('reboot');
    expect(client.connected).toBe(true);
  });

  it("closes the connection of a device that publishes on another device's topic; nothing is published", async () => {
    // Prepare
    const device = await env.device('sensor-1');
    await env.device('sensor-2');
    const client = await env.asDevice(device);

    // Act
    client.publish('devices/sensor-2/telemetry', '{"temperature":99}', { qos: 1 });
    await closed(client);

    // Assess
    expect(env.observed.some((m) => m.topic === 'devices/sensor-2/telemetry')).toBe(false);
    expect(env.warnings.some((w) => String(w[0]).includes('not allowed by its policies'))).toBe(true);
  });

  it.each([
    ["another device's commands", 'devices/sensor-2/commands'],
    ["every device's telemetry", 'devices/+/telemetry'],
  ])('closes the connection of a device that subscribes to %s (%s)', async (_what, filter) => {
    // Prepare
    const device = await env.device('sensor-1');
    const client = await env.asDevice(device);

    // Act
    const subscribing = refusal(client.subscribeAsync(filter));
    await closed(client);

    // Assess
    expect(await subscribing).toEqual(REFUSED);
    expect(client.connected).toBe(false);
  });

  it('uses the shadow of its own thing only, and Basic Ingest of its own telemetry', async () => {
    // Prepare
    const device = await env.device('sensor-1');
    const client = await env.asDevice(device);
    const messages = inbox(client);
    await client.subscribeAsync('$aws/things/sensor-1/shadow/update/accepted', { qos: 1 });

    // Act
    await client.publishAsync('$aws/things/sensor-1/shadow/update', '{"state":{"reported":{"fw":"1.2"}}}', { qos: 1 });
    const accepted = await messages.next('$aws/things/sensor-1/shadow/update/accepted');
    await client.publishAsync('$aws/rules/telemetry_rule/devices/sensor-1/telemetry', '{"t":1}', { qos: 1 });
    client.publish('$aws/things/sensor-2/shadow/update', '{"state":{"reported":{"fw":"x"}}}', { qos: 1 });
    await closed(client);

    // Assess
    expect(JSON.parse(accepted.payload.toString()).state).toEqual({ reported: { fw: '1.2' } });
    expect(env.observed.map((m) => m.topic)).toContain('$aws/rules/telemetry_rule/devices/sensor-1/telemetry');
    expect(env.observed.map((m) => m.topic)).not.toContain('$aws/things/sensor-2/shadow/update');
  });

  it('does not deliver what iot:Receive does not allow, and keeps the connection', async () => {
    // Prepare
    await env.iot.send(
      new CreatePolicyCommand({
        policyName: 'fleet-listener',
        policyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: ['iot:Connect', 'iot:Subscribe'], Resource: '*' },
            { Effect: 'Allow', Action: 'iot:Receive', Resource: `${PREFIX}:topic/fleet/*` },
            { Effect: 'Deny', Action: 'iot:Receive', Resource: `${PREFIX}:topic/fleet/secret` },
          ],
        }),
      }),
    );
    const device = await env.device('listener', 'fleet-listener');
    const client = await env.asDevice(device);
    const messages = inbox(client);
    await client.subscribeAsync('fleet/#', { qos: 1 });

    // Act
    for (const topic of ['fleet/secret', 'fleet/open']) {
      await env.broker.publish({ topic, payload: Buffer.from(topic), qos: 1, retain: false });
    }
    await messages.next('fleet/open');
    await sleep(100);

    // Assess
    expect(messages.messages.map((m) => m.topic)).toEqual(['fleet/open']);
    expect(client.connected).toBe(true);
  });

  it('resolves thing attributes in policies, and denies a client id that is not the thing the certificate is attached to', async () => {
    // Prepare
    await env.iot.send(
      new CreatePolicyCommand({
        policyName: 'by-site',
        policyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 'iot:Connect',
              Resource: '*',
              Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
            },
            {
              Effect: 'Allow',
              Action: 'iot:Publish',
              Resource: `${PREFIX}:topic/sites/\${iot:Connection.Thing.Attributes[site]}/*`,
            },
          ],
        }),
      }),
    );
    const device = await env.device('meter-1', 'by-site', { site: 'north' });
    const client = await env.asDevice(device);

    // Act
    await client.publishAsync('sites/north/power', '1', { qos: 1 });
    const impostor = await refusal(env.asDevice(device, { clientId: 'meter-2' }));
    client.publish('sites/south/power', '1', { qos: 1 });
    await closed(client);

    // Assess
    expect(ownTopics(env)).toEqual(['sites/north/power']);
    expect(impostor).toEqual(REFUSED);
  });

  it('refuses a connection without a client certificate, with one of another CA, or with one not registered', async () => {
    // Prepare
    const device = await env.device('sensor-1');
    const stranger = await (await CertificateAuthority.open(`${env.dataDir}/stranger-ca`)).createKeysAndCertificate();
    const unregistered = await env.ca.createKeysAndCertificate();

    // Act
    const withoutCertificate = await refusal(env.connectTls({ clientId: 'sensor-1' }));
    const otherCa = await refusal(
      env.connectTls({ clientId: 'sensor-1', cert: stranger.certificatePem, key: stranger.privateKeyPem }),
    );
    const notRegistered = await refusal(
      env.connectTls({ clientId: 'sensor-1', cert: unregistered.certificatePem, key: unregistered.privateKeyPem }),
    );
    const registered = await refusal(env.asDevice(device));

    // Assess
    expect(withoutCertificate).toEqual(REFUSED);
    expect(otherCa).toEqual(REFUSED);
    expect(notRegistered).toEqual(REFUSED);
    expect(registered).toBeUndefined();
  });

  it.each(['INACTIVE', 'REVOKED'] as const)(
    'refuses a certificate made %s, and ends what it does next',
    async (status) => {
      // Prepare
      const device = await env.device('sensor-1');
      const client = await env.asDevice(device);

      // Act
      await env.iot.send(new UpdateCertificateCommand({ certificateId: device.certificateId, newStatus: status }));
      client.publish('devices/sensor-1/telemetry', '{}', { qos: 1 });
      await closed(client);
      const again = await refusal(env.asDevice(device));

      // Assess
      expect(again).toEqual(REFUSED);
      expect(env.observed.some((m) => m.topic === 'devices/sensor-1/telemetry')).toBe(false);
    },
  );

  it('refuses to connect a certificate with no policy (default deny)', async () => {
    // Prepare
    const device = await env.device('sensor-1');
    await env.iot.send(new DetachPolicyCommand({ policyName: 'own-topics', target: device.certificateArn }));
    const bare = await env.iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));

    // Act
    const detached = await refusal(env.asDevice(device));
    const neverAttached = await refusal(
      env.connectTls({ clientId: 'x', cert: bare.certificatePem, key: bare.keyPair?.PrivateKey }),
    );

    // Assess
    expect(detached).toEqual(REFUSED);
    expect(neverAttached).toEqual(REFUSED);
  });
});
