import type { AlarmNotification } from '@iot/types';
import { formatAlarmMessage } from '../src/domain/alarm-message';

const raised: AlarmNotification = {
  deviceId: 'greenhouse-7:sensor-42',
  metric: 'temperature',
  state: 'ALARM',
  previousState: 'OK',
  severity: 'critical',
  comparison: 'above',
  threshold: 30,
  value: 31.2,
  timestamp: 1_767_225_600_000,
  reason: 'temperature 31.2 is above 30',
};

const cleared: AlarmNotification = {
  ...raised,
  state: 'OK',
  previousState: 'ALARM',
  value: 27.5,
  reason: 'temperature 27.5 is back at or below 28',
};

describe('formatAlarmMessage', () => {
  it('names device, metric, value, threshold and severity in the default text', () => {
    // Act
    const { message } = formatAlarmMessage(raised);

    // Assess
    expect(message.default).toBe(
      'ALARM (was OK): temperature 31.2 is above 30. Device greenhouse-7:sensor-42, metric temperature, value 31.2, ' +
        'threshold above 30, severity critical, at 2026-01-01T00:00:00.000Z.',
    );
  });

  it('gives APNs an alert a phone shows, as a JSON string', () => {
    // Act
    const { message } = formatAlarmMessage(raised);

    // Assess
    expect(typeof message.APNS).toBe('string');
    expect(JSON.parse(message.APNS)).toEqual({
      aps: {
        alert: { title: 'ALARM (critical): greenhouse-7:sensor-42 temperature', body: 'temperature 31.2 is above 30' },
        sound: 'default',
        'thread-id': 'greenhouse-7:sensor-42/temperature',
      },
      alarm: {
        deviceId: 'greenhouse-7:sensor-42',
        metric: 'temperature',
        state: 'ALARM',
        previousState: 'OK',
        severity: 'critical',
        threshold: '30',
        value: '31.2',
        timestamp: '1767225600000',
      },
    });
    expect(message.APNS_SANDBOX).toBe(message.APNS);
  });

  it('gives FCM a notification and string-only data in the HTTP v1 form, as a JSON string', () => {
    // Act
    const { message } = formatAlarmMessage(cleared);

    // Assess
    const gcm = JSON.parse(message.GCM);
    expect(gcm.fcmV1Message.message.notification).toEqual({
      title: 'OK: greenhouse-7:sensor-42 temperature',
      body: 'temperature 27.5 is back at or below 28',
    });
    expect(Object.values(gcm.fcmV1Message.message.data).every((value) => typeof value === 'string')).toBe(true);
    expect(gcm.fcmV1Message.message.data).toMatchObject({ state: 'OK', previousState: 'ALARM', value: '27.5' });
  });

  it('sets the attributes subscribers filter on', () => {
    // Act
    const { attributes } = formatAlarmMessage(raised);

    // Assess
    expect(attributes).toEqual({
      deviceId: 'greenhouse-7:sensor-42',
      metric: 'temperature',
      severity: 'critical',
      state: 'ALARM',
    });
  });

  it('keeps the email subject within what SNS accepts', () => {
    // Prepare
    const long = { ...raised, deviceId: 'd'.repeat(128), metric: `m${'x'.repeat(63)}` };

    // Act
    const { subject } = formatAlarmMessage(long);

    // Assess
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it('reports a notification without a value as such', () => {
    // Prepare
    const { value: _value, ...noData } = { ...raised, state: 'INSUFFICIENT_DATA' as const, reason: 'no data' };

    // Act
    const { message } = formatAlarmMessage(noData);

    // Assess
    expect(message.default).toContain('value none');
    expect(JSON.parse(message.GCM).fcmV1Message.message.data).not.toHaveProperty('value');
    expect(JSON.parse(message.APNS).aps.alert.title).toBe('No data: greenhouse-7:sensor-42 temperature');
  });

  it('marks a reminder in the title, the text, the app data and an attribute subscribers can filter on', () => {
    // Prepare
    const reminder: AlarmNotification = {
      ...raised,
      previousState: 'ALARM',
      reason: 'reminder 1: temperature is above 30 (last reading 31.2), in ALARM since ... and not acknowledged',
      reminder: true,
    };

    // Act
    const { subject, message, attributes } = formatAlarmMessage(reminder);

    // Assess
    expect(subject).toBe('Reminder: ALARM (critical): greenhouse-7:sensor-42 temperature');
    expect(message.default).toMatch(/^ALARM \(reminder\): reminder 1: temperature is above 30/);
    expect(JSON.parse(message.GCM).fcmV1Message.message.data).toMatchObject({ reminder: 'true', state: 'ALARM' });
    expect(JSON.parse(message.APNS).alarm).toMatchObject({ reminder: 'true' });
    expect(attributes).toEqual({
      deviceId: 'greenhouse-7:sensor-42',
      metric: 'temperature',
      severity: 'critical',
      state: 'ALARM',
      reminder: 'true',
    });
  });

  it('sets no reminder attribute on a transition', () => {
    // Act
    const { attributes, message } = formatAlarmMessage(raised);

    // Assess
    expect(attributes).not.toHaveProperty('reminder');
    expect(JSON.parse(message.GCM).fcmV1Message.message.data).not.toHaveProperty('reminder');
  });
});
