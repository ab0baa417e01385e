/** @jsxRuntime automatic @jsxImportSource jobdir */
/** The admin pages (JSX): the dashboard and its live panel, the confirm step, one job. */
import { ALL_STATES } from '../src/states.js';
import type { DashboardData } from '../src/ops/dashboard.js';
import { ActivityChart } from './admin-chart.js';
import {
  AdminNav,
  type AdminAction,
  ADMIN_ACTIONS,
  FailuresTable,
  iso,
  QueueTables,
  RunningTable,
} from './admin-tables.js';
import { Layout } from './layout.js';
import type { Frame } from './views.js';
import { under } from '../src/config/urltop.js';

export { ADMIN_ACTIONS, type AdminAction } from './admin-tables.js';

/** The admin pages' own style, on top of the layout's. */
export const ADMIN_CSS = `
header,main,footer{max-width:76rem}.actions form{display:inline-block;margin:0 .5rem .5rem 0}
form a{margin-left:1rem}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(8.5rem,1fr));gap:.5rem;padding:0;
margin:0;list-style:none}
.tiles li{background:#fff;border:1px solid #dde;border-radius:6px;padding:.5rem .7rem}
.tiles b{display:block;font-size:1.5rem}
.scroll{overflow-x:auto}.scroll table{min-width:36rem}
.pairs td{overflow-wrap:anywhere}
td form{display:inline;margin:0 .25rem .25rem 0}
td button{padding:.3rem .7rem;font-size:.9rem}
button.danger{background:#b00020}
.ok{color:#1b7f3b;font-weight:600}.bad{color:#b00020;font-weight:600}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(20rem,1fr));gap:1rem}
.chart svg{width:100%;height:auto;display:block}
.legend span{display:inline-block;margin-right:1rem}
.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:-1px}
.s{background:#2456c9;fill:#2456c9}.c{background:#1b9e4b;fill:#1b9e4b}
.x{background:#d03030;fill:#d03030}
td.err-text{max-width:28rem;white-space:pre-wrap;word-break:break-word}progress{max-width:12rem}
.note{background:#e8f0fe;border-color:#9bb5ee}
.muted{color:#667;font-size:.9rem}
form.search{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin:1rem 0}
form.search label{flex-basis:100%}form.search input{flex:1 1 16rem;max-width:36rem}
details{margin:.5rem 0}summary{cursor:pointer}code{font-size:.9rem}
#pager{margin:1rem 0}#pager span{margin-right:1rem}
.nowrap{white-space:nowrap}td.value{white-space:pre-wrap;word-break:break-word}
#parameters th{width:14rem}.actions{margin-top:.75rem}
@media (max-width:40rem){.cards table{min-width:0}.cards tr.head{display:none}
.cards tr{display:block;border-bottom:1px solid #dde;padding:.4rem 0}
.cards td{display:block;border:0;padding:.1rem 0}.cards td::before{content:attr(data-label) ": ";
font-weight:600}.cards td.err-text{max-width:none}}`;

/** The admin style sheet, placed first in the page's main part. */
export const AdminStyle = () => <style dangerouslySetInnerHTML={{ __html: ADMIN_CSS }} />;

const bytes = (n: number) =>
  n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : `${Math.round(n / 2 ** 20)} MiB`;

/** The backend's pid, the state file's trouble and the free disk, in one line. */
function HealthLine({ d }: { d: DashboardData }) {
  const h = d.health;
  const pid = h.backend.pid
    ? ` (pid ${h.backend.pid}${h.backend.inProcess ? ', this process' : ''})`
    : '';
  return (
    <p class="muted" id="updated">
      Updated {iso(d.now)} UTC · backend{' '}
      {h.backend.alive ? (
        <>
          <span class="ok">alive</span>
          {pid}
        </>
      ) : (
        <span class="bad">not running</span>
      )}
      {h.stateFile.ok ? (
        ''
      ) : (
        <>
          {' '}
          · <span class="bad">state file: {h.stateFile.error}</span>
        </>
      )}{' '}
      · disk{' '}
      {h.disks.map((k, i) => (
        <>
          {i ? ', ' : ''}
          <span class={k.ok ? '' : 'bad'}>
            {bytes(k.freeBytes)} free{h.disks.length > 1 ? ` (${k.states.join(', ')})` : ''}
            {k.ok ? '' : ` (below ${bytes(h.minFreeBytes)})`}
          </span>
        </>
      ))}
    </p>
  );
}

/** The part of the dashboard that updates live (sent again over /admin/events). */
export function dashboardPanel(d: DashboardData, csrf: string, base: string) {
  const hour = (t: number) => `${new Date(t).toISOString().slice(11, 13)}h`;
  const day = (t: number) => new Date(t).toISOString().slice(5, 10);
  return (
    <>
      <HealthLine d={d} />
      <h2 id="counts-h">Jobs per state</h2>
      <ul class="tiles" aria-labelledby="counts-h" id="counts">
        {ALL_STATES.map((s) => (
          <li id={`count-${s}`}>
            <b>{d.counts[s]}</b>
            {s}
          </li>
        ))}
      </ul>
      <h2 id="running-h">Running ({d.running.length})</h2>
      <RunningTable d={d} csrf={csrf} base={base} />
      <h2 id="queue-h">Queue ({d.queueTotal}), in the order jobs will start</h2>
      <QueueTables d={d} csrf={csrf} base={base} />
      <h2 id="failures-h">
        Recent failures ({d.failures.length} of {d.failuresTotal})
      </h2>
      <FailuresTable d={d} csrf={csrf} base={base} />
      <h2>Activity</h2>
      <div class="charts">
        <ActivityChart title="Last 24 hours" s={d.hourly} label={hour} every={6} />
        <ActivityChart title="Last 30 days" s={d.daily} label={day} every={7} />
      </div>
      <p class="muted">
        Counted from {d.scan.jobs} job directories in {d.scan.tookMs.toFixed(0)} ms.
      </p>
    </>
  );
}

/** The dashboard: the live panel, refreshed by /admin/live.js over server-sent events. */
export function dashboardPage(
  f: Frame,
  d: DashboardData,
  csrf: string,
  note: string | null,
): string {
  return String(
    <Layout frame={{ ...f, title: 'Dashboard' }}>
      <AdminStyle />
      <h1>Dashboard</h1>
      <AdminNav base={f.base} current="dashboard" />
      <form method="get" action={under(f.base, '/admin/jobs')} role="search" class="search">
        <label for="q">Find a job</label>
        <input
          type="search"
          id="q"
          name="q"
          placeholder="an id, an email, state:failed, type:…"
        />{' '}
        <button type="submit">Search</button>
      </form>
      {note ? (
        <div class="box note" role="status" id="note">
          {note}
        </div>
      ) : (
        ''
      )}
      <div id="live" aria-live="off" data-events={under(f.base, '/admin/events')}>
        {dashboardPanel(d, csrf, f.base)}
      </div>
      <noscript>
        <meta http-equiv="refresh" content="30" />
      </noscript>
      <script src={under(f.base, '/admin/live.js')} defer></script>
    </Layout>,
  );
}

/** The confirmation step of an admin action (inline JS is blocked, so it is a page). */
export function confirmPage(
  f: Frame,
  o: { id: string; state: string; type: string; action: AdminAction; csrf: string },
): string {
  const a = ADMIN_ACTIONS[o.action];
  return String(
    <Layout frame={{ ...f, title: `${a.label} job ${o.id}?` }}>
      <AdminStyle />
      <h1>
        {a.label} job {o.id}?
      </h1>
      <p>
        Job <a href={under(f.base, `/admin/jobs/${o.id}`)}>{o.id}</a> ({o.type || 'unknown type'})
        is <b>{o.state}</b>. {a.label} will {a.says}.
      </p>
      <form method="post" action={under(f.base, `/admin/jobs/${o.id}/${o.action}`)}>
        <input type="hidden" name="csrf" value={o.csrf} />
        <input type="hidden" name="confirm" value="yes" />{' '}
        <button
          type="submit"
          id="confirm"
          class={o.action === 'delete' || o.action === 'fail' ? 'danger' : ''}
        >
          Yes, {a.label.toLowerCase()} job {o.id}
        </button>{' '}
        <a href={under(f.base, '/admin')} id="back">
          No, back to the dashboard
        </a>
      </form>
    </Layout>,
  );
}
