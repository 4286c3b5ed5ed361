/** "12 s ago", "3 min ago", or the date for older times. */
export function ago(time: number | undefined, now = Date.now()): string {
  if (time === undefined) return 'never';
  const seconds = Math.max(0, Math.round((now - time) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(time).toLocaleString();
}

export function clock(time: number | undefined): string {
  return time === undefined ? '–' : new Date(time).toLocaleTimeString();
}

export function number(value: number | undefined, digits = 2): string {
  if (value === undefined) return '–';
  return String(Number(value.toFixed(digits)));
}

/** The severities, most urgent first. */
export const SEVERITIES = ['critical', 'major', 'minor', 'warning'] as const;

export function deviceHref(deviceId: string): string {
  return `#/devices/${encodeURIComponent(deviceId)}`;
}

/** When a device was last heard from: "now" while it holds a connection. */
export function lastSeen(device: { connectivity: { state: string; since?: number }; lastSeenAt?: number }): string {
  if (device.connectivity.state === 'connected') return 'now (connected)';
  return ago(device.lastSeenAt ?? device.connectivity.since);
}
