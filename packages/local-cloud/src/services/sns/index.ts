/**
 * The local SNS: topics, subscriptions with the HTTP/S handshake, filter policies, raw delivery, and delivery to
 * HTTP/S, SQS, Lambda and (recorded to an outbox) email, SMS and mobile push; on the wire (AWS query protocol) and
 * in-process.
 */
export {
  type FilterPolicy,
  FilterPolicyError,
  type FilterPolicyScope,
  matchesFilterPolicy,
  parseFilterPolicy,
} from './filter-policy';
export { DEFAULT_HTTP_RETRY, type HttpRetryPolicy } from './http-delivery';
export type { OutboxEntry, OutboxProtocol } from './sns-outbox';
export { SnsService } from './sns-service';
export {
  type PublishInput,
  type SnsLogger,
  type SnsProtocol,
  SnsStore,
  type SnsStoreOptions,
  type SubscriptionDescription,
  type TopicDescription,
} from './sns-store';
