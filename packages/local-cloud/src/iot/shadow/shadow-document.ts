import { isJsonObject, type JsonObject, type JsonValue, jsonEquals, utf8Length } from './json-value';
import type { ShadowErrorCode } from './shadow-errors';
import { shadowErrors } from './shadow-errors';
import { SHADOW_LIMITS } from './shadow-limits';
import type { ShadowStatePatch, ShadowUpdateRequest } from './shadow-request';

/**
 * The Device Shadow service's documents and rules ("Device Shadow service documents"), as pure functions of a
 * shadow and a request. Timestamps are epoch seconds, as AWS writes them.
 */

/** The `desired` and `reported` sections; a section is absent when it holds nothing ("Empty shadow document properties"). */
export interface ShadowSections {
  desired?: JsonObject;
  reported?: JsonObject;
}

/** A stored shadow: its state, the per-leaf timestamps of that state, and its version. */
export interface ShadowDocument {
  state: ShadowSections;
  metadata: ShadowSections;
  version: number;
}

/** `/update/accepted` and UpdateThingShadow's answer: only what the request sent, with its timestamps. */
export interface UpdateAcceptedDocument {
  state: ShadowStatePatch | null;
  metadata: JsonValue;
  version: number;
  timestamp: number;
  clientToken?: string;
}

/** `/update/delta`: the desired values that differ from the reported ones. */
export interface DeltaDocument {
  state: JsonObject;
  metadata: JsonObject;
  version: number;
  timestamp: number;
  clientToken?: string;
}

/** One side of `/update/documents`. */
export interface ShadowSnapshot {
  state: ShadowSections;
  metadata: ShadowSections;
  version: number;
}

/** `/update/documents`: the shadow before and after an update; `previous` is null when the update created it. */
export interface DocumentsDocument {
  previous: ShadowSnapshot | null;
  current: ShadowSnapshot;
  timestamp: number;
  clientToken?: string;
}

/** `/get/accepted` and GetThingShadow's answer: the whole document with its delta. */
export interface GetAcceptedDocument {
  state: ShadowSections & { delta?: JsonObject };
  metadata: ShadowSections & { delta?: JsonObject };
  version: number;
  timestamp: number;
  clientToken?: string;
}

/** `/delete/accepted` and DeleteThingShadow's answer. */
export interface DeleteAcceptedDocument {
  version: number;
  timestamp: number;
  clientToken?: string;
}

/** The error response document of every `/rejected` topic. */
export interface ErrorDocument {
  code: ShadowErrorCode;
  message: string;
  timestamp: number;
  clientToken?: string;
}

/** The shadow name list response document (ListNamedShadowsForThing). */
export interface ShadowNameListDocument {
  results: string[];
  nextToken?: string;
  timestamp: number;
}

/** What an accepted update produces: the new shadow and the documents AWS IoT publishes about it. */
export interface UpdateOutcome {
  shadow: ShadowDocument;
  accepted: UpdateAcceptedDocument;
  /** Present when desired differs from reported after the update. */
  delta?: DeltaDocument;
  documents: DocumentsDocument;
}

/** Epoch seconds, the unit of every shadow timestamp. */
export function epochSeconds(milliseconds: number): number {
  return Math.floor(milliseconds / 1000);
}

function withToken<T extends object>(document: T, clientToken: string | undefined): T & { clientToken?: string } {
  return clientToken === undefined ? document : { ...document, clientToken };
}

/** Defines a key without going through `__proto__`'s setter, so any key a document holds stays an ordinary key. */
function put(target: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The metadata of a value: `{timestamp}` per leaf, arrays element by element ("Shadow document examples"). */
export function metadataOf(value: JsonValue, timestamp: number): JsonValue {
  if (Array.isArray(value)) return value.map((item) => metadataOf(item, timestamp));
  if (isJsonObject(value)) {
    const metadata: JsonObject = {};
    for (const [key, member] of Object.entries(value)) put(metadata, key, metadataOf(member, timestamp));
    return metadata;
  }
  return { timestamp };
}

/**
 * Merges an update into a section: keys not sent are kept, `null` deletes a key, objects merge key by key, and any
 * other value (arrays included) replaces what was there ("Array values in shadow documents").
 */
function mergeSection(
  state: JsonObject,
  metadata: JsonObject,
  patch: JsonObject,
  timestamp: number,
): { state: JsonObject; metadata: JsonObject } {
  const nextState: JsonObject = { ...state };
  const nextMetadata: JsonObject = { ...metadata };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete nextState[key];
      delete nextMetadata[key];
      continue;
    }
    if (!isJsonObject(value)) {
      put(nextState, key, value);
      put(nextMetadata, key, metadataOf(value, timestamp));
      continue;
    }
    const existing = Object.hasOwn(nextState, key) ? nextState[key] : undefined;
    const existingMetadata = Object.hasOwn(nextMetadata, key) ? nextMetadata[key] : undefined;
    const merged = isJsonObject(existing)
      ? mergeSection(existing, isJsonObject(existingMetadata) ? existingMetadata : {}, value, timestamp)
      : mergeSection({}, {}, value, timestamp);
    // An object of nothing but deletions creates nothing where there was nothing.
    if (existing === undefined && Object.keys(merged.state).length === 0 && Object.keys(value).length > 0) continue;
    put(nextState, key, merged.state);
    put(nextMetadata, key, merged.metadata);
  }
  return { state: nextState, metadata: nextMetadata };
}

/**
 * The delta of two sections ("Delta state"): every desired key whose value differs from the reported one, nested
 * objects compared key by key down to the differing leaves, arrays compared as whole values; keys only in reported
 * are left out. Its metadata is the desired metadata of the same keys. Undefined when nothing differs.
 */
export function computeDelta(
  desired: JsonObject | undefined,
  reported: JsonObject | undefined,
  desiredMetadata: JsonObject | undefined,
): { state: JsonObject; metadata: JsonObject } | undefined {
  if (!desired) return undefined;
  const state: JsonObject = {};
  const metadata: JsonObject = {};
  for (const [key, wanted] of Object.entries(desired)) {
    const actual = reported && Object.hasOwn(reported, key) ? reported[key] : undefined;
    const wantedMetadata = desiredMetadata && Object.hasOwn(desiredMetadata, key) ? desiredMetadata[key] : undefined;
    if (isJsonObject(wanted) && isJsonObject(actual)) {
      const nested = computeDelta(wanted, actual, isJsonObject(wantedMetadata) ? wantedMetadata : undefined);
      if (nested) {
        put(state, key, nested.state);
        put(metadata, key, nested.metadata);
      }
      continue;
    }
    if (actual === undefined || !jsonEquals(wanted, actual)) {
      put(state, key, wanted);
      put(metadata, key, wantedMetadata ?? metadataOf(wanted, 0));
    }
  }
  return Object.keys(state).length > 0 ? { state, metadata } : undefined;
}

function sections(desired: JsonObject | undefined, reported: JsonObject | undefined): ShadowSections {
  return { ...(desired ? { desired } : {}), ...(reported ? { reported } : {}) };
}

function snapshot(shadow: ShadowDocument): ShadowSnapshot {
  return { state: shadow.state, metadata: shadow.metadata, version: shadow.version };
}

function documentBytes(state: ShadowSections): number {
  return (
    (state.desired ? utf8Length(JSON.stringify(state.desired)) : 0) +
    (state.reported ? utf8Length(JSON.stringify(state.reported)) : 0)
  );
}

function patchMetadata(state: ShadowStatePatch | null, timestamp: number): JsonValue {
  if (state === null) return { timestamp };
  const metadata: JsonObject = {};
  for (const section of ['desired', 'reported'] as const) {
    const value = state[section];
    if (value !== undefined) metadata[section] = metadataOf(value, timestamp);
  }
  return metadata;
}

/**
 * Applies an update to a shadow ("Interacting with shadows", UPDATE). `current` is the live shadow, absent when there
 * is none; `baseVersion` is then the version a new shadow continues from (0, or a recently deleted shadow's version).
 * Throws 409 when the request names another version, 413 when the result holds more than 8 KB of state.
 */
export function applyUpdate(
  current: ShadowDocument | undefined,
  baseVersion: number,
  request: ShadowUpdateRequest,
  timestamp: number,
): UpdateOutcome {
  const version = current?.version ?? baseVersion;
  if (request.version !== undefined && request.version !== version) throw shadowErrors.versionConflict();

  let state: ShadowSections = current?.state ?? {};
  let metadata: ShadowSections = current?.metadata ?? {};
  if (request.state === null) {
    state = {};
    metadata = {};
  } else {
    for (const section of ['desired', 'reported'] as const) {
      const patch = request.state[section];
      if (patch === undefined) continue;
      let nextState: JsonObject | undefined;
      let nextMetadata: JsonObject | undefined;
      if (patch !== null) {
        const merged = mergeSection(state[section] ?? {}, metadata[section] ?? {}, patch, timestamp);
        // A section left empty is removed from the document ("Empty shadow document properties").
        if (Object.keys(merged.state).length > 0) ({ state: nextState, metadata: nextMetadata } = merged);
      }
      state = section === 'desired' ? sections(nextState, state.reported) : sections(state.desired, nextState);
      metadata =
        section === 'desired' ? sections(nextMetadata, metadata.reported) : sections(metadata.desired, nextMetadata);
    }
  }
  if (documentBytes(state) > SHADOW_LIMITS.maxDocumentBytes) throw shadowErrors.payloadTooLarge();

  const shadow: ShadowDocument = { state, metadata, version: version + 1 };
  const delta = computeDelta(state.desired, state.reported, metadata.desired);
  return {
    shadow,
    accepted: withToken(
      { state: request.state, metadata: patchMetadata(request.state, timestamp), version: shadow.version, timestamp },
      request.clientToken,
    ),
    ...(delta
      ? {
          delta: withToken(
            { state: delta.state, metadata: delta.metadata, version: shadow.version, timestamp },
            request.clientToken,
          ),
        }
      : {}),
    documents: withToken(
      { previous: current ? snapshot(current) : null, current: snapshot(shadow), timestamp },
      request.clientToken,
    ),
  };
}

/** The whole document with its delta ("Retrieving a shadow document"). */
export function getAcceptedDocument(
  shadow: ShadowDocument,
  timestamp: number,
  clientToken?: string,
): GetAcceptedDocument {
  const delta = computeDelta(shadow.state.desired, shadow.state.reported, shadow.metadata.desired);
  return withToken(
    {
      state: { ...shadow.state, ...(delta ? { delta: delta.state } : {}) },
      metadata: { ...shadow.metadata, ...(delta ? { delta: delta.metadata } : {}) },
      version: shadow.version,
      timestamp,
    },
    clientToken,
  );
}

/** The abbreviated accepted document of a delete: the deleted shadow's version ("Deleting a shadow"). */
export function deleteAcceptedDocument(
  version: number,
  timestamp: number,
  clientToken?: string,
): DeleteAcceptedDocument {
  return withToken({ version, timestamp }, clientToken);
}

/** The error response document ("Error response document"). */
export function errorDocument(
  error: { code: ShadowErrorCode; message: string },
  timestamp: number,
  clientToken?: string,
): ErrorDocument {
  return withToken({ code: error.code, message: error.message, timestamp }, clientToken);
}
