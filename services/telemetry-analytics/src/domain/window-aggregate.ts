import type { TelemetryRuleEvent, WindowMetric } from '@iot/types';

/**
 * The running aggregate of one metric of one device within a window:
 * `[count, min, max, sum, last, firstTimestamp, lastTimestamp]`. A tuple, not an object, because it travels in the
 * Kinesis tumbling-window state, which Lambda caps at 1 MB per shard.
 */
export type Aggregate = [
  count: number,
  min: number,
  max: number,
  sum: number,
  last: number,
  firstTimestamp: number,
  lastTimestamp: number,
];

/** Everything one shard knows of the current window so far. */
export interface WindowState {
  /** deviceId → metric → aggregate. */
  aggregates: Record<string, Record<string, Aggregate>>;
  /** deviceId → message ids already counted in this window, so a message delivered twice counts once. */
  seen: Record<string, string[]>;
}

export const emptyWindowState = (): WindowState => ({ aggregates: {}, seen: {} });

/** The aggregate of a single reading. */
export const aggregateOf = (value: number, timestamp: number): Aggregate => [
  1,
  value,
  value,
  value,
  value,
  timestamp,
  timestamp,
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
  ];
}

/** Adds one telemetry message to the window: each of its readings, unless the message was already counted. */
export function addMessage(state: WindowState, message: TelemetryRuleEvent): WindowState {
  const { deviceId, messageId, timestamp, metrics } = message;
  if (messageId !== undefined) {
    const seen = state.seen[deviceId] ?? [];
    if (seen.includes(messageId)) return state;
    state.seen[deviceId] = [...seen, messageId];
  }
  const device = state.aggregates[deviceId] ?? {};
  for (const [metric, value] of Object.entries(metrics)) {
    const reading = aggregateOf(value, timestamp);
    const current = device[metric];
    device[metric] = current ? mergeAggregates(current, reading) : reading;
  }
  state.aggregates[deviceId] = device;
  return state;
}

/** The window's results, one per device and metric. */
export function windowMetrics(state: WindowState, windowStart: number, windowEnd: number): WindowMetric[] {
  return Object.entries(state.aggregates).flatMap(([deviceId, metrics]) =>
    Object.entries(metrics).map(([metric, [count, min, max, sum, last, firstTimestamp, lastTimestamp]]) => ({
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
    })),
  );
}
