import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  /** CSS colour of the line. */
  color: string;
  /** One value per x, or null where the series has none. */
  values: (number | null)[];
  dash?: number[];
  points?: boolean;
}

export interface TimeChartProps {
  /** The x values, epoch milliseconds, ascending. */
  times: number[];
  series: ChartSeries[];
  /** Says what the chart shows, for screen readers (the canvas itself is not readable). */
  label: string;
  height?: number;
}

/**
 * A time series chart (uPlot on a canvas) that follows its container's width and takes new data in place, without
 * being created again, so a chart updated every few seconds neither flickers nor loses its size.
 */
export function TimeChart({ times, series, label, height = 200 }: TimeChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const shape = series.map((s) => `${s.label}|${s.color}`).join(',');

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 200),
      height,
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          spanGaps: true,
          ...(s.dash ? { dash: s.dash } : {}),
          points: { show: s.points ?? false, size: 5 },
        })),
      ],
      axes: [
        { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.2)' } },
        { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.2)' }, size: 55 },
      ],
      scales: {
        // At least ten minutes wide, so one or two points do not stretch the axis over years.
        x: { time: true, range: (_u, min, max) => [Math.min(min, max - 600), max + 15] },
      },
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
    };
    const created = new uPlot(options, [[], ...series.map(() => [])] as unknown as uPlot.AlignedData, element);
    plot.current = created;
    const resize = new ResizeObserver(() => created.setSize({ width: Math.max(element.clientWidth, 200), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      created.destroy();
      plot.current = undefined;
    };
    // Created again only when the series themselves change, not their data.
  }, [shape, height]);

  useEffect(() => {
    plot.current?.setData([times.map((t) => t / 1000), ...series.map((s) => s.values)] as uPlot.AlignedData);
  });

  return <div class="chart" ref={container} role="img" aria-label={label} />;
}
