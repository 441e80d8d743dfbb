/**
 * The dashboard's chart: leads per hour by stage over the range, as stacked bars — each hour one
 * bar, each stage a part of it in the stage's colour, so its top is all leads of that hour — drawn
 * by uPlot on a canvas sized to its box. The legend shows each stage's own count of the hour
 * pointed at, top of the stack first.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { STAGES, type Stage } from '../../../core/domain/lead.ts';
import type { DashboardSummary } from '../../../core/domain/dashboard.ts';

/** The stage colours of the badges (styles.css `.lf-stage--*`), strong enough for a line. */
const STAGE_COLOURS: Record<Stage, string> = {
  new: '#64748b',
  wait: '#0284c7',
  hold: '#d97706',
  approve: '#16a34a',
  cancel: '#dc2626',
  trash: '#7f1d1d',
};

const HEIGHT = 240;

/** The stages top of the stack first: each drawn over the one before, so the later, shorter bars show in front. */
const DRAWN = [...STAGES].reverse();

/** Each stage's counts stacked on those of the stages before it (`new` at the bottom), in {@link DRAWN} order. */
function stacked(chart: DashboardSummary['chart']): number[][] {
  const sums = chart.hours.map(() => 0);
  const tops = STAGES.map((stage) => chart.stages[stage].map((count, hour) => (sums[hour] += count)));
  return tops.reverse();
}

export function LeadsChart({ chart }: { chart: DashboardSummary['chart'] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // the raw counts the legend shows, read by the legend's formatter of the chart made once
  const raw = useRef(chart);

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 300),
      height: HEIGHT,
      series: [
        {
          label: 'hour',
          value: (_u, v) => (v == null ? '' : new Date(v * 1000).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' })),
        },
        ...DRAWN.map((stage) => ({
          label: stage,
          stroke: STAGE_COLOURS[stage],
          fill: STAGE_COLOURS[stage],
          width: 0,
          points: { show: false },
          paths: uPlot.paths.bars?.({ size: [0.85, 40], align: 1 }),
          value: (_u: uPlot, _v: number | null, _series: number, at: number | null) =>
            at === null ? '' : String(raw.current.stages[stage][at] ?? ''),
        })),
      ],
      axes: [{}, { label: 'leads per hour', size: 50 }],
      // an hour's band runs from its start to the next hour's, so the scale ends an hour after the last start
      scales: {
        x: { time: true, range: (_u: uPlot, min: number, max: number) => [min, max + 3600] },
        y: { range: (_u: uPlot, _min: number, max: number) => [0, Math.max(1, max)] },
      },
      legend: { live: true },
    };
    plot.current = new uPlot(options, [[]], element);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(element.clientWidth, 300), height: HEIGHT }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    raw.current = chart;
    const xs = chart.hours.map((hour) => Date.parse(hour) / 1000);
    plot.current?.setData([xs, ...stacked(chart)]);
  }, [chart]);

  return <div ref={box} className="lf-dash__chart" data-testid="dashboard-chart" />;
}
