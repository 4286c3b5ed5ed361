import { type IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import type { IotPublisher } from '../domain/replay-failed-deliveries';

/** Publishes through the AWS IoT data plane (QoS 1). */
export class IotDataPublisher implements IotPublisher {
  constructor(private readonly client: IoTDataPlaneClient) {}

  async publish(topic: string, payload: Buffer): Promise<void> {
    await this.client.send(new PublishCommand({ topic, payload, qos: 1 }));
  }
}
