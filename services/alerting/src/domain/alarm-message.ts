import type { AlarmNotification } from '@iot/types';

/**
 * An alarm notification as one SNS publish with `MessageStructure: 'json'`: `message` maps each delivery protocol to
 * its text, and the mobile push payloads are themselves JSON strings, as SNS requires.
 */
export interface AlarmMessage {
  /** The subject of email deliveries: ASCII, one line, at most 100 characters. */
  subject: string;
  message: {
    /** Every protocol without its own entry (email, SMS, HTTP, SQS, Lambda) gets this text. */
    default: string;
    /** Apple Push Notification service, production and development apps. */
    APNS: string;
    APNS_SANDBOX: string;
    /** Firebase Cloud Messaging (SNS names it GCM), in the FCM HTTP v1 form. */
    GCM: string;
  };
  /**
   * String attributes that subscription filter policies can match. `reminder` is `"true"` on reminders and absent on
   * transitions, so `{"reminder": [{"exists": false}]}` keeps reminders away from a subscriber.
   */
  attributes: { deviceId: string; metric: string; severity: string; state: string; reminder?: 'true' };
}

/** The title a phone shows, e.g. "ALARM (major): sensor-1 temperature" or "Reminder: ALARM (major): ...". */
export function alarmTitle(notification: AlarmNotification): string {
  const { state, severity, deviceId, metric } = notification;
  const title =
    state === 'ALARM'
      ? `ALARM (${severity}): ${deviceId} ${metric}`
      : `${state === 'OK' ? 'OK' : 'No data'}: ${deviceId} ${metric}`;
  return notification.reminder ? `Reminder: ${title}` : title;
}

/** The one-line text for email, SMS and machine subscribers: device, metric, value, threshold and severity. */
export function alarmText(notification: AlarmNotification): string {
  const { state, previousState, deviceId, metric, value, comparison, threshold, severity, timestamp } = notification;
  const change = notification.reminder ? `${state} (reminder)` : `${state} (was ${previousState})`;
  return [
    `${change}: ${notification.reason}.`,
    `Device ${deviceId}, metric ${metric}, value ${value ?? 'none'}, threshold ${comparison} ${threshold},`,
    `severity ${severity}, at ${new Date(timestamp).toISOString()}.`,
  ].join(' ');
}

/** Builds the SNS message of an alarm transition. */
export function formatAlarmMessage(notification: AlarmNotification): AlarmMessage {
  const title = alarmTitle(notification);
  const body = notification.reason;
  // What the app needs to open the alarm; FCM data values must be strings.
  const data = {
    deviceId: notification.deviceId,
    metric: notification.metric,
    state: notification.state,
    previousState: notification.previousState,
    severity: notification.severity,
    threshold: String(notification.threshold),
    ...(notification.value === undefined ? {} : { value: String(notification.value) }),
    timestamp: String(notification.timestamp),
    ...(notification.reminder ? { reminder: 'true' } : {}),
  };
  const apns = JSON.stringify({
    aps: { alert: { title, body }, sound: 'default', 'thread-id': `${notification.deviceId}/${notification.metric}` },
    alarm: data,
  });
  const gcm = JSON.stringify({ fcmV1Message: { message: { notification: { title, body }, data } } });
  return {
    subject: toSubject(title),
    message: { default: alarmText(notification), APNS: apns, APNS_SANDBOX: apns, GCM: gcm },
    attributes: {
      deviceId: notification.deviceId,
      metric: notification.metric,
      severity: notification.severity,
      state: notification.state,
      ...(notification.reminder ? { reminder: 'true' as const } : {}),
    },
  };
}

// SNS rejects a subject that is not printable ASCII on one line or longer than 100 characters.
function toSubject(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= 100 ? ascii : `${ascii.slice(0, 97)}...`;
}
