import { join } from 'node:path';
import type { Flushable } from '../../contracts';
import { JsonSnapshotFile } from '../../persistence/json-snapshot-file';
import {
  applyUpdate,
  type DeleteAcceptedDocument,
  deleteAcceptedDocument,
  epochSeconds,
  type GetAcceptedDocument,
  getAcceptedDocument,
  type ShadowDocument,
  type ShadowNameListDocument,
  type UpdateOutcome,
} from './shadow-document';
import { ShadowRequestError, shadowErrors } from './shadow-errors';
import { SHADOW_LIMITS } from './shadow-limits';
import type { ShadowUpdateRequest } from './shadow-request';

/** A shadow as requests name it: the classic shadow of a thing, or one of its named shadows. */
export interface ShadowRef {
  thingName: string;
  /** Absent for the classic (unnamed) shadow. */
  shadowName?: string;
}

export interface ShadowStoreOptions {
  /** When given, shadows are kept in `<dataDir>/iot-shadows.json` and survive a restart. */
  dataDir?: string;
  /** Quiet period before a change is written to disk. */
  persistDebounceMs?: number;
  /** The clock, in epoch milliseconds. */
  now?: () => number;
}

export interface ListNamedShadowsOptions {
  /** 1 to 100; 25 when not given. */
  pageSize?: number;
  nextToken?: string;
}

interface StoredShadow {
  thingName: string;
  shadowName?: string;
  /** Absent once the shadow is deleted. */
  document?: ShadowDocument;
  /** A deleted shadow's version, handed on to the next shadow of the same name for 48 hours. */
  deletedVersion?: number;
  /** Epoch milliseconds of the delete. */
  deletedAt?: number;
}

interface Snapshot {
  version: 1;
  shadows: StoredShadow[];
}

const CLASSIC = '';
const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 100;

/**
 * The shadows of every thing, classic and named, with their versions, including those of recently deleted shadows.
 * Every operation is synchronous and takes effect at once, so concurrent requests on one shadow are serialized.
 */
export class ShadowStore implements Flushable {
  private readonly things = new Map<string, Map<string, StoredShadow>>();
  private readonly file: JsonSnapshotFile | undefined;
  private readonly now: () => number;

  constructor(options: ShadowStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    if (options.dataDir) {
      this.file = new JsonSnapshotFile(
        join(options.dataDir, 'iot-shadows.json'),
        (): Snapshot => ({ version: 1, shadows: [...this.things.values()].flatMap((named) => [...named.values()]) }),
        options.persistDebounceMs,
      );
      const snapshot = this.file.load() as Snapshot | undefined;
      for (const shadow of snapshot?.shadows ?? [])
        this.slots(shadow.thingName).set(shadow.shadowName ?? CLASSIC, shadow);
    }
  }

  /** The current time in epoch seconds, as shadow documents carry it. */
  timestamp(): number {
    return epochSeconds(this.now());
  }

  /** The live document of a shadow, or undefined when there is none. */
  peek(ref: ShadowRef): ShadowDocument | undefined {
    return this.things.get(ref.thingName)?.get(ref.shadowName ?? CLASSIC)?.document;
  }

  /** GET: the whole document with its delta; 404 when the shadow does not exist. */
  get(ref: ShadowRef, clientToken?: string): GetAcceptedDocument {
    const document = this.peek(ref);
    if (!document) throw shadowErrors.noShadow(ref.shadowName ?? ref.thingName);
    return getAcceptedDocument(document, this.timestamp(), clientToken);
  }

  /** UPDATE: creates the shadow or merges into it; the outcome holds every document AWS IoT publishes about it. */
  update(ref: ShadowRef, request: ShadowUpdateRequest): UpdateOutcome {
    const now = this.now();
    const stored = this.slots(ref.thingName).get(ref.shadowName ?? CLASSIC);
    const inheritsVersion =
      stored?.deletedAt !== undefined && now - stored.deletedAt < SHADOW_LIMITS.deletedVersionRetentionMs;
    const baseVersion = inheritsVersion ? (stored?.deletedVersion ?? 0) : 0;
    const outcome = applyUpdate(stored?.document, baseVersion, request, epochSeconds(now));
    this.slots(ref.thingName).set(ref.shadowName ?? CLASSIC, {
      thingName: ref.thingName,
      ...(ref.shadowName === undefined ? {} : { shadowName: ref.shadowName }),
      document: outcome.shadow,
    });
    this.file?.changed();
    return outcome;
  }

  /** DELETE: removes the shadow, keeping its version for the next shadow of the same name; 404 when there is none. */
  delete(ref: ShadowRef, clientToken?: string): DeleteAcceptedDocument {
    const slots = this.slots(ref.thingName);
    const stored = slots.get(ref.shadowName ?? CLASSIC);
    if (!stored?.document) throw shadowErrors.noShadow(ref.shadowName ?? ref.thingName);
    const now = this.now();
    slots.set(ref.shadowName ?? CLASSIC, {
      thingName: ref.thingName,
      ...(ref.shadowName === undefined ? {} : { shadowName: ref.shadowName }),
      deletedVersion: stored.document.version,
      deletedAt: now,
    });
    this.file?.changed();
    return deleteAcceptedDocument(stored.document.version, epochSeconds(now), clientToken);
  }

  /**
   * The names of a thing's named shadows in name order, a page at a time; the classic shadow is not listed, and a
   * thing without shadows has an empty list ("Device Shadow REST API", ListNamedShadowsForThing).
   */
  listNamedShadows(thingName: string, options: ListNamedShadowsOptions = {}): ShadowNameListDocument {
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw new ShadowRequestError(
        400,
        `1 validation error detected: Value '${pageSize}' at 'pageSize' failed to satisfy constraint: Member must have value between 1 and ${MAX_PAGE_SIZE}`,
      );
    }
    const after = options.nextToken === undefined ? undefined : decodeNextToken(options.nextToken);
    const names = [...(this.things.get(thingName)?.values() ?? [])]
      .filter((shadow) => shadow.document && shadow.shadowName !== undefined)
      .map((shadow) => shadow.shadowName as string)
      .sort()
      .filter((name) => after === undefined || name > after);
    const results = names.slice(0, pageSize);
    const more = names.length > pageSize;
    return {
      results,
      ...(more ? { nextToken: encodeNextToken(results[results.length - 1] as string) } : {}),
      timestamp: this.timestamp(),
    };
  }

  /** Writes the shadows to disk now (no-op without a dataDir). */
  /** Resolves once every change made so far is on disk (at once when the store keeps nothing on disk). */
  async persisted(): Promise<void> {
    await this.file?.persisted();
  }

  async flush(): Promise<void> {
    await this.file?.flush();
  }

  /** Writes what is pending; the store stays usable. */
  async close(): Promise<void> {
    await this.flush();
  }

  private slots(thingName: string): Map<string, StoredShadow> {
    let slots = this.things.get(thingName);
    if (!slots) {
      slots = new Map();
      this.things.set(thingName, slots);
    }
    return slots;
  }
}

function encodeNextToken(lastName: string): string {
  return Buffer.from(JSON.stringify({ after: lastName })).toString('base64url');
}

function decodeNextToken(token: string): string {
  try {
    const { after } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof after === 'string') return after;
  } catch {
    // answered below
  }
  throw new ShadowRequestError(400, 'The nextToken is not valid');
}
