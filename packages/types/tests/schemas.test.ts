import {
  DeviceConfigurationSchema,
  PutDeviceConfigRequestSchema,
  PutThresholdsRequestSchema,
  resolveThresholdRule,
  summarizeIssues,
  TelemetryPayloadSchema,
  TelemetryRuleEventSchema,
  ThresholdRuleSchema,
} from '../src';

const reading = { timestamp: 1_767_225_600_000, metrics: { temperature: 21.5, 'battery.voltage': 3.7 } };

describe('telemetry', () => {
  it('accepts a device message and the rule event built from it', () => {
    // Assess
    expect(TelemetryPayloadSchema.parse({ ...reading, messageId: 'm-1', sequence: 4 })).toEqual({
      ...reading,
      messageId: 'm-1',
      sequence: 4,
    });
    expect(
      TelemetryRuleEventSchema.parse({ ...reading, deviceId: 'sensor-1', receivedAt: 1_767_225_600_040 }),
    ).toMatchObject({ deviceId: 'sensor-1' });
  });

  it.each([
    [
      'a timestamp in seconds',
      { ...reading, timestamp: 1_767_225_600 },
      'timestamp: must be milliseconds since the epoch',
    ],
    ['a reading that is not a number', { ...reading, metrics: { temperature: '21' } }, 'metrics.temperature'],
    ['no reading', { ...reading, metrics: {} }, 'metrics: must hold at least one reading'],
    ['a metric name with a space', { ...reading, metrics: { 'bad name': 1 } }, 'metrics.bad name'],
  ])('rejects %s, naming the field', (_, payload, message) => {
    // Act
    const result = TelemetryPayloadSchema.safeParse(payload);

    // Assess
    expect(result.success).toBe(false);
    if (!result.success) expect(summarizeIssues(result.error)).toContain(message);
  });
});

describe('threshold rules', () => {
  it('applies the documented defaults', () => {
    // Act
    const rule = resolveThresholdRule(
      ThresholdRuleSchema.parse({ metric: 'temperature', comparison: 'above', value: 30 }),
    );

    // Assess
    expect(rule).toEqual({
      metric: 'temperature',
      comparison: 'above',
      value: 30,
      clearValue: 30,
      severity: 'major',
      datapointsToAlarm: 1,
      evaluationPeriods: 1,
      missingDataMinutes: undefined,
    });
  });

  it.each([
    [{ metric: 't', comparison: 'above', value: 30, clearValue: 31 }, 'clearValue'],
    [{ metric: 't', comparison: 'below', value: 5, clearValue: 4 }, 'clearValue'],
    [{ metric: 't', comparison: 'above', value: 30, datapointsToAlarm: 3, evaluationPeriods: 2 }, 'datapointsToAlarm'],
    [{ metric: 't', comparison: 'sideways', value: 30 }, 'comparison'],
  ])('rejects an inconsistent rule %j, naming %s', (rule, field) => {
    // Act
    const result = ThresholdRuleSchema.safeParse(rule);

    // Assess
    expect(result.success).toBe(false);
    if (!result.success) expect(result.error.issues[0]?.path).toEqual([field]);
  });

  it('refuses two rules for one metric', () => {
    // Act
    const result = PutThresholdsRequestSchema.safeParse({
      rules: [
        { metric: 'temperature', comparison: 'above', value: 30 },
        { metric: 'temperature', comparison: 'below', value: 0 },
      ],
    });

    // Assess
    expect(result.success).toBe(false);
    if (!result.success)
      expect(summarizeIssues(result.error)).toBe('rules[1].metric: "temperature" has more than one rule');
  });
});

describe('device configuration', () => {
  it('accepts a partial configuration and refuses unknown fields', () => {
    // Assess
    expect(DeviceConfigurationSchema.parse({ reportingIntervalSeconds: 60 })).toEqual({ reportingIntervalSeconds: 60 });
    expect(DeviceConfigurationSchema.safeParse({ reportingIntervalSeconds: 60, colour: 'red' }).success).toBe(false);
    expect(PutDeviceConfigRequestSchema.safeParse({}).success).toBe(false);
    const unknownOnly = PutDeviceConfigRequestSchema.safeParse({ volume: 11 });
    expect(unknownOnly.success ? '' : summarizeIssues(unknownOnly.error)).toBe('Unrecognized key: "volume"');
    expect(DeviceConfigurationSchema.safeParse({ localThresholds: { temperature: { min: 10, max: 5 } } }).success).toBe(
      false,
    );
  });
});
