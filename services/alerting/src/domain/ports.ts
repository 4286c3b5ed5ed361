import type { Alarm, AlarmHistoryEntry, AlarmNotification, AlarmState } from '@iot/types';
import type { TrackedAlarm } from './alarm-state-machine';

/** An alarm as stored, with what makes its writes safe under concurrency and its notifications survive failures. */
export interface StoredAlarm extends TrackedAlarm {
  /** Increases with every write; a write succeeds only if the alarm is still at the revision it was computed from. */
  revision: number;
  /** A transition that was written but whose publish is not confirmed yet. */
  pendingNotification?: AlarmNotification;
  /**
   * The time at or after which the scheduled check must look at the alarm (missing data, a reminder, a notification
   * to publish again); absent when nothing can come due. Never later than the real deadline; it may be earlier.
   */
  checkAt?: number;
}

/** One write of an alarm. */
export interface AlarmWrite {
  next: TrackedAlarm;
  /** The revision `next` was computed from; `undefined` creates the alarm, which must not exist yet. */
  expectedRevision: number | undefined;
  pendingNotification: AlarmNotification | undefined;
  checkAt: number | undefined;
}

/** A device metric, the key of its alarm. */
export interface AlarmKey {
  deviceId: string;
  metric: string;
}

/** A page of a longer list; `nextToken` (opaque) asks for the next one and is absent on the last. */
export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/** The alarms of every device metric. */
export interface AlarmStore {
  get(deviceId: string, metric: string): Promise<StoredAlarm | undefined>;
  /**
   * Writes the alarm if it is still at `expectedRevision` (absent when `undefined`) and the write does not go back to
   * an older reading. `false` when another writer got there first.
   */
  save(write: AlarmWrite): Promise<boolean>;
  /**
   * Drops the pending notification of the change at `timestamp` once published, and sets the next check when
   * `options` is given; a no-op if that notification is no longer pending.
   */
  clearPendingNotification(
    deviceId: string,
    metric: string,
    timestamp: number,
    options?: { checkAt: number | undefined },
  ): Promise<void>;
  /** Every alarm of a device, ordered by metric. */
  listByDevice(deviceId: string): Promise<Alarm[]>;
  /** The fleet's alarms in `state`, the most recently changed first. A page may hold fewer than `limit`. */
  listByState(state: AlarmState, page: { limit: number; nextToken?: string }): Promise<Page<Alarm>>;
  /** The keys of the alarms whose `checkAt` has come (`<= now`), page by page, earliest first within a page. */
  dueForCheck(now: number): AsyncIterable<AlarmKey[]>;
}

/** An alarm as a warm function last wrote or read it (`stored`), and as its readings since have left it (`latest`). */
export interface CachedAlarm {
  stored: StoredAlarm;
  latest: TrackedAlarm;
}

/**
 * The alarms a warm evaluation has seen, so that a reading that changes nothing of its alarm needs no DynamoDB
 * read or write. Another writer's change is found by the next conditional write, which fails and reads again.
 */
export interface AlarmCache {
  get(deviceId: string, metric: string): CachedAlarm | undefined;
  set(deviceId: string, metric: string, alarm: CachedAlarm): void;
  delete(deviceId: string, metric: string): void;
}

/** Where alarm notifications go: the alerts topic. */
export interface AlarmNotifier {
  notify(notification: AlarmNotification): Promise<void>;
}

/** The changes of state of every alarm, kept for a while. */
export interface AlarmHistoryStore {
  /** Records a change; recording the same change again (a redelivery) leaves one entry. */
  record(change: AlarmNotification): Promise<void>;
  /** A device's changes between `from` and `to` (inclusive), newest first. */
  listByDevice(
    deviceId: string,
    query: { from?: number; to?: number; limit: number; nextToken?: string },
  ): Promise<Page<AlarmHistoryEntry>>;
}
