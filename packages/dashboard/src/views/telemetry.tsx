import type { TelemetryReading, WindowMetric } from '@iot/types';
import type { ApiClient } from '../api';
import { TimeChart } from '../chart';
import { clock, number } from '../format';
import { usePoll } from '../poll';

/** How far back the charts reach. */
const SPAN_MS = 30 * 60 * 1000;

interface MetricSeries {
  readings: { time: number; value: number }[];
  windows: WindowMetric[];
}

/** Readings and windows by metric name, each in time order. */
function byMetric(readings: TelemetryReading[], windows: WindowMetric[]): Map<string, MetricSeries> {
  const metrics = new Map<string, MetricSeries>();
  const of = (metric: string) => {
    let series = metrics.get(metric);
    if (!series) {
      series = { readings: [], windows: [] };
      metrics.set(metric, series);
    }
    return series;
  };
  for (const reading of readings) {
    for (const [metric, value] of Object.entries(reading.metrics))
      of(metric).readings.push({ time: reading.timestamp, value });
  }
  for (const window of windows) of(window.metric).windows.push(window);
  for (const series of metrics.values()) {
    series.readings.sort((a, b) => a.time - b.time);
    series.windows.sort((a, b) => a.windowStart - b.windowStart);
  }
  return new Map([...metrics].sort(([a], [b]) => a.localeCompare(b)));
}

/** The x values of both series, and each series' values at them (null where it has none). */
function aligned({ readings, windows }: MetricSeries) {
  const times = [...new Set([...readings.map((r) => r.time), ...windows.map((w) => w.windowEnd)])].sort(
    (a, b) => a - b,
  );
  const reading = new Map(readings.map((r) => [r.time, r.value]));
  const window = new Map(windows.map((w) => [w.windowEnd, w]));
  return {
    times,
    readings: times.map((t) => reading.get(t) ?? null),
    mean: times.map((t) => window.get(t)?.mean ?? null),
    min: times.map((t) => window.get(t)?.min ?? null),
    max: times.map((t) => window.get(t)?.max ?? null),
  };
}

function caption({ readings, windows }: MetricSeries): string {
  const parts: string[] = [];
  const reading = readings[readings.length - 1];
  if (reading)
    parts.push(
      `${readings.length} reading${readings.length === 1 ? '' : 's'}, latest ${number(reading.value)} at ${clock(reading.time)}`,
    );
  const window = windows[windows.length - 1];
  if (window)
    parts.push(`${windows.length} window${windows.length === 1 ? '' : 's'}, last mean ${number(window.mean)}`);
  return parts.join('; ');
}

/**
 * One chart per metric over the last half hour: the raw readings as they arrive, and the window metrics (mean,
 * minimum, maximum) as each window closes. A stage without the readings route shows the windows alone. Reading the
 * raw readings is what has them recorded (the backend records only watched devices), so a page opened on a quiet
 * device says that they will appear rather than that there are none.
 */
export function TelemetryPanel({ api, deviceId, pollMs }: { api: ApiClient; deviceId: string; pollMs: number }) {
  const data = usePoll(
    async () => {
      const from = Date.now() - SPAN_MS;
      const [live, windows] = await Promise.all([
        api.deviceTelemetry(deviceId, from).catch(() => undefined),
        api.deviceMetrics(deviceId, from),
      ]);
      return { readings: live?.items ?? ([] as TelemetryReading[]), recording: live !== undefined, windows };
    },
    pollMs,
    `telemetry:${deviceId}`,
  );
  if (data.error && !data.data) {
    return (
      <p class="error" role="alert">
        Telemetry could not be read: {data.error}
      </p>
    );
  }
  if (!data.data) return <p>Loading telemetry…</p>;
  const groups = byMetric(data.data.readings, data.data.windows);
  // Readings are recorded only while someone watches the device: this page's first read started it.
  const hint =
    data.data.recording && data.data.readings.length === 0 ? (
      <p data-state="live-readings-starting">
        Live readings are recorded while this page is open: the device's next readings will appear here.
      </p>
    ) : undefined;
  if (groups.size === 0) return hint ?? <p>No readings in the last half hour.</p>;
  return (
    <>
      {hint}
      <div class="charts">
        {[...groups].map(([metric, series]) => {
          const text = caption(series);
          const points = aligned(series);
          return (
            <figure class="metric-chart" key={metric} data-metric={metric}>
              <figcaption>
                <strong>{metric}</strong> <span class="chart-caption">{text}</span>
              </figcaption>
              <TimeChart
                label={`${metric} over the last half hour: ${text}`}
                times={points.times}
                series={[
                  { label: 'reading', color: '#5b3cc4', values: points.readings, points: true },
                  { label: 'window mean', color: '#0b6bcb', values: points.mean, points: true },
                  { label: 'min', color: '#2e7d32', values: points.min, dash: [4, 4] },
                  { label: 'max', color: '#c62828', values: points.max, dash: [4, 4] },
                ]}
              />
            </figure>
          );
        })}
      </div>
    </>
  );
}
