import {
  DEVICE_ID_PATTERN,
  type FleetThresholdsResponse,
  type GetThresholdsResponse,
  type ResolvedThresholdRule,
  resolveThresholdRule,
  type ThresholdRule,
} from '@iot/types';

/**
 * The key of the fleet-wide default rules in the thresholds store. `#` is outside the device-id alphabet
 * (`[a-zA-Z0-9:_-]`), so no device can ever own this key.
 */
export const FLEET_THRESHOLDS_KEY = '#fleet';

/** Where rules are kept: under a device id, or under `FLEET_THRESHOLDS_KEY` for the fleet defaults. */
export interface ThresholdStore {
  /** The rules kept under each of `keys`; a key with no rules stored is absent from the answer. */
  getRules(keys: readonly string[]): Promise<Map<string, ThresholdRule[]>>;
  /** Replaces all rules kept under `key`. */
  putRules(key: string, rules: ThresholdRule[], updatedAt: number): Promise<void>;
  /** Removes the rules kept under `key`; nothing happens if there are none. */
  deleteRules(key: string): Promise<void>;
}

/** The rules of one device and of the fleet, before merging. */
export interface ThresholdRuleSets {
  device: ThresholdRule[];
  fleet: ThresholdRule[];
}

export type ApplicableRule = GetThresholdsResponse['rules'][number];

export async function loadRuleSets(store: ThresholdStore, deviceId: string): Promise<ThresholdRuleSets> {
  const found = await store.getRules([deviceId, FLEET_THRESHOLDS_KEY]);
  return { device: found.get(deviceId) ?? [], fleet: found.get(FLEET_THRESHOLDS_KEY) ?? [] };
}

/**
 * The rules that apply to a device: each of its own, then the fleet default of every metric it has no rule for.
 * A device's rule replaces the fleet's rule of the same metric as a whole; fields are not mixed.
 */
export function applicableRules({ device, fleet }: ThresholdRuleSets): ApplicableRule[] {
  const ownMetrics = new Set(device.map((rule) => rule.metric));
  return [
    ...device.map((rule) => ({ ...rule, source: 'device' as const })),
    ...fleet.filter((rule) => !ownMetrics.has(rule.metric)).map((rule) => ({ ...rule, source: 'fleet' as const })),
  ];
}

/** The applicable rules by metric, with every default applied, as the alarm evaluation uses them. */
export function rulesByMetric(sets: ThresholdRuleSets): Map<string, ResolvedThresholdRule> {
  return new Map(
    applicableRules(sets).map(({ source: _source, ...rule }) => [rule.metric, resolveThresholdRule(rule)] as const),
  );
}

/** `GET /devices/{deviceId}/thresholds`. */
export async function describeThresholds(store: ThresholdStore, deviceId: string): Promise<GetThresholdsResponse> {
  return { deviceId, rules: applicableRules(await loadRuleSets(store, deviceId)) };
}

function assertDeviceId(deviceId: string): void {
  // The path is validated already; this keeps a device from ever writing over the fleet defaults.
  if (!DEVICE_ID_PATTERN.test(deviceId)) throw new RangeError(`Not a device id: ${JSON.stringify(deviceId)}`);
}

async function fleetRules(store: ThresholdStore): Promise<ThresholdRule[]> {
  return (await store.getRules([FLEET_THRESHOLDS_KEY])).get(FLEET_THRESHOLDS_KEY) ?? [];
}

/** `PUT /devices/{deviceId}/thresholds`: the device's own rules become exactly `rules`; answers what now applies. */
export async function replaceDeviceThresholds(
  store: ThresholdStore,
  deviceId: string,
  rules: ThresholdRule[],
  now: number,
): Promise<GetThresholdsResponse> {
  assertDeviceId(deviceId);
  // The answer is built from the rules just written, so it does not depend on reading the write back.
  const [fleet] = await Promise.all([fleetRules(store), store.putRules(deviceId, rules, now)]);
  return { deviceId, rules: applicableRules({ device: rules, fleet }) };
}

/**
 * `DELETE /devices/{deviceId}/thresholds`: removes the device's own rules, so the fleet defaults apply to all its
 * metrics; answers what now applies. Deleting rules that do not exist is not an error.
 */
export async function deleteDeviceThresholds(store: ThresholdStore, deviceId: string): Promise<GetThresholdsResponse> {
  assertDeviceId(deviceId);
  const [fleet] = await Promise.all([fleetRules(store), store.deleteRules(deviceId)]);
  return { deviceId, rules: applicableRules({ device: [], fleet }) };
}

/** `GET /fleet/thresholds`: the fleet-wide default rules (`[]` when none are set). */
export async function describeFleetThresholds(store: ThresholdStore): Promise<FleetThresholdsResponse> {
  return { rules: await fleetRules(store) };
}

/** `PUT /fleet/thresholds`: the fleet-wide default rules become exactly `rules`. */
export async function replaceFleetThresholds(
  store: ThresholdStore,
  rules: ThresholdRule[],
  now: number,
): Promise<FleetThresholdsResponse> {
  await store.putRules(FLEET_THRESHOLDS_KEY, rules, now);
  return { rules };
}
