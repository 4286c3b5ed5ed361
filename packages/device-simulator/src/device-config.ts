import { type DeviceConfiguration, DeviceConfigurationSchema } from '@iot/types';
import { SENSOR_NAMES } from './sensors';

/** What a simulated device runs with: the parts of `DeviceConfiguration` it acts on, always set. */
export interface SimulatedDeviceConfig {
  reportingIntervalSeconds: number;
  enabledSensors: string[];
  firmwareChannel?: DeviceConfiguration['firmwareChannel'];
  localThresholds?: DeviceConfiguration['localThresholds'];
}

/** What applying a delta did. */
export interface AppliedDelta {
  config: SimulatedDeviceConfig;
  /** The values the device now runs with, for `{state:{reported}}`; empty when nothing applied. */
  reported: DeviceConfiguration;
  /** Keys of the delta the device did not take (unknown, or invalid values), with why. */
  ignored: { key: string; reason: string }[];
}

const fields = DeviceConfigurationSchema.shape;

/**
 * Applies a shadow delta (`state` of `/update/delta`, or `state.delta` of `/get/accepted`) to the configuration.
 * Each key is checked with the field's schema of `DeviceConfiguration`; a bad or unknown one is ignored and left
 * out of the report, so the delta stays visible in the shadow. Sensors the device does not have are dropped from
 * `enabledSensors` and the list it really runs with is reported.
 */
export function applyDelta(current: SimulatedDeviceConfig, delta: Record<string, unknown>): AppliedDelta {
  const config: SimulatedDeviceConfig = { ...current, enabledSensors: [...current.enabledSensors] };
  const reported: DeviceConfiguration = {};
  const ignored: AppliedDelta['ignored'] = [];
  for (const [key, value] of Object.entries(delta)) {
    switch (key) {
      case 'reportingIntervalSeconds': {
        const parsed = fields.reportingIntervalSeconds.safeParse(value);
        if (!parsed.success || parsed.data === undefined) {
          ignored.push({ key, reason: 'must be a whole number of seconds from 1 to 86400' });
          break;
        }
        config.reportingIntervalSeconds = parsed.data;
        reported.reportingIntervalSeconds = parsed.data;
        break;
      }
      case 'enabledSensors': {
        const parsed = fields.enabledSensors.safeParse(value);
        if (!parsed.success || parsed.data === undefined) {
          ignored.push({ key, reason: 'must be a list of distinct metric names' });
          break;
        }
        const known = parsed.data.filter((name) => (SENSOR_NAMES as readonly string[]).includes(name));
        config.enabledSensors = known;
        reported.enabledSensors = known;
        break;
      }
      case 'firmwareChannel': {
        const parsed = fields.firmwareChannel.safeParse(value);
        if (!parsed.success || parsed.data === undefined) {
          ignored.push({ key, reason: 'must be stable, beta or canary' });
          break;
        }
        config.firmwareChannel = parsed.data;
        reported.firmwareChannel = parsed.data;
        break;
      }
      case 'localThresholds': {
        // A delta of a nested object holds only the changed entries: merge them into what the device has.
        const merged = { ...current.localThresholds, ...(value as object) };
        const parsed = fields.localThresholds.safeParse(merged);
        if (!parsed.success || parsed.data === undefined) {
          ignored.push({ key, reason: 'must map metric names to {min, max}' });
          break;
        }
        config.localThresholds = parsed.data;
        reported.localThresholds = parsed.data;
        break;
      }
      default:
        ignored.push({ key, reason: 'not a setting this device has' });
    }
  }
  return { config, reported, ignored };
}

/** The whole configuration as the device reports it when it starts. */
export function reportedConfig(config: SimulatedDeviceConfig): DeviceConfiguration {
  return {
    // The shadow holds whole seconds; a fleet may run faster (tests, benchmarks) and reports at least one.
    reportingIntervalSeconds: Math.max(1, Math.round(config.reportingIntervalSeconds)),
    enabledSensors: [...config.enabledSensors],
    ...(config.firmwareChannel ? { firmwareChannel: config.firmwareChannel } : {}),
    ...(config.localThresholds ? { localThresholds: config.localThresholds } : {}),
  };
}
