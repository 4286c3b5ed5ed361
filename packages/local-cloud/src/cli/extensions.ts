import type { LocalCloudExtension } from '../local-cloud';

/**
 * The parts started with `iot-local start` besides the emulated AWS services: the local IoT Core (MQTT broker, rules
 * engine, Device Shadow service, IoT APIs) belongs here once it exists, as an extension taking the deployed topic
 * rules and serving `iot` and `iotdata` on the edge endpoint.
 */
export function localCloudExtensions(): LocalCloudExtension[] {
  return [];
}
