import { type IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { type CommandMessage, topics } from '@iot/types';
import type { CommandPublisher } from '../domain/commands';

/** Publishes commands through the AWS IoT data plane, QoS 1, on `devices/{deviceId}/commands`. */
export class IotDataCommandPublisher implements CommandPublisher {
  constructor(private readonly client: IoTDataPlaneClient) {}

  async publish(deviceId: string, message: CommandMessage): Promise<void> {
    await this.client.send(
      new PublishCommand({
        topic: topics.commands(deviceId),
        qos: 1,
        payload: new TextEncoder().encode(JSON.stringify(message)),
        contentType: 'application/json',
      }),
    );
  }
}
