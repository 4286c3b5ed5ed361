import type { Alarm, Device } from '@iot/types';
import { ago } from '../format';

/** Online, offline or never seen, as text and colour (the text alone carries the meaning). */
export function Connectivity({ device }: { device: Device }) {
  const state = device.connectivity.state;
  const text = state === 'connected' ? 'Online' : state === 'disconnected' ? 'Offline' : 'Never connected';
  return (
    <span class={`badge ${state === 'connected' ? 'ok' : state === 'disconnected' ? 'off' : 'unknown'}`}>{text}</span>
  );
}

export function SeverityBadge({ severity }: { severity: Alarm['severity'] }) {
  return <span class={`badge severity-${severity}`}>{severity}</span>;
}

/**
 * A line saying when the data shown was fetched, and why the last poll failed if it did. Not a live region: it changes
 * with every poll; only a failure is announced.
 */
export function Freshness({ updatedAt, error }: { updatedAt: number | undefined; error: string | undefined }) {
  return (
    <p class="freshness">
      {error ? (
        <span class="error" role="alert">
          Update failed: {error}
        </span>
      ) : updatedAt ? (
        `Updated ${ago(updatedAt)}`
      ) : (
        'Loading…'
      )}
    </p>
  );
}
