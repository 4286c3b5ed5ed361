/**
 * The local AWS IoT Core message broker: MQTT 3.1.1 and 5 over TCP and WebSocket with AWS's quotas, reserved topics,
 * lifecycle events and Basic Ingest, publishing to the rules engine and the Device Shadow service.
 *
 * @packageDocumentation
 */
export type {
  ConnectedEvent,
  DisconnectedEvent,
  DisconnectReason,
  SubscriptionEvent,
} from './lifecycle-events';
export { type BrokerLogger, MqttBroker, type MqttBrokerOptions, type RetainedMessage } from './mqtt-broker';
export {
  checkClientId,
  checkDevicePublish,
  checkDeviceSubscribe,
  checkPayloadSize,
  checkServicePublish,
  MAX_CLIENT_ID_BYTES,
  MAX_PAYLOAD_BYTES,
  MAX_SUBSCRIPTIONS_PER_SUBSCRIBE,
  MAX_TOPIC_BYTES,
  MAX_TOPIC_SLASHES,
  type PolicyViolation,
  withoutBasicIngestPrefix,
} from './topic-policy';
