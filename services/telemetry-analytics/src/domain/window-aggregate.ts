import type { FleetWindowMetric, RecordThreshold, TelemetryStreamRecord, WindowMetric } from '@iot/types';

/**
 * The running aggregate of one metric within a window:
 * `[count, min, max, sum, last, firstTimestamp, lastTimestamp, breaches]`. A tuple, not an object, because it travels
 * in the Kinesis tumbling-window state, which Lambda caps at 1 MB per shard. `breaches` is `null` while no reading of
 * the aggregate came with a threshold for its metric.
 */
export type Aggregate = [
  count: number,
  min: number,
  max: number,
  sum: number,
  last: number,
  firstTimestamp: number,
  lastTimestamp: number,
  breaches: number | null,
];

/** Everything one shard knows of the current part of a window. */
export interface WindowState {
  /** deviceId → metric → aggregate. */
  aggregates: Record<string, Record<string, Aggregate>>;
  /** deviceId → message ids already counted in this window, so a message delivered twice counts once. */
  seen: Record<string, string[]>;
  /**
   * The sequence number of the first record of this part of the window on this shard. With the shard id it names the
   * items the part writes, so a replayed part overwrites its own items while another part (after the window ended
   * early, or on another shard) writes beside them.
   */
  first?: string;
}

export const emptyWindowState = (): WindowState => ({ aggregates: {}, seen: {} });

/** Whether a reading is outside its limits; `undefined` when the record carried none for the metric. */
export function isOutside(value: number, threshold: RecordThreshold | undefined): boolean | undefined {
  if (!threshold) return undefined;
  return (
    (threshold.above !== undefined && value > threshold.above) ||
    (threshold.below !== undefined && value < threshold.below)
  );
}

/** The aggregate of a single reading. */
export const aggregateOf = (value: number, timestamp: number, outside?: boolean): Aggregate => [
  1,
  value,
  value,
  value,
  value,
  timestamp,
  timestamp,
  outside === undefined ? null : outside ? 1 : 0,
];

/**
 * Combines two aggregates of the same metric, `b` holding readings that arrived after `a`'s. Merging partial
 * aggregates gives what aggregating all readings at once gives; `last` is the reading with the latest device
 * timestamp (the later arrival on a tie).
 */
export function mergeAggregates(a: Aggregate, b: Aggregate): Aggregate {
  return [
    a[0] + b[0],
    Math.min(a[1], b[1]),
    Math.max(a[2], b[2]),
    a[3] + b[3],
    b[6] >= a[6] ? b[4] : a[4],
    Math.min(a[5], b[5]),
    Math.max(a[6], b[6]),
    a[7] === null && b[7] === null ? null : (a[7] ?? 0) + (b[7] ?? 0),
  ];
}

/**
 * Adds one telemetry message to the window: each of its readings, unless the message was already counted (same
 * device and message id). A reading whose record carries a threshold for its metric counts as a breach when outside it.
 */
export function addMessage(state: WindowState, message: TelemetryStreamRecord): WindowState {
  const { deviceId, messageId, timestamp, metrics, thresholds } = message;
  if (messageId !== undefined) {
    const seen = state.seen[deviceId] ?? [];
    if (seen.includes(messageId)) return state;
    state.seen[deviceId] = [...seen, messageId];
  }
  const device = state.aggregates[deviceId] ?? {};
  for (const [metric, value] of Object.entries(metrics)) {
    const reading = aggregateOf(value, timestamp, isOutside(value, thresholds?.[metric]));
    const current = device[metric];
    device[metric] = current ? mergeAggregates(current, reading) : reading;
  }
  state.aggregates[deviceId] = device;
  return state;
}

const breachesOf = (aggregate: Aggregate) => (aggregate[7] === null ? {} : { breaches: aggregate[7] });

/** A device's window metric from its aggregate. */
export function deviceMetricOf(
  deviceId: string,
  metric: string,
  aggregate: Aggregate,
  windowStart: number,
  windowEnd: number,
): WindowMetric {
  const [count, min, max, sum, last, firstTimestamp, lastTimestamp] = aggregate;
  return {
    deviceId,
    metric,
    windowStart,
    windowEnd,
    count,
    min,
    max,
    sum,
    mean: sum / count,
    last,
    firstTimestamp,
    lastTimestamp,
    ...breachesOf(aggregate),
  };
}

/** A fleet window metric from the merged aggregate of its devices. */
export function fleetMetricOf(
  metric: string,
  aggregate: Aggregate,
  devices: number,
  windowStart: number,
  windowEnd: number,
): FleetWindowMetric {
  const [count, min, max, sum, , firstTimestamp, lastTimestamp] = aggregate;
  return {
    metric,
    windowStart,
    windowEnd,
    count,
    min,
    max,
    sum,
    mean: sum / count,
    devices,
    firstTimestamp,
    lastTimestamp,
    ...breachesOf(aggregate),
  };
}

/** The window's results, one per device and metric. */
export function windowMetrics(state: WindowState, windowStart: number, windowEnd: number): WindowMetric[] {
  return Object.entries(state.aggregates).flatMap(([deviceId, metrics]) =>
    Object.entries(metrics).map(([metric, aggregate]) =>
      deviceMetricOf(deviceId, metric, aggregate, windowStart, windowEnd),
    ),
  );
}

/** The window's results over every device of the state, one per metric. */
export function fleetMetrics(state: WindowState, windowStart: number, windowEnd: number): FleetWindowMetric[] {
  const fleet = new Map<string, { aggregate: Aggregate; devices: number }>();
  for (const metrics of Object.values(state.aggregates)) {
    for (const [metric, aggregate] of Object.entries(metrics)) {
      const current = fleet.get(metric);
      fleet.set(
        metric,
        current
          ? { aggregate: mergeAggregates(current.aggregate, aggregate), devices: current.devices + 1 }
          : { aggregate, devices: 1 },
      );
    }
  }
  return [...fleet].map(([metric, { aggregate, devices }]) =>
    fleetMetricOf(metric, aggregate, devices, windowStart, windowEnd),
  );
}
