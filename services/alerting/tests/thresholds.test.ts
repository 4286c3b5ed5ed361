import type { ThresholdRule } from '@iot/types';
import {
  applicableRules,
  FLEET_THRESHOLDS_KEY,
  replaceDeviceThresholds,
  rulesByMetric,
  type ThresholdStore,
} from '../src/domain/thresholds';

const fleetTemperature: ThresholdRule = { metric: 'temperature', comparison: 'above', value: 40, severity: 'minor' };
const fleetBattery: ThresholdRule = { metric: 'battery.voltage', comparison: 'below', value: 3.3 };
const deviceTemperature: ThresholdRule = { metric: 'temperature', comparison: 'above', value: 30, clearValue: 28 };
const deviceHumidity: ThresholdRule = { metric: 'humidity', comparison: 'above', value: 80, datapointsToAlarm: 2 };

describe('applicableRules', () => {
  it("lets a device's rule replace the fleet's rule of the same metric and keeps the fleet's other rules", () => {
    // Act
    const rules = applicableRules({
      device: [deviceTemperature, deviceHumidity],
      fleet: [fleetTemperature, fleetBattery],
    });

    // Assess
    expect(rules).toEqual([
      { ...deviceTemperature, source: 'device' },
      { ...deviceHumidity, source: 'device' },
      { ...fleetBattery, source: 'fleet' },
    ]);
  });

  it('replaces a fleet rule as a whole: no field of it leaks into the device rule', () => {
    // Act
    const [temperature] = applicableRules({ device: [deviceTemperature], fleet: [fleetTemperature] });

    // Assess
    expect(temperature).not.toHaveProperty('severity');
  });

  it.each([
    ['only fleet rules', { device: [], fleet: [fleetBattery] }, ['fleet']],
    ['only device rules', { device: [deviceHumidity], fleet: [] }, ['device']],
    ['no rules at all', { device: [], fleet: [] }, []],
  ])('works with %s', (_, sets, sources) => {
    // Act
    const rules = applicableRules(sets);

    // Assess
    expect(rules.map((rule) => rule.source)).toEqual(sources);
  });
});

describe('rulesByMetric', () => {
  it('applies the documented defaults to the rule of each metric', () => {
    // Act
    const rules = rulesByMetric({ device: [deviceTemperature], fleet: [fleetTemperature, fleetBattery] });

    // Assess
    expect(Object.fromEntries(rules)).toEqual({
      temperature: {
        metric: 'temperature',
        comparison: 'above',
        value: 30,
        clearValue: 28,
        severity: 'major',
        datapointsToAlarm: 1,
        evaluationPeriods: 1,
        missingDataMinutes: undefined,
      },
      'battery.voltage': {
        metric: 'battery.voltage',
        comparison: 'below',
        value: 3.3,
        clearValue: 3.3,
        severity: 'major',
        datapointsToAlarm: 1,
        evaluationPeriods: 1,
        missingDataMinutes: undefined,
      },
    });
  });
});

describe('replaceDeviceThresholds', () => {
  it('never writes over the fleet defaults, whatever the caller passes as a device id', async () => {
    // Prepare
    const written: string[] = [];
    const store: ThresholdStore = {
      getRules: async () => new Map(),
      putRules: async (key) => {
        written.push(key);
      },
      deleteRules: async (key) => {
        written.push(key);
      },
    };

    // Act
    const attempt = replaceDeviceThresholds(store, FLEET_THRESHOLDS_KEY, [deviceTemperature], 0);

    // Assess
    await expect(attempt).rejects.toThrow(RangeError);
    expect(written).toEqual([]);
  });
});
