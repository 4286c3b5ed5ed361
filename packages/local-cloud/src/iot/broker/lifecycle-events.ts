/**
 * The lifecycle events AWS IoT publishes on `$aws/events/...` (developer guide, "Lifecycle events"): connect and
 * disconnect on `$aws/events/presence/{connected|disconnected}/{clientId}`, subscribe and unsubscribe on
 * `$aws/events/subscriptions/{subscribed|unsubscribed}/{clientId}`.
 */

/** Why a client disconnected, with AWS's names. */
export type DisconnectReason =
  | 'AUTH_ERROR'
  | 'CLIENT_INITIATED_DISCONNECT'
  | 'CLIENT_ERROR'
  | 'CONNECTION_LOST'
  | 'DUPLICATE_CLIENTID'
  | 'FORBIDDEN_ACCESS'
  | 'MQTT_KEEP_ALIVE_TIMEOUT'
  | 'SERVER_ERROR'
  | 'SERVER_INITIATED_DISCONNECT'
  | 'THROTTLED'
  | 'WEBSOCKET_TTL_EXPIRATION'
  | 'CUSTOMAUTH_TTL_EXPIRATION'
  | 'API_INITIATED_DISCONNECT';

export interface ConnectedEvent {
  clientId: string;
  timestamp: number;
  eventType: 'connected';
  sessionIdentifier: string;
  principalIdentifier: string;
  ipAddress: string;
  versionNumber: number;
}

export interface DisconnectedEvent {
  clientId: string;
  timestamp: number;
  eventType: 'disconnected';
  sessionIdentifier: string;
  principalIdentifier: string;
  clientInitiatedDisconnect: boolean;
  disconnectReason: DisconnectReason;
  versionNumber: number;
}

export interface SubscriptionEvent {
  clientId: string;
  timestamp: number;
  eventType: 'subscribed' | 'unsubscribed';
  sessionIdentifier: string;
  principalIdentifier: string;
  topics: string[];
}

export const presenceTopic = (eventType: 'connected' | 'disconnected', clientId: string) =>
  `$aws/events/presence/${eventType}/${clientId}`;

export const subscriptionTopic = (eventType: 'subscribed' | 'unsubscribed', clientId: string) =>
  `$aws/events/subscriptions/${eventType}/${clientId}`;

/** Client ids with `#` or `+` get no lifecycle events, as in AWS. */
export const hasLifecycleEvents = (clientId: string) => !/[#+]/.test(clientId);
