import type { FleetMetricsPage, FleetWindowMetric, WindowMetric, WindowMetricsPage } from '@iot/types';
import { mergeDeviceParts, mergeFleetParts } from './window-parts';

/** A `nextToken` this API did not hand out. */
export class InvalidPageTokenError extends Error {
  constructor() {
    super('not a token this API returned');
    this.name = 'InvalidPageTokenError';
  }
}

/** Which windows to read: those starting in `[from, to]`, optionally of one metric, at most `limit` of them. */
export interface WindowRange {
  from: number;
  to: number;
  metric?: string;
  limit: number;
  /** Where the previous page ended, as the reader returned it. */
  resumeAt?: string;
}

/** Stored parts grouped by window and metric, oldest first, and where to resume when more remain. */
export interface WindowPartGroups<T> {
  groups: T[][];
  resumeAt?: string;
}

export interface WindowPartsReader {
  readDeviceParts(deviceId: string, range: WindowRange): Promise<WindowPartGroups<WindowMetric>>;
  readFleetParts(range: WindowRange): Promise<WindowPartGroups<FleetWindowMetric>>;
}

const TOKEN_VERSION = 1;
const encodeToken = (resumeAt: string) =>
  Buffer.from(JSON.stringify({ v: TOKEN_VERSION, at: resumeAt })).toString('base64url');

function decodeToken(token: string): string {
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: unknown; at?: unknown };
    if (decoded?.v === TOKEN_VERSION && typeof decoded.at === 'string' && decoded.at.length <= 1024) return decoded.at;
  } catch {
    // answered below
  }
  throw new InvalidPageTokenError();
}

export interface WindowQuery {
  from: number;
  to: number;
  metric?: string;
  limit: number;
  nextToken?: string;
}

const rangeOf = (query: WindowQuery): WindowRange => ({
  from: query.from,
  to: query.to,
  limit: query.limit,
  ...(query.metric ? { metric: query.metric } : {}),
  ...(query.nextToken ? { resumeAt: decodeToken(query.nextToken) } : {}),
});

/** A device's windows in a time range, oldest first, each merged from the parts that hold it. */
export async function queryDeviceWindows(
  reader: Pick<WindowPartsReader, 'readDeviceParts'>,
  deviceId: string,
  query: WindowQuery,
): Promise<WindowMetricsPage> {
  const { groups, resumeAt } = await reader.readDeviceParts(deviceId, rangeOf(query));
  return { items: groups.map(mergeDeviceParts), ...(resumeAt ? { nextToken: encodeToken(resumeAt) } : {}) };
}

/** The fleet's windows in a time range, oldest first, each merged from the parts every shard wrote. */
export async function queryFleetWindows(
  reader: Pick<WindowPartsReader, 'readFleetParts'>,
  query: WindowQuery,
): Promise<FleetMetricsPage> {
  const { groups, resumeAt } = await reader.readFleetParts(rangeOf(query));
  return { items: groups.map(mergeFleetParts), ...(resumeAt ? { nextToken: encodeToken(resumeAt) } : {}) };
}
