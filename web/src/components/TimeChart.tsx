// A time-series chart of the last ten minutes (uPlot, canvas) with its figures in words: the
// canvas is hidden from assistive technology and the caption says the current value and the
// ten-minute low and high of every line, so nothing is only in the picture.

import { useEffect, useId, useRef } from "react";
import { useTranslation } from "react-i18next";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { summarize, type Sample } from "../lib/admin";

export interface Line {
  key: Exclude<keyof Sample, "t">;
  label: string;
  color: string;
  /** How a value reads in the caption and on the axis (default: as is, rounded to 0.1). */
  format?: (v: number) => string;
  /** Draw on a second scale at the right (for a line of another unit). */
  right?: boolean;
  /** Counts of people or tickets: whole-number ticks only. */
  whole?: boolean;
}

/** Tick steps for whole-number axes (uPlot's defaults include 0.5 and smaller). */
const WHOLE_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 250_000, 500_000, 1_000_000];
/** The x axis spans at least a minute, so a new chart does not stretch seconds over its width. */
const MIN_SPAN_S = 60;

const plain = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));

/** The chart's lines are fixed for its life: give it a `key` that changes with the language
 *  so its labels are redrawn in the new one. */
export function TimeChart({ title, lines, history, testId }: { title: string; lines: Line[]; history: Sample[]; testId?: string }) {
  const { t } = useTranslation();
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const summaryId = useId();

  // One uPlot per chart, as wide as its box.
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const right = lines.find((l) => l.right);
    const left = lines.find((l) => !l.right);
    const opts: uPlot.Options = {
      width: Math.max(240, el.clientWidth),
      height: 170,
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true, range: (_u, min, max) => [Math.min(min, max - MIN_SPAN_S), max] },
        // Counts start at zero and never show a 0.5 tick.
        y: { range: (_u, _min, max) => [0, Math.max(left?.whole ? 2 : 1, max * 1.1)] },
        ...(right ? { r: { range: (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [0, Math.max(1, max * 1.1)] } } : {}),
      },
      series: [
        {},
        ...lines.map((l) => ({ label: l.label, stroke: l.color, width: 2, scale: l.right ? "r" : "y", points: { show: false } })),
      ],
      axes: [
        { stroke: "#4b5563", grid: { stroke: "#e2e8f0" } },
        { stroke: "#4b5563", grid: { stroke: "#e2e8f0" }, size: 56, ...(left?.whole ? { incrs: WHOLE_STEPS } : {}), values: (_u, vs) => vs.map((v) => (left?.format ?? plain)(v)) },
        ...(right ? [{ scale: "r", side: 1 as const, stroke: "#4b5563", grid: { show: false }, size: 64, values: (_u: uPlot, vs: number[]) => vs.map((v) => (right.format ?? plain)(v)) }] : []),
      ],
    };
    const u = new uPlot(opts, [[], ...lines.map(() => [])], el);
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(240, el.clientWidth), height: 170 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // The lines of a chart are fixed for its life.
  }, []);

  useEffect(() => {
    plot.current?.setData([history.map((h) => h.t / 1000), ...lines.map((l) => history.map((h) => h[l.key]))]);
  }, [history, lines]);

  const words = lines
    .map((l) => {
      const s = summarize(history, l.key);
      const f = l.format ?? plain;
      return s ? t("chart.summary", { label: l.label, now: f(s.now), min: f(s.min), max: f(s.max) }) : t("chart.noFigures", { label: l.label });
    })
    .join(". ");
  const span = history.length > 1 ? Math.round((history[history.length - 1].t - history[0].t) / 60_000) : 0;

  return (
    <figure className="chart" data-testid={testId} aria-describedby={summaryId}>
      <figcaption>
        <strong>{title}</strong>
        <span id={summaryId} className="chart-summary" data-testid={testId ? `${testId}-summary` : undefined}>
          {words}{history.length > 1 ? ` (${t("chart.over", { count: Math.max(1, span) })}).` : "."}
        </span>
      </figcaption>
      <div ref={host} className="chart-plot" aria-hidden="true" />
    </figure>
  );
}
