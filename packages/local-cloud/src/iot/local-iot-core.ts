import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ResourceProvider } from '../cloudformation';
import type { LocalCloudContext, LocalCloudExtension, LocalCloudLogger, StartedExtension } from '../local-cloud';
import { jsonText } from '../providers/template-values';
import { MqttBroker } from './broker';
import { IotControlPlaneService, ThingRegistry } from './control-plane';
import { IotDataPlaneService } from './data-plane';
import { CertificateAuthority } from './identity/certificate-authority';
import { CertificateRegistry } from './identity/certificate-registry';
import { DeviceAuthorizer } from './identity/device-authorizer';
import { PolicyRegistry } from './identity/policy-registry';
import { RulesEngine, TopicRuleRegistry } from './rules';
import { DeviceShadowService } from './shadow';

/** AWS::IoT::ThingType resources, kept in the thing registry as CreateThingType would. */
function thingTypeProvider(things: ThingRegistry): ResourceProvider {
  return {
    async create(resource) {
      const name = resource.expected.physicalId;
      const properties = (resource.properties.ThingTypeProperties ?? {}) as Record<string, unknown>;
      things.createThingType(name, properties);
      return { physicalId: name };
    },
  };
}

/** AWS::IoT::Policy resources, created (or given their new document on a later deployment) as CreatePolicy would. */
function policyProvider(policies: PolicyRegistry): ResourceProvider {
  return {
    async create(resource) {
      const name = resource.expected.physicalId;
      const document = jsonText(resource.properties.PolicyDocument);
      if (!document) throw new Error(`AWS::IoT::Policy ${resource.logicalId} has no PolicyDocument`);
      policies.putPolicy(name, document);
      return { physicalId: name, attributes: resource.expected.attributes };
    },
  };
}

/** The host names the broker's server certificate is valid for. */
function serverNames(host: string): string[] {
  return [...new Set([host, '127.0.0.1', 'localhost'])];
}

/**
 * The broker, the rules engine and the Device Shadow service report what they refuse or fail to do with details (a
 * client id, a topic, a rule); the local cloud's logger takes one line, so the details are appended as JSON.
 */
function iotLogger(logger: LocalCloudLogger) {
  const line = (message: string, details: unknown[]) =>
    details.length === 0 ? message : `${message} ${details.map((d) => JSON.stringify(d)).join(' ')}`;
  return {
    warn: (message: string, ...details: unknown[]) => logger.warn(line(message, details)),
    error: (message: string, ...details: unknown[]) => logger.warn(line(message, details)),
  };
}

/**
 * The local AWS IoT Core: the MQTT broker (TCP, and WebSocket at `/mqtt` on the edge port), the rules engine running
 * the templates' topic rules and those created through the API, the Device Shadow service, and the IoT control and
 * data planes on the edge endpoint. Its state (retained messages, sessions, rules, registry, shadows) is kept under
 * `<dataDir>/iot`.
 */
export function localIotCore(): LocalCloudExtension {
  return {
    name: 'the local IoT Core',
    ports: ['mqtt', 'mqttTls'],
    async start(context: LocalCloudContext): Promise<StartedExtension> {
      const { services, host, region, logger } = context;
      const dataDir = join(context.dataDir, 'iot');
      const iotLog = iotLogger(logger);
      const shadows = new DeviceShadowService({ dataDir, logger: iotLog });
      const rules = new TopicRuleRegistry({ region, dataDir });
      const things = new ThingRegistry({ region, dataDir });
      const ca = await CertificateAuthority.open(join(dataDir, 'ca'));
      const certificates = new CertificateRegistry({ region, dataDir });
      const policies = new PolicyRegistry({ region, dataDir });
      const server = await ca.issueServerCertificate(serverNames(host));
      const broker = await MqttBroker.start({
        host,
        port: context.plainMqtt === false ? false : context.mqttPort,
        tls: {
          port: context.mqttTlsPort,
          certificatePem: server.certificatePem,
          privateKeyPem: server.privateKeyPem,
          caCertificatePem: ca.certificatePem,
          authorizer: new DeviceAuthorizer(certificates, policies, things, { region }),
        },
        websocket: false,
        dataDir,
        logger: iotLog,
      });
      const tlsPort = broker.securePort as number;
      const dynamodb = new DynamoDBClient({
        endpoint: services.dynamodb.endpoint,
        region,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      const engine = new RulesEngine({
        registry: rules,
        region,
        getThingShadow: (thingName, shadowName) =>
          shadows.getThingShadow({ thingName, ...(shadowName ? { shadowName } : {}) }),
        logger: iotLog,
        targets: {
          lambda: services.lambda,
          republish: broker,
          kinesis: services.kinesis,
          firehose: services.firehose,
          sns: services.sns,
          sqs: services.sqs,
          s3: services.s3,
          dynamodb,
        },
      });
      broker.addObserver(engine);
      broker.addObserver(shadows);
      shadows.usePublisher(broker);
      // MQTT over WebSocket shares the edge port, at the path AWS IoT uses.
      broker.attachWebSocket(context.edgeServer, '/mqtt');
      return {
        topicRules: rules,
        services: [
          new IotControlPlaneService({
            rules,
            things,
            dataEndpoint: tlsPort === 8883 ? host : `${host}:${tlsPort}`,
            identity: { ca, certificates, policies },
          }),
          new IotDataPlaneService({ shadows, publisher: broker, retainedMessages: broker, connections: broker }),
        ],
        providers: { 'AWS::IoT::ThingType': thingTypeProvider(things), 'AWS::IoT::Policy': policyProvider(policies) },
        localRoutes: {
          // The CA that signed the broker's and the devices' certificates: what a device trusts (`ca`, `--cafile`).
          iot: async () => ({
            status: 200,
            body: { caCertificatePem: ca.certificatePem, caCertificateFile: ca.certificatePath },
          }),
        },
        endpoints: {
          mqttTls: broker.tlsUrl as string,
          ...(context.plainMqtt === false ? {} : { mqtt: broker.url }),
          mqttWebSocket: `${context.edgeUrl.replace(/^http/, 'ws')}/mqtt`,
        },
        async close() {
          await broker.close();
          await engine.idle();
          await Promise.all([rules.flush(), things.flush(), certificates.flush(), policies.flush(), shadows.close()]);
          dynamodb.destroy();
        },
      };
    },
  };
}
