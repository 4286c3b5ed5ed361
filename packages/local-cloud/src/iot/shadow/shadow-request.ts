import { isJsonObject, type JsonObject, type JsonValue, utf8Length } from './json-value';
import { shadowErrors } from './shadow-errors';
import { SHADOW_LIMITS } from './shadow-limits';

/** The sections an update changes: `null` deletes a whole section. */
export interface ShadowStatePatch {
  desired?: JsonObject | null;
  reported?: JsonObject | null;
}

/** A request state document ("Shadow document examples", request state document), validated. */
export interface ShadowUpdateRequest {
  /** `null` empties the shadow (both sections) without deleting it. */
  state: ShadowStatePatch | null;
  clientToken?: string;
  /** When given, the update applies only to a shadow at exactly this version. */
  version?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decode(payload: Uint8Array): string {
  try {
    return utf8.decode(payload);
  } catch {
    throw shadowErrors.unsupportedEncoding();
  }
}

function parseObject(payload: Uint8Array): JsonObject {
  const text = decode(payload);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw shadowErrors.invalidJson();
  }
  if (!isJsonObject(body)) throw shadowErrors.invalidJson();
  return body;
}

function readClientToken(body: JsonObject): string | undefined {
  if (!('clientToken' in body)) return undefined;
  const token = body.clientToken;
  if (typeof token !== 'string' || utf8Length(token) > SHADOW_LIMITS.maxClientTokenBytes) {
    throw shadowErrors.invalidClientToken();
  }
  return token;
}

function readVersion(body: JsonObject): number | undefined {
  if (!('version' in body)) return undefined;
  const version = body.version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
    throw shadowErrors.invalidVersion();
  }
  return version;
}

/**
 * Whether a value nests more than `levels` levels deep (a scalar or an empty container is 0 levels, a container one more
 * than its deepest member). Stops one level past the limit, so no payload can exhaust the stack.
 */
export function nestsDeeperThan(value: JsonValue, levels: number): boolean {
  const members = Array.isArray(value) ? value : isJsonObject(value) ? Object.values(value) : [];
  if (members.length === 0) return false;
  if (levels === 0) return true;
  return members.some((member) => nestsDeeperThan(member, levels - 1));
}

function containsNullInArray(value: JsonValue, insideArray: boolean): boolean {
  if (value === null) return insideArray;
  if (Array.isArray(value)) return value.some((item) => containsNullInArray(item, true));
  if (isJsonObject(value)) return Object.values(value).some((member) => containsNullInArray(member, insideArray));
  return false;
}

function readSection(state: JsonObject, section: 'desired' | 'reported'): JsonObject | null | undefined {
  if (!(section in state)) return undefined;
  const value = state[section] as JsonValue;
  if (value === null) return null;
  if (!isJsonObject(value)) {
    throw section === 'desired' ? shadowErrors.desiredNotObject() : shadowErrors.reportedNotObject();
  }
  if (nestsDeeperThan(value, SHADOW_LIMITS.maxStateDepth)) throw shadowErrors.tooDeep(SHADOW_LIMITS.maxStateDepth);
  // "Array values in shadow documents": arrays can't have null values.
  if (containsNullInArray(value, false)) throw shadowErrors.invalidStateNode();
  return value;
}

/**
 * Validates the payload of an update (MQTT `/update` or UpdateThingShadow) and returns the request it holds. Throws a
 * `ShadowRequestError` with AWS's code and message. Anything outside `state`, `clientToken` and `version` is ignored,
 * as AWS ignores it ("Diagnosing problems with shadows").
 */
export function parseUpdateRequest(payload: Uint8Array): ShadowUpdateRequest {
  const body = parseObject(payload);
  const clientToken = readClientToken(body);
  const version = readVersion(body);
  const tail = { ...(clientToken === undefined ? {} : { clientToken }), ...(version === undefined ? {} : { version }) };

  if (!('state' in body)) throw shadowErrors.missingState();
  const state = body.state as JsonValue;
  if (state === null) return { state: null, ...tail };
  if (!isJsonObject(state)) throw shadowErrors.stateNotObject();
  if (Object.keys(state).some((key) => key !== 'desired' && key !== 'reported')) {
    throw shadowErrors.invalidStateNode();
  }
  const patch: ShadowStatePatch = {};
  const desired = readSection(state, 'desired');
  if (desired !== undefined) patch.desired = desired;
  const reported = readSection(state, 'reported');
  if (reported !== undefined) patch.reported = reported;
  return { state: patch, ...tail };
}

/**
 * The client token of a get or delete request. Their payload is normally empty and is otherwise ignored, except for a
 * `clientToken` the answer echoes; an unusable token is refused as on an update.
 */
export function parseClientTokenRequest(payload: Uint8Array): string | undefined {
  if (payload.length === 0) return undefined;
  let body: JsonObject;
  try {
    body = parseObject(payload);
  } catch {
    return undefined;
  }
  return readClientToken(body);
}

/** The client token of any request payload when it is a usable one, for the answer to a refused request. */
export function clientTokenOf(payload: Uint8Array): string | undefined {
  try {
    return readClientToken(parseObject(payload));
  } catch {
    return undefined;
  }
}
