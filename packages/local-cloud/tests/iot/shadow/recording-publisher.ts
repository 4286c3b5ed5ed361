import type { IotPublisher, PublishedMessage, PublishObserver } from '../../../src/iot/contracts';

/**
 * An in-memory IotPublisher that records every publish and, like the broker, hands each one to its observers, so the
 * Device Shadow service sees its own answers as it does in the running system.
 */
export class RecordingPublisher implements IotPublisher {
  readonly published: PublishedMessage[] = [];
  private readonly observers: PublishObserver[] = [];

  observe(observer: PublishObserver): void {
    this.observers.push(observer);
  }

  async publish(message: Omit<PublishedMessage, 'receivedAt'> & { receivedAt?: number }): Promise<void> {
    const accepted: PublishedMessage = { ...message, receivedAt: message.receivedAt ?? Date.now() };
    this.published.push(accepted);
    for (const observer of this.observers) await observer.onPublish(accepted);
  }

  /** What a device publishes: goes through the observers like any publish. */
  device(topic: string, payload: unknown = '', qos: 0 | 1 = 1): Promise<void> {
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    return this.publish({ topic, payload: Buffer.from(body), qos, retain: false, clientId: 'device-1' });
  }

  /** The messages published on topics ending with one of these suffixes, parsed as JSON, in order. */
  answers(...suffixes: string[]): Array<{ topic: string; qos: 0 | 1; body: Record<string, unknown> }> {
    return this.published
      .filter((message) => message.clientId === undefined && suffixes.some((suffix) => message.topic.endsWith(suffix)))
      .map((message) => ({ topic: message.topic, qos: message.qos, body: JSON.parse(message.payload.toString()) }));
  }

  /** The topics the service published on (not the devices' requests). */
  serviceTopics(): string[] {
    return this.published.filter((message) => message.clientId === undefined).map((message) => message.topic);
  }

  clear(): void {
    this.published.length = 0;
  }
}
