import type { WindowMetric } from '@iot/types';
import type { ApiClient } from '../api';
import { TimeChart } from '../chart';
import { clock, number } from '../format';
import { usePoll } from '../poll';

/** How far back the charts reach. */
const SPAN_MS = 60 * 60 * 1000;

function byMetric(items: WindowMetric[]): Map<string, WindowMetric[]> {
  const metrics = new Map<string, WindowMetric[]>();
  for (const item of items) {
    const list = metrics.get(item.metric) ?? [];
    list.push(item);
    metrics.set(item.metric, list);
  }
  for (const list of metrics.values()) list.sort((a, b) => a.windowStart - b.windowStart);
  return new Map([...metrics].sort(([a], [b]) => a.localeCompare(b)));
}

/** One chart per metric of the device's window metrics over the last hour: the mean, with the minimum and maximum. */
export function TelemetryPanel({ api, deviceId, pollMs }: { api: ApiClient; deviceId: string; pollMs: number }) {
  const metrics = usePoll(() => api.deviceMetrics(deviceId, Date.now() - SPAN_MS), pollMs, `metrics:${deviceId}`);
  if (metrics.error && !metrics.data) {
    return (
      <p class="error" role="alert">
        Metrics could not be read: {metrics.error}
      </p>
    );
  }
  if (!metrics.data) return <p>Loading metrics…</p>;
  const groups = byMetric(metrics.data);
  if (groups.size === 0) {
    return <p>No readings in the last hour yet: the first window closes a little after the device's first message.</p>;
  }
  return (
    <div class="charts">
      {[...groups].map(([metric, windows]) => {
        const latest = windows[windows.length - 1] as WindowMetric;
        const caption = `${windows.length} windows, latest mean ${number(latest.mean)} (min ${number(latest.min)}, max ${number(latest.max)}) at ${clock(latest.windowEnd)}`;
        return (
          <figure class="metric-chart" key={metric} data-metric={metric}>
            <figcaption>
              <strong>{metric}</strong> <span class="chart-caption">{caption}</span>
            </figcaption>
            <TimeChart
              label={`${metric} over the last hour: ${caption}`}
              times={windows.map((w) => w.windowEnd)}
              series={[
                { label: 'mean', color: '#0b6bcb', values: windows.map((w) => w.mean), points: true },
                { label: 'min', color: '#2e7d32', values: windows.map((w) => w.min), dash: [4, 4] },
                { label: 'max', color: '#c62828', values: windows.map((w) => w.max), dash: [4, 4] },
              ]}
            />
          </figure>
        );
      })}
    </div>
  );
}
