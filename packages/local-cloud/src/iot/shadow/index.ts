/**
 * The local AWS IoT Device Shadow service: classic and named shadows over MQTT (a `PublishObserver` answering through
 * an `IotPublisher`) and, through the data plane, over HTTPS; persisted to a JSON snapshot.
 */
export {
  DeviceShadowService,
  type DeviceShadowServiceOptions,
  type ShadowServiceLogger,
  stderrShadowServiceLogger,
} from './device-shadow-service';
export {
  applyUpdate,
  computeDelta,
  type DeleteAcceptedDocument,
  type DeltaDocument,
  type DocumentsDocument,
  deleteAcceptedDocument,
  type ErrorDocument,
  epochSeconds,
  errorDocument,
  type GetAcceptedDocument,
  getAcceptedDocument,
  metadataOf,
  type ShadowDocument,
  type ShadowNameListDocument,
  type ShadowSections,
  type ShadowSnapshot,
  type UpdateAcceptedDocument,
  type UpdateOutcome,
} from './shadow-document';
export { type ShadowErrorCode, ShadowRequestError, shadowErrors } from './shadow-errors';
export { assertShadowName, assertThingName, SHADOW_LIMITS } from './shadow-limits';
export {
  clientTokenOf,
  nestsDeeperThan,
  parseClientTokenRequest,
  parseUpdateRequest,
  type ShadowStatePatch,
  type ShadowUpdateRequest,
} from './shadow-request';
export {
  type ListNamedShadowsOptions,
  type ShadowRef,
  ShadowStore,
  type ShadowStoreOptions,
} from './shadow-store';
