import { ShadowRequestError } from './shadow-errors';

/** AWS IoT Core's Device Shadow service quotas and rules, as the local service applies them. */
export const SHADOW_LIMITS = {
  /** Bytes of `desired` plus `reported` of the stored document, metadata excluded ("Diagnosing problems with shadows"). */
  maxDocumentBytes: 8 * 1024,
  /** Levels of nesting inside `desired` or inside `reported`. */
  maxStateDepth: 8,
  /** Bytes of a client token ("Client tokens in shadow documents"). */
  maxClientTokenBytes: 64,
  maxThingNameLength: 128,
  maxShadowNameLength: 64,
  /**
   * A shadow deleted less than this long ago hands its version on to a new shadow of the same name; after it, a new
   * shadow starts again from version 0 ("Interacting with shadows", DELETE).
   */
  deletedVersionRetentionMs: 48 * 60 * 60 * 1000,
  /** Largest request body the data plane reads for an update, as the MQTT payload limit. */
  maxRequestBytes: 128 * 1024,
} as const;

const NAME_PATTERN = /^[a-zA-Z0-9:_-]+$/;

function validationError(field: string, value: string, constraint: string): ShadowRequestError {
  return new ShadowRequestError(
    400,
    `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: ${constraint}`,
  );
}

function checkName(field: string, value: string, maxLength: number): void {
  if (value.length < 1 || value.length > maxLength) {
    throw validationError(field, value, `Member must have length between 1 and ${maxLength}`);
  }
  if (!NAME_PATTERN.test(value)) {
    throw validationError(field, value, 'Member must satisfy regular expression pattern: [a-zA-Z0-9:_-]+');
  }
}

/** Throws a 400 naming the rule when a thing name is not 1 to 128 letters, digits, colons, underscores or hyphens. */
export function assertThingName(thingName: string): void {
  checkName('thingName', thingName, SHADOW_LIMITS.maxThingNameLength);
}

/** Throws a 400 naming the rule when a shadow name is not 1 to 64 letters, digits, colons, underscores or hyphens. */
export function assertShadowName(shadowName: string): void {
  checkName('shadowName', shadowName, SHADOW_LIMITS.maxShadowNameLength);
}
