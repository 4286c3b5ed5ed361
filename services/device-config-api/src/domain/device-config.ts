import type { DeviceConfiguration, DeviceConfigView, PutDeviceConfigResponse } from '@iot/types';
import type { ShadowReader } from './devices';

/** The device's shadow, as far as configuration goes. */
export interface DeviceShadowPort {
  /**
   * Merges `desired` into the shadow's desired state. With `expectedVersion`, only if the shadow is at that version
   * (else `VersionConflictError`).
   */
  updateDesired(
    deviceId: string,
    desired: DeviceConfiguration,
    expectedVersion?: number,
  ): Promise<{ version: number; updatedAt: number; desired: DeviceConfiguration }>;
}

/** The shadow is not at the version the caller based its change on. */
export class VersionConflictError extends Error {
  constructor(
    readonly deviceId: string,
    readonly expectedVersion: number,
  ) {
    super(`The configuration of ${deviceId} is no longer at version ${expectedVersion}`);
    this.name = 'VersionConflictError';
  }
}

/**
 * Makes a configuration the desired state of the device's shadow. The device receives the difference from what
 * it reported as a delta on `$aws/things/{deviceId}/shadow/update/delta`.
 */
export async function changeDeviceConfiguration(
  shadows: DeviceShadowPort,
  deviceId: string,
  configuration: DeviceConfiguration,
  expectedVersion?: number,
): Promise<PutDeviceConfigResponse> {
  const { version, updatedAt, desired } = await shadows.updateDesired(deviceId, configuration, expectedVersion);
  return { deviceId, version, desired, updatedAt };
}

/** The latest `timestamp` (seconds) among the leaves of a shadow metadata section, in milliseconds. */
function latestTimestamp(metadata: unknown): number | undefined {
  if (Array.isArray(metadata)) {
    return metadata.reduce<number | undefined>((latest, item) => later(latest, latestTimestamp(item)), undefined);
  }
  if (!metadata || typeof metadata !== 'object') return undefined;
  let latest: number | undefined;
  for (const [key, value] of Object.entries(metadata as Record<string, unknown>)) {
    latest =
      key === 'timestamp' && typeof value === 'number'
        ? later(latest, value * 1000)
        : later(latest, latestTimestamp(value));
  }
  return latest;
}

const later = (a: number | undefined, b: number | undefined) =>
  a === undefined ? b : b === undefined ? a : Math.max(a, b);

/**
 * The configuration as the device shadow holds it: what the app desires, what the device reports, and the delta
 * (desired values the device has not reported yet), with the shadow's version and when each side last changed.
 */
export async function viewDeviceConfig(shadows: ShadowReader, deviceId: string): Promise<DeviceConfigView> {
  const shadow = await shadows.getShadow(deviceId);
  if (!shadow) return { deviceId, desired: {}, reported: {}, delta: {} };
  const desiredUpdatedAt = latestTimestamp(shadow.metadata.desired);
  const reportedUpdatedAt = latestTimestamp(shadow.metadata.reported);
  return {
    deviceId,
    version: shadow.version,
    desired: shadow.state.desired ?? {},
    reported: shadow.state.reported ?? {},
    delta: shadow.state.delta ?? {},
    ...(desiredUpdatedAt === undefined ? {} : { desiredUpdatedAt }),
    ...(reportedUpdatedAt === undefined ? {} : { reportedUpdatedAt }),
  };
}
