/** @jsxRuntime automatic @jsxImportSource jobdir */
/** The dashboard's activity chart (JSX): bars drawn in SVG, and the same counts as a table. */
import type { Child } from 'hono/jsx';
import type { ActivitySeries } from '../src/metrics/activity.js';
import { iso } from './admin-tables.js';

const W = 480;
const H = 200;
const TOP = 14;
const BOTTOM = 26;
const LEFT = 34;

type Props = {
  title: string;
  s: ActivitySeries;
  /** A bucket's label on the x axis and in the bars' tooltips. */
  label: (start: number) => string;
  /** Label every so many buckets, counted back from the newest. */
  every: number;
};

/** The axes, labels and bars, in the order they are drawn. */
function Plot({ s, label, every }: Props) {
  const n = s.starts.length;
  const max = Math.max(1, ...s.submitted, ...s.completed, ...s.failed);
  const step = Math.max(1, Math.ceil(max / 4));
  const yMax = step * 4;
  const slot = (W - LEFT) / n;
  const bw = Math.max(1, (slot - 4) / 3);
  const y = (v: number) => TOP + (H - TOP - BOTTOM) * (1 - v / yMax);
  const ticks: Child[] = [];
  const bars: Child[] = [];
  for (let k = 0; k <= 4; k++) {
    const v = k * step;
    ticks.push(
      <>
        <line x1={LEFT} x2={W} y1={y(v)} y2={y(v)} stroke="#dde" />
        <text x={LEFT - 4} y={y(v) + 4} text-anchor="end" font-size="14" fill="#556">
          {v}
        </text>
      </>,
    );
  }
  for (let i = 0; i < n; i++) {
    const x0 = LEFT + i * slot + 2;
    const kinds = [
      ['s', s.submitted[i]!, 'submitted'],
      ['c', s.completed[i]!, 'completed'],
      ['x', s.failed[i]!, 'failed'],
    ] as const;
    kinds.forEach(([cls, v, what], k) => {
      if (v > 0)
        bars.push(
          <rect
            class={cls}
            x={(x0 + k * bw).toFixed(1)}
            y={y(v).toFixed(1)}
            width={bw.toFixed(1)}
            height={(y(0) - y(v)).toFixed(1)}
          >
            <title>
              {label(s.starts[i]!)}: {v} {what}
            </title>
          </rect>,
        );
    });
    // The newest bucket is always labelled, flush right.
    const newest = i === n - 1;
    if ((n - 1 - i) % every === 0)
      ticks.push(
        <text
          x={(newest ? W : x0 + slot / 2 - 2).toFixed(1)}
          y={H - 6}
          text-anchor={newest ? 'end' : 'middle'}
          font-size="14"
          fill="#556"
        >
          {label(s.starts[i]!)}
        </text>,
      );
  }
  return (
    <>
      {ticks}
      {bars}
    </>
  );
}

/** A grouped bar chart of jobs submitted, completed and failed; a table for screen readers. */
export function ActivityChart(p: Props) {
  const { title, s } = p;
  const total = (a: number[]) => a.reduce((x, v) => x + v, 0);
  const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return (
    <figure class="box chart" id={`chart-${slug}`}>
      <figcaption>
        <b>{title}</b>{' '}
        <span class="muted">
          — {total(s.submitted)} submitted, {total(s.completed)} completed, {total(s.failed)} failed
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`${title}: bars of jobs submitted, completed and failed`}
      >
        <Plot {...p} />
      </svg>
      <div class="legend muted">
        <span>
          <i class="s"></i>submitted
        </span>
        <span>
          <i class="c"></i>completed
        </span>
        <span>
          <i class="x"></i>failed
        </span>
      </div>
      <details>
        <summary>As a table</summary>
        <div class="scroll" tabindex={0} role="region" aria-label="Jobs over time, as a table">
          <table>
            <tr>
              <th>{s.unitMs < 86_400_000 ? 'Hour (UTC)' : 'Day (UTC)'}</th>
              <th>Submitted</th>
              <th>Completed</th>
              <th>Failed</th>
            </tr>
            {s.starts.map((t, i) => (
              <tr>
                <td>{iso(t)}</td>
                <td>{s.submitted[i]}</td>
                <td>{s.completed[i]}</td>
                <td>{s.failed[i]}</td>
              </tr>
            ))}
          </table>
        </div>
      </details>
    </figure>
  );
}
