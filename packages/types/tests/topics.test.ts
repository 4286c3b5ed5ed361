import {
  basicIngestTopic,
  deviceIdOfTopic,
  InvalidTopicSegmentError,
  parseBasicIngestTopic,
  parseShadowTopic,
  shadowTopic,
  topicFilters,
  topics,
} from '../src';

describe('device topics', () => {
  it.each([
    [topics.telemetry('sensor-1'), 'devices/sensor-1/telemetry'],
    [topics.config('sensor-1'), 'devices/sensor-1/config'],
    [topics.commands('sensor-1'), 'devices/sensor-1/commands'],
    [topics.commandResult('sensor-1', 'c-42'), 'devices/sensor-1/commands/c-42/result'],
  ])('builds %s', (built, expected) => {
    // Assess
    expect(built).toBe(expected);
  });

  it.each(['a/b', '+', '#', '', 'x'.repeat(129), 'with space'])(
    'refuses "%s" as a device id, which would change the topic levels',
    (deviceId) => {
      // Act
      const building = () => topics.telemetry(deviceId);

      // Assess
      expect(building).toThrow(InvalidTopicSegmentError);
    },
  );

  it('reads the device id of a device topic and nothing else', () => {
    // Assess
    expect(deviceIdOfTopic('devices/sensor-1/telemetry')).toBe('sensor-1');
    expect(deviceIdOfTopic('things/sensor-1/telemetry')).toBeUndefined();
    expect(topicFilters.telemetry).toBe('devices/+/telemetry');
  });
});

describe('shadow topics', () => {
  it('builds classic and named shadow topics as AWS IoT names them', () => {
    // Assess
    expect(shadowTopic('sensor-1', 'update/delta')).toBe('$aws/things/sensor-1/shadow/update/delta');
    expect(shadowTopic('sensor-1', 'get/accepted', 'config')).toBe(
      '$aws/things/sensor-1/shadow/name/config/get/accepted',
    );
  });

  it('parses what it builds, and rejects other topics', () => {
    // Assess
    expect(parseShadowTopic('$aws/things/sensor-1/shadow/name/config/update/documents')).toEqual({
      thingName: 'sensor-1',
      shadowName: 'config',
      suffix: 'update/documents',
    });
    expect(parseShadowTopic('$aws/things/sensor-1/shadow/update')).toEqual({ thingName: 'sensor-1', suffix: 'update' });
    expect(parseShadowTopic('$aws/things/sensor-1/shadow/update/other')).toBeUndefined();
    expect(parseShadowTopic('devices/sensor-1/telemetry')).toBeUndefined();
  });
});

describe('Basic Ingest topics', () => {
  it('prefixes a topic with the rule it goes to, and splits it back', () => {
    // Act
    const topic = basicIngestTopic('telemetry_rule', 'devices/sensor-1/telemetry');

    // Assess
    expect(topic).toBe('$aws/rules/telemetry_rule/devices/sensor-1/telemetry');
    expect(parseBasicIngestTopic(topic)).toEqual({ ruleName: 'telemetry_rule', topic: 'devices/sensor-1/telemetry' });
    expect(parseBasicIngestTopic('$aws/rules/only_rule')).toBeUndefined();
    expect(() => basicIngestTopic('has-dash', 'x')).toThrow(/rule name/);
  });
});
