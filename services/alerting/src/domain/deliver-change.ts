import type { AlarmNotification } from '@iot/types';
import type { AlarmHistoryStore, AlarmNotifier, AlarmStore } from './ports';

export interface ChangeDeliveryDependencies {
  alarms: AlarmStore;
  history: AlarmHistoryStore;
  notifier: AlarmNotifier;
}

/** A change published but not marked as such: harmless unless it is delivered again. */
export interface UnconfirmedChange {
  notification: AlarmNotification;
  error: unknown;
}

/**
 * Delivers a change of state that is already written on its alarm as pending: records it in the history, publishes
 * it, then marks it published (setting the alarm's next check when `next` is given).
 *
 * The mark comes last, so a failure before it leaves the change pending for a redelivery to finish; recording the
 * same change in the history again leaves one entry. A failure of the mark alone is returned rather than thrown:
 * throwing would make the caller's retry publish the change a second time.
 */
export async function deliverChange(
  { alarms, history, notifier }: ChangeDeliveryDependencies,
  notification: AlarmNotification,
  next?: { checkAt: number | undefined },
): Promise<UnconfirmedChange | undefined> {
  await history.record(notification);
  await notifier.notify(notification);
  try {
    await alarms.clearPendingNotification(notification.deviceId, notification.metric, notification.timestamp, next);
    return undefined;
  } catch (error) {
    return { notification, error };
  }
}
