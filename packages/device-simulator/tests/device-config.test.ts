import { applyDelta, reportedConfig, type SimulatedDeviceConfig } from '../src/device-config';

const current: SimulatedDeviceConfig = {
  reportingIntervalSeconds: 5,
  enabledSensors: ['temperature', 'humidity', 'battery', 'signalStrength'],
};

describe('applyDelta', () => {
  it('applies the reporting interval and the enabled sensors, and reports exactly what it applied', () => {
    // Act
    const applied = applyDelta(current, { reportingIntervalSeconds: 30, enabledSensors: ['temperature'] });

    // Assess
    expect(applied.config).toEqual({ reportingIntervalSeconds: 30, enabledSensors: ['temperature'] });
    expect(applied.reported).toEqual({ reportingIntervalSeconds: 30, enabledSensors: ['temperature'] });
    expect(applied.ignored).toEqual([]);
    expect(current.reportingIntervalSeconds).toBe(5);
  });

  it('drops sensors it does not have and reports the list it really runs with', () => {
    // Act
    const applied = applyDelta(current, { enabledSensors: ['humidity', 'co2'] });

    // Assess
    expect(applied.config.enabledSensors).toEqual(['humidity']);
    expect(applied.reported).toEqual({ enabledSensors: ['humidity'] });
  });

  it('ignores invalid values and unknown settings, leaving them out of the report', () => {
    // Act
    const applied = applyDelta(current, { reportingIntervalSeconds: 0.5, colour: 'red', firmwareChannel: 'beta' });

    // Assess
    expect(applied.config).toEqual({ ...current, firmwareChannel: 'beta' });
    expect(applied.reported).toEqual({ firmwareChannel: 'beta' });
    expect(applied.ignored.map((i) => i.key)).toEqual(['reportingIntervalSeconds', 'colour']);
  });

  it('merges a delta of local thresholds into the ones the device has', () => {
    // Prepare
    const withThresholds = { ...current, localThresholds: { temperature: { max: 40 } } };

    // Act
    const applied = applyDelta(withThresholds, { localThresholds: { humidity: { min: 10, max: 90 } } });

    // Assess
    expect(applied.config.localThresholds).toEqual({ temperature: { max: 40 }, humidity: { min: 10, max: 90 } });
  });

  it('reports the whole configuration at start in whole seconds', () => {
    // Act
    const reported = reportedConfig({ ...current, reportingIntervalSeconds: 0.2 });

    // Assess
    expect(reported).toEqual({ reportingIntervalSeconds: 1, enabledSensors: current.enabledSensors });
  });
});
