/**
 * The dashboard's chart: leads per hour by stage over the range, one line per stage in the
 * stage's colour, drawn by uPlot on a canvas sized to its box.
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

export function LeadsChart({ chart }: { chart: DashboardSummary['chart'] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

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
        ...STAGES.map((stage) => ({ label: stage, stroke: STAGE_COLOURS[stage], width: 2, points: { show: false } })),
      ],
      axes: [{}, { label: 'leads per hour', size: 50 }],
      scales: { y: { range: (_u: uPlot, _min: number, max: number) => [0, Math.max(1, max)] } },
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
    const xs = chart.hours.map((hour) => Date.parse(hour) / 1000);
    plot.current?.setData([xs, ...STAGES.map((stage) => chart.stages[stage])]);
  }, [chart]);

  return <div ref={box} className="lf-dash__chart" data-testid="dashboard-chart" />;
}
