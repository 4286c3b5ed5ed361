/**
 * How the parts of the local AWS IoT Core reach one another in-process: the MQTT broker, the rules engine, the
 * Device Shadow service, and the control and data plane APIs on the edge endpoint.
 */

/** What is known of a message when it reaches the broker. */
export interface PublishedMessage {
  /** The topic as published, Basic Ingest prefix included. */
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  retain: boolean;
  /** The MQTT client that published it; absent for the data plane and for the services' own publishes. */
  clientId?: string;
  /** The authenticated identity (certificate id or Cognito identity), as `principal()` gives it. */
  principal?: string;
  /** When the broker received it, in milliseconds. */
  receivedAt: number;
}

/** Publishes into the local AWS IoT Core as a trusted service would (no device policy applies). */
export interface IotPublisher {
  /**
   * Delivers to subscribers (and retains) and runs the rules engine, exactly as a device's publish would. A Basic
   * Ingest topic (`$aws/rules/<rule>/...`) reaches only that rule. Rejects with a message naming the limit for a
   * topic or payload AWS would refuse.
   */
  publish(message: Omit<PublishedMessage, 'receivedAt'> & { receivedAt?: number }): Promise<void>;
}

/** Something that sees every publish the broker accepts: the rules engine, the Device Shadow service. */
export interface PublishObserver {
  onPublish(message: PublishedMessage): void | Promise<void>;
}
