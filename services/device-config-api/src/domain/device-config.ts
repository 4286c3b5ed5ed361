import type { DeviceConfiguration, PutDeviceConfigResponse } from '@iot/types';

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
