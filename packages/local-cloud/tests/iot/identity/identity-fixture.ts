import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  IoTClient,
} from '@aws-sdk/client-iot';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { type EdgeServer, startEdgeServer } from '../../../src/edge/edge-server';
import type { MqttBroker } from '../../../src/iot/broker';
import { IotControlPlaneService, ThingRegistry } from '../../../src/iot/control-plane';
import { CertificateAuthority } from '../../../src/iot/identity/certificate-authority';
import { CertificateRegistry } from '../../../src/iot/identity/certificate-registry';
import { DeviceAuthorizer } from '../../../src/iot/identity/device-authorizer';
import { PolicyRegistry } from '../../../src/iot/identity/policy-registry';
import { TopicRuleRegistry } from '../../../src/iot/rules';
import { DeviceShadowService } from '../../../src/iot/shadow';
import { startBroker } from '../broker/mqtt-fixture';

export const PREFIX = 'arn:aws:iot:us-east-1:000000000000';

/** The services' default device policy, in the shape serverless.yml declares it. */
export const OWN_TOPICS_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: `${PREFIX}:client/\${iot:Connection.Thing.ThingName}` },
    {
      Effect: 'Allow',
      Action: 'iot:Publish',
      Resource: [
        `${PREFIX}:topic/devices/\${iot:Connection.Thing.ThingName}/telemetry`,
        `${PREFIX}:topic/$aws/rules/*/devices/\${iot:Connection.Thing.ThingName}/telemetry`,
        `${PREFIX}:topic/$aws/things/\${iot:Connection.Thing.ThingName}/shadow/*`,
      ],
    },
    {
      Effect: 'Allow',
      Action: 'iot:Subscribe',
      Resource: [
        `${PREFIX}:topicfilter/devices/\${iot:Connection.Thing.ThingName}/commands`,
        `${PREFIX}:topicfilter/$aws/things/\${iot:Connection.Thing.ThingName}/shadow/*`,
      ],
    },
    {
      Effect: 'Allow',
      Action: 'iot:Receive',
      Resource: [
        `${PREFIX}:topic/devices/\${iot:Connection.Thing.ThingName}/commands`,
        `${PREFIX}:topic/$aws/things/\${iot:Connection.Thing.ThingName}/shadow/*`,
      ],
    },
  ],
});

/** A device's credentials, as CreateKeysAndCertificate gave them. */
export interface DeviceCredentials {
  thingName: string;
  certificateId: string;
  certificateArn: string;
  cert: string;
  key: string;
}

/**
 * The control plane on an edge endpoint and a broker serving MQTT over TLS, sharing one CA, certificate registry,
 * policy registry and thing registry, with the Device Shadow service; an AWS SDK IoT client against the edge.
 */
export async function startIdentity() {
  const dataDir = mkdtempSync(join(tmpdir(), 'iot-identity-'));
  const ca = await CertificateAuthority.open(join(dataDir, 'ca'));
  const certificates = new CertificateRegistry({ dataDir });
  const policies = new PolicyRegistry({ dataDir });
  const things = new ThingRegistry({ dataDir });
  const server = await ca.issueServerCertificate(['127.0.0.1', 'localhost']);
  const { broker, observed, warnings } = await startBroker({
    websocket: false,
    tls: {
      port: 0,
      certificatePem: server.certificatePem,
      privateKeyPem: server.privateKeyPem,
      caCertificatePem: ca.certificatePem,
      authorizer: new DeviceAuthorizer(certificates, policies, things),
    },
  });
  const shadows = new DeviceShadowService({ dataDir });
  broker.addObserver(shadows);
  shadows.usePublisher(broker);
  const rules = new TopicRuleRegistry({ dataDir });
  const service = new IotControlPlaneService({
    rules,
    things,
    dataEndpoint: `127.0.0.1:${broker.securePort}`,
    identity: { ca, certificates, policies },
  });
  const edge: EdgeServer = await startEdgeServer({ services: [service] });
  const iot = new IoTClient({
    endpoint: edge.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const clients: MqttClient[] = [];

  /** Registers a thing with an ACTIVE certificate and the policy attached, as POST /devices does. */
  async function device(
    thingName: string,
    policyName = 'own-topics',
    attributes: Record<string, string> = {},
  ): Promise<DeviceCredentials> {
    await iot.send(new CreateThingCommand({ thingName, attributePayload: { attributes } }));
    const created = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    const certificateArn = created.certificateArn as string;
    await iot.send(new AttachThingPrincipalCommand({ thingName, principal: certificateArn }));
    await iot.send(new AttachPolicyCommand({ policyName, target: certificateArn }));
    return {
      thingName,
      certificateId: created.certificateId as string,
      certificateArn,
      cert: created.certificatePem as string,
      key: created.keyPair?.PrivateKey as string,
    };
  }

  /** Connects over TLS; rejects when the broker refuses or closes the connection. */
  async function connectTls(options: IClientOptions): Promise<MqttClient> {
    const client = await connectAsync(
      `mqtts://127.0.0.1:${broker.securePort}`,
      { reconnectPeriod: 0, connectTimeout: 3_000, ca: ca.certificatePem, ...options },
      false,
    );
    clients.push(client);
    return client;
  }

  const asDevice = (credentials: DeviceCredentials, options: IClientOptions = {}) =>
    connectTls({ clientId: credentials.thingName, cert: credentials.cert, key: credentials.key, ...options });

  await iot.send(new CreatePolicyCommand({ policyName: 'own-topics', policyDocument: OWN_TOPICS_POLICY }));

  return {
    dataDir,
    ca,
    certificates,
    policies,
    things,
    broker: broker as MqttBroker,
    observed,
    warnings,
    edge,
    iot,
    device,
    connectTls,
    asDevice,
    async close() {
      await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
      iot.destroy();
      await edge.close();
      await broker.close();
      await shadows.close();
      await Promise.all([certificates.flush(), policies.flush(), things.flush(), rules.flush()]);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type Identity = Awaited<ReturnType<typeof startIdentity>>;
