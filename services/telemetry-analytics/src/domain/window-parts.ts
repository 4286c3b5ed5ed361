import type { FleetWindowMetric, WindowMetric } from '@iot/types';
import { type Aggregate, deviceMetricOf, fleetMetricOf, mergeAggregates } from './window-aggregate';

/**
 * The results of one part of a window: what one shard aggregated between the window's start (or an early end of the
 * window) and its final invocation. A window of a stream with one shard, whose state stayed under 1 MB, is one part.
 */
export interface WindowResults {
  /** `<shardId>#<first sequence number>`: names the part's items, so a replayed part overwrites them. */
  part: string;
  devices: WindowMetric[];
  fleet: FleetWindowMetric[];
}

/** Names a part: the shard and the first record the part aggregated. */
export const partId = (shardId: string, firstSequenceNumber: string | undefined) =>
  firstSequenceNumber === undefined ? shardId : `${shardId}#${firstSequenceNumber}`;

/**
 * Orders parts as the stream delivered them: by shard id (zero-padded, and a child shard's number is higher than
 * its parent's), then by sequence number (as numbers: their lengths may differ).
 */
export function comparePartIds(a: string, b: string): number {
  const [shardA = '', sequenceA = ''] = a.split('#');
  const [shardB = '', sequenceB = ''] = b.split('#');
  if (shardA !== shardB) return shardA < shardB ? -1 : 1;
  if (sequenceA.length !== sequenceB.length) return sequenceA.length - sequenceB.length;
  return sequenceA < sequenceB ? -1 : sequenceA > sequenceB ? 1 : 0;
}

type Part<T> = T & { part?: string };

const inStreamOrder = <T>(parts: Part<T>[]) => [...parts].sort((a, b) => comparePartIds(a.part ?? '', b.part ?? ''));

const aggregateOfMetric = (m: WindowMetric | FleetWindowMetric, last: number): Aggregate => [
  m.count,
  m.min,
  m.max,
  m.sum,
  last,
  m.firstTimestamp,
  m.lastTimestamp,
  m.breaches ?? null,
];

/** One device's window metric from the parts of the window that hold it (at least one). */
export function mergeDeviceParts(parts: Part<WindowMetric>[]): WindowMetric {
  const [first, ...rest] = inStreamOrder(parts);
  if (!first) throw new RangeError('a window has at least one part');
  const aggregate = rest.reduce(
    (merged, part) => mergeAggregates(merged, aggregateOfMetric(part, part.last)),
    aggregateOfMetric(first, first.last),
  );
  return deviceMetricOf(first.deviceId, first.metric, aggregate, first.windowStart, first.windowEnd);
}

/** The fleet's window metric from the parts each shard (and each early end of the window) wrote (at least one). */
export function mergeFleetParts(parts: Part<FleetWindowMetric>[]): FleetWindowMetric {
  const [first, ...rest] = inStreamOrder(parts);
  if (!first) throw new RangeError('a window has at least one part');
  const aggregate = rest.reduce(
    (merged, part) => mergeAggregates(merged, aggregateOfMetric(part, 0)),
    aggregateOfMetric(first, 0),
  );
  const devices = parts.reduce((sum, part) => sum + part.devices, 0);
  return fleetMetricOf(first.metric, aggregate, devices, first.windowStart, first.windowEnd);
}
