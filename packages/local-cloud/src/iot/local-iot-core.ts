import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ResourceProvider } from '../cloudformation';
import type { LocalCloudContext, LocalCloudExtension, StartedExtension } from '../local-cloud';
import { MqttBroker } from './broker';
import { IotControlPlaneService, ThingRegistry } from './control-plane';
import { IotDataPlaneService } from './data-plane';
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

/**
 * The local AWS IoT Core: the MQTT broker (TCP, and WebSocket at `/mqtt` on the edge port), the rules engine running
 * the templates' topic rules and those created through the API, the Device Shadow service, and the IoT control and
 * data planes on the edge endpoint. Its state (retained messages, sessions, rules, registry, shadows) is kept under
 * `<dataDir>/iot`.
 */
export function localIotCore(): LocalCloudExtension {
  return {
    name: 'the local IoT Core',
    ports: ['mqtt'],
    async start(context: LocalCloudContext): Promise<StartedExtension> {
      const { services, host, region, logger } = context;
      const dataDir = join(context.dataDir, 'iot');
      const shadows = new DeviceShadowService({ dataDir });
      const broker = await MqttBroker.start({ host, port: context.mqttPort, websocket: false, dataDir });
      const rules = new TopicRuleRegistry({ region, dataDir });
      const things = new ThingRegistry({ region, dataDir });
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
        logger: {
          warn: (message) => logger.warn(message),
          error: (message) => logger.warn(message),
        },
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
      return {
        topicRules: rules,
        services: [
          new IotControlPlaneService({ rules, things, dataEndpoint: host }),
          new IotDataPlaneService({ shadows, publisher: broker, retainedMessages: broker, connections: broker }),
        ],
        providers: { 'AWS::IoT::ThingType': thingTypeProvider(things) },
        endpoints: { mqtt: broker.url },
        async close() {
          await broker.close();
          await engine.idle();
          await Promise.all([rules.flush(), things.flush(), shadows.close()]);
          dynamodb.destroy();
        },
      };
    },
  };
}
