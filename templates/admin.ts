import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { DashboardData } from '../src/lifecycle/dashboard.js';
import type { ActivitySeries } from '../src/metrics/activity.js';
import { ALL_STATES } from '../src/states.js';
import { layout, type PageFrame } from './layout.js';
import {
  ActionButton,
  type AdminAction,
  ADMIN_ACTIONS,
  FailuresTable,
  iso,
  QueueTables,
  RunningTable,
} from './admin-tables.js';

type Frame = Omit<PageFrame, 'title' | 'refresh'>;
type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export { ADMIN_ACTIONS, duration, type AdminAction } from './admin-tables.js';

const CSS = `header,main,footer{max-width:76rem}.actions form{display:inline-block;margin:0 .5rem .5rem 0}form a{margin-left:1rem}.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(8.5rem,1fr));gap:.5rem;padding:0;margin:0;list-style:none}
.tiles li{background:#fff;border:1px solid #dde;border-radius:6px;padding:.5rem .7rem}.tiles b{display:block;font-size:1.5rem}
.scroll{overflow-x:auto}.scroll table{min-width:36rem}td form{display:inline;margin:0 .25rem .25rem 0}td button{padding:.3rem .7rem;font-size:.9rem}
button.danger{background:#b00020}.ok{color:#1b7f3b;font-weight:600}.bad{color:#b00020;font-weight:600}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(20rem,1fr));gap:1rem}.chart svg{width:100%;height:auto;display:block}
.legend span{display:inline-block;margin-right:1rem}.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:-1px}
.s{background:#2456c9;fill:#2456c9}.c{background:#1b9e4b;fill:#1b9e4b}.x{background:#d03030;fill:#d03030}
td.err-text{max-width:28rem;white-space:pre-wrap;word-break:break-word}progress{max-width:12rem}.note{background:#e8f0fe;border-color:#9bb5ee}
.muted{color:#667;font-size:.9rem}
@media (max-width:40rem){.cards table{min-width:0}.cards tr.head{display:none}.cards tr{display:block;border-bottom:1px solid #dde;padding:.4rem 0}
.cards td{display:block;border:0;padding:.1rem 0}.cards td::before{content:attr(data-label) ": ";font-weight:600}.cards td.err-text{max-width:none}}`;

const bytes = (n: number) =>
  n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : `${Math.round(n / 2 ** 20)} MiB`;

const actionButton = (id: string, action: AdminAction, csrf: string) =>
  ActionButton({ id, action, csrf });

/** A grouped bar chart of submissions, completions and failures, with a table for screen readers. */
export function activityChart(
  title: string,
  s: ActivitySeries,
  label: (start: number) => string,
  every: number,
): Html {
  const n = s.starts.length;
  const W = 480;
  const H = 200;
  const top = 14;
  const bottom = 26;
  const left = 34;
  const max = Math.max(1, ...s.submitted, ...s.completed, ...s.failed);
  const step = Math.max(1, Math.ceil(max / 4));
  const yMax = step * 4;
  const slot = (W - left) / n;
  const bw = Math.max(1, (slot - 4) / 3);
  const y = (v: number) => top + (H - top - bottom) * (1 - v / yMax);
  const bars: string[] = [];
  const ticks: string[] = [];
  for (let k = 0; k <= 4; k++) {
    const v = k * step;
    ticks.push(
      `<line x1="${left}" x2="${W}" y1="${y(v)}" y2="${y(v)}" stroke="#dde"/><text x="${left - 4}" y="${y(v) + 4}" text-anchor="end" font-size="14" fill="#556">${v}</text>`,
    );
  }
  for (let i = 0; i < n; i++) {
    const x0 = left + i * slot + 2;
    (
      [
        ['s', s.submitted[i]!, 'submitted'],
        ['c', s.completed[i]!, 'completed'],
        ['x', s.failed[i]!, 'failed'],
      ] as const
    ).forEach(([cls, v, what], k) => {
      if (v > 0)
        bars.push(
          `<rect class="${cls}" x="${(x0 + k * bw).toFixed(1)}" y="${y(v).toFixed(1)}" width="${bw.toFixed(1)}" height="${(y(0) - y(v)).toFixed(1)}"><title>${label(s.starts[i]!)}: ${v} ${what}</title></rect>`,
        );
    });
    // Labels every `every` buckets, counted back from the newest (which is always labelled, flush right).
    if ((n - 1 - i) % every === 0)
      ticks.push(
        `<text x="${(i === n - 1 ? W : x0 + slot / 2 - 2).toFixed(1)}" y="${H - 6}" text-anchor="${i === n - 1 ? 'end' : 'middle'}" font-size="14" fill="#556">${label(s.starts[i]!)}</text>`,
      );
  }
  const total = (a: number[]) => a.reduce((x, v) => x + v, 0);
  const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return html`<figure class="box chart" id="chart-${slug}"><figcaption><b>${title}</b> <span class="muted">— ${total(s.submitted)} submitted, ${total(s.completed)} completed, ${total(s.failed)} failed</span></figcaption>
<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${title}: bars of jobs submitted, completed and failed">${raw(ticks.join('') + bars.join(''))}</svg>
<div class="legend muted"><span><i class="s"></i>submitted</span><span><i class="c"></i>completed</span><span><i class="x"></i>failed</span></div>
<details><summary>As a table</summary><div class="scroll"><table><tr><th>${s.unitMs < 86_400_000 ? 'Hour (UTC)' : 'Day (UTC)'}</th><th>Submitted</th><th>Completed</th><th>Failed</th></tr>
${s.starts.map((t, i) => html`<tr><td>${iso(t)}</td><td>${s.submitted[i]}</td><td>${s.completed[i]}</td><td>${s.failed[i]}</td></tr>`)}</table></div></details></figure>`;
}

/** The part of the dashboard that updates live (sent again over /admin/events). */
export function dashboardPanel(d: DashboardData, csrf: string): Html {
  const h = d.health;
  return html`<p class="muted" id="updated">Updated ${iso(d.now)} UTC · backend ${
    h.backend.alive
      ? html`<span class="ok">alive</span>${h.backend.pid ? ` (pid ${h.backend.pid}${h.backend.inProcess ? ', this process' : ''})` : ''}`
      : html`<span class="bad">not running</span>`
  }${h.stateFile.ok ? '' : html` · <span class="bad">state file: ${h.stateFile.error}</span>`}
· disk ${h.disks.map((k, i) => html`${i ? ', ' : ''}<span class="${k.ok ? '' : 'bad'}">${bytes(k.freeBytes)} free${h.disks.length > 1 ? ` (${k.states.join(', ')})` : ''}${k.ok ? '' : ` (below ${bytes(h.minFreeBytes)})`}</span>`)}</p>
<h2 id="counts-h">Jobs per state</h2>
<ul class="tiles" aria-labelledby="counts-h" id="counts">${ALL_STATES.map((s) => html`<li id="count-${s}"><b>${d.counts[s]}</b>${s}</li>`)}</ul>

<h2 id="running-h">Running (${d.running.length})</h2>
${RunningTable({ d, csrf })}

<h2 id="queue-h">Queue (${d.queueTotal}), in the order jobs will start</h2>
${QueueTables({ d, csrf })}

<h2 id="failures-h">Recent failures (${d.failures.length} of ${d.failuresTotal})</h2>
${FailuresTable({ d, csrf })}

<h2>Activity</h2>
<div class="charts">
${activityChart('Last 24 hours', d.hourly, (t) => `${new Date(t).toISOString().slice(11, 13)}h`, 6)}
${activityChart('Last 30 days', d.daily, (t) => new Date(t).toISOString().slice(5, 10), 7)}
</div>
<p class="muted">Counted from ${d.scan.jobs} job directories in ${d.scan.tookMs.toFixed(0)} ms.</p>`;
}

/** The dashboard: the live panel, refreshed by /admin/live.js over server-sent events. */
export function dashboardPage(f: Frame, d: DashboardData, csrf: string, note: string | null): Html {
  return layout(
    { ...f, title: 'Dashboard' },
    html`<style>${raw(CSS)}</style>
<h1>Dashboard</h1>
<nav aria-label="Admin"><a href="/admin">Dashboard</a><a href="/metrics">Metrics</a><a href="/healthz">Health</a><a href="/">Form</a></nav>
${note ? html`<div class="box note" role="status" id="note">${note}</div>` : ''}
<div id="live" aria-live="off">${dashboardPanel(d, csrf)}</div>
<noscript><meta http-equiv="refresh" content="30"></noscript>
<script src="/admin/live.js" defer></script>`,
  );
}

/** The confirmation step of an admin action (inline JS is blocked, so it is a page). */
export function confirmPage(
  f: Frame,
  o: { id: string; state: string; type: string; action: AdminAction; csrf: string },
): Html {
  const a = ADMIN_ACTIONS[o.action];
  return layout(
    { ...f, title: `${a.label} job ${o.id}?` },
    html`<style>${raw(CSS)}</style>
<h1>${a.label} job ${o.id}?</h1>
<p>Job <a href="/admin/jobs/${o.id}">${o.id}</a> (${o.type || 'unknown type'}) is <b>${o.state}</b>. ${a.label} will ${a.says}.</p>
<form method="post" action="/admin/jobs/${o.id}/${o.action}"><input type="hidden" name="csrf" value="${o.csrf}"><input type="hidden" name="confirm" value="yes">
<button type="submit" id="confirm" class="${o.action === 'delete' || o.action === 'fail' ? 'danger' : ''}">Yes, ${a.label.toLowerCase()} job ${o.id}</button>
<a href="/admin" id="back">No, back to the dashboard</a></form>`,
  );
}

/** One job as an admin sees it (what `jobdir show` prints). */
export function adminJobPage(
  f: Frame,
  j: {
    id: string;
    state: string;
    dir: string;
    settings: Record<string, string>;
    inputs: Record<string, string>;
    attempts: number;
    where: string | null;
    failure: string | null;
    history: string[];
    log: string;
    stdout: string;
    stderr: string;
    actions: AdminAction[];
    csrf: string;
  },
): Html {
  const block = (name: string, text: string) =>
    text.trim()
      ? html`<h2>${name} (end)</h2><pre id="${name.replace(/\W/g, '-')}">${text.trimEnd()}</pre>`
      : '';
  return layout(
    { ...f, title: `Job ${j.id}` },
    html`<style>${raw(CSS)}</style>
<p><a href="/admin">← Dashboard</a></p><h1>Job ${j.id}</h1>
<div class="scroll"><table><tr><th>State</th><td id="state">${j.state}</td></tr><tr><th>Directory</th><td>${j.dir}</td></tr>
${Object.entries(j.settings).map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}
<tr><th>Attempts</th><td>${j.attempts}</td></tr>${j.where ? html`<tr><th>Where</th><td>${j.where}</td></tr>` : ''}
${j.failure ? html`<tr><th>Failure</th><td class="err-text">${j.failure}</td></tr>` : ''}</table></div>
${j.actions.length ? html`<div class="actions">${j.actions.map((a) => actionButton(j.id, a, j.csrf))}</div>` : ''}
<h2>Inputs</h2><div class="scroll"><table>${Object.entries(j.inputs).map(([k, v]) => html`<tr><th>${k}</th><td>${v.length > 300 ? `${v.slice(0, 300)}…` : v}</td></tr>`)}</table></div>
${j.history.length ? html`<h2>History</h2><ul>${j.history.map((h) => html`<li>${h}</li>`)}</ul>` : ''}
${block('jobdir.log', j.log)}${block('stdout.txt', j.stdout)}${block('stderr.txt', j.stderr)}`,
  );
}
