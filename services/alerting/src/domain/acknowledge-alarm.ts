import type { Alarm } from '@iot/types';
import { AlarmContentionError, MAX_WRITE_ATTEMPTS } from './evaluate-telemetry';
import type { AlarmStore } from './ports';

/** No alarm for this device metric: it has never been evaluated. */
export class AlarmNotFoundError extends Error {
  constructor(
    readonly deviceId: string,
    readonly metric: string,
  ) {
    super(`${deviceId} has no alarm for ${metric}`);
    this.name = 'AlarmNotFoundError';
  }
}

/** The alarm is OK, or someone else acknowledged it already: acknowledging it again would say something false. */
export class AlarmAcknowledgementConflictError extends Error {
  constructor(
    message: string,
    readonly alarm: Alarm,
  ) {
    super(message);
    this.name = 'AlarmAcknowledgementConflictError';
  }
}

export interface Acknowledgement {
  deviceId: string;
  metric: string;
  /** Who acknowledges: a user id, or `anonymous`. */
  user: string;
  now: number;
}

/**
 * `POST /devices/{deviceId}/alarms/{metric}/ack`: records who acknowledged the alarm and when. An alarm in ALARM or
 * INSUFFICIENT_DATA can be acknowledged; the acknowledgement lasts until its next change of state, and an acknowledged
 * alarm gets no reminders. The same user acknowledging again changes nothing (the first time stays); another user
 * cannot take over an acknowledgement.
 */
export async function acknowledgeAlarm(
  alarms: Pick<AlarmStore, 'get' | 'save'>,
  { deviceId, metric, user, now }: Acknowledgement,
): Promise<{ alarm: Alarm; changed: boolean }> {
  for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
    const stored = await alarms.get(deviceId, metric);
    if (!stored) throw new AlarmNotFoundError(deviceId, metric);
    const { alarm } = stored;
    if (alarm.state === 'OK') {
      throw new AlarmAcknowledgementConflictError(
        `the alarm of ${deviceId} ${metric} is OK: nothing to acknowledge`,
        alarm,
      );
    }
    if (alarm.acknowledgedAt !== undefined) {
      if (alarm.acknowledgedBy === user) return { alarm, changed: false };
      throw new AlarmAcknowledgementConflictError(
        `the alarm of ${deviceId} ${metric} was acknowledged by ${alarm.acknowledgedBy ?? 'someone else'} at ${new Date(alarm.acknowledgedAt).toISOString()}`,
        alarm,
      );
    }
    const acknowledged: Alarm = { ...alarm, acknowledgedAt: now, acknowledgedBy: user };
    const saved = await alarms.save({
      next: { ...stored, alarm: acknowledged },
      expectedRevision: stored.revision,
      pendingNotification: stored.pendingNotification,
      // The reminders stop: the next check finds none due and moves the alarm's check on.
      checkAt: stored.checkAt,
    });
    if (saved) return { alarm: acknowledged, changed: true };
  }
  throw new AlarmContentionError(deviceId, metric, MAX_WRITE_ATTEMPTS);
}
