import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AlarmNotification } from '@iot/types';
import { formatAlarmMessage } from '../domain/alarm-message';
import type { AlarmNotifier } from '../domain/ports';

/** Publishes each alarm transition and reminder to the alerts topic, with a payload per delivery protocol. */
export class SnsAlarmNotifier implements AlarmNotifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async notify(notification: AlarmNotification): Promise<void> {
    const { subject, message, attributes } = formatAlarmMessage(notification);
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: subject,
        MessageStructure: 'json',
        Message: JSON.stringify(message),
        MessageAttributes: Object.fromEntries(
          Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
        ),
      }),
    );
  }
}
