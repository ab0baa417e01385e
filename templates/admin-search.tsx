/** @jsxRuntime automatic @jsxImportSource jobdir */
/** The admin's job search (JSX): the query box, how it was read, a page of hits, the pager. */
import type { SearchPage } from '../src/ops/search.js';
import { AdminNav, CardTable, iso, JobCell } from './admin-tables.js';
import { AdminStyle } from './admin.js';
import { Layout } from './layout.js';
import type { Frame } from './views.js';
import { under } from '../src/config/urltop.js';

/** What the search page shows. */
export interface SearchView {
  q: string;
  /** The query's words as read (empty for no query). */
  read: string[];
  /** A page of hits, or null when the query could not be read. */
  result: SearchPage | null;
  /** What was wrong with the query or the page number. */
  error: string | null;
  /** The failure of each failed hit on the page, by id. */
  failures: Record<string, string>;
  /** Job types, for the help. */
  types: string[];
  tookMs: number;
  /** When the census behind the hits was taken (ms). */
  asOf: number;
  /** The store is being counted for the first time: no hits yet. */
  counting: boolean;
}

const n = (x: number) => x.toLocaleString('en');

/** The address of page `page` of query `q`. */
const pageUrl = (base: string, q: string, page: number) =>
  under(
    base,
    `/admin/jobs?${new URLSearchParams({ q, ...(page > 1 ? { page: String(page) } : {}) })}`,
  );

/** What a query may say, for the admin (folded away). */
function Help({ types }: { types: string[] }) {
  return (
    <details id="search-help">
      <summary>How to search</summary>
      <p>Every word must match. Dates and times are UTC; the newest jobs come first.</p>
      <table>
        <tr>
          <th>
            <code>text</code>
          </th>
          <td>an id starting with it, an email containing it, a type or a state</td>
        </tr>
        <tr>
          <th>
            <code>id:bcdf</code>
          </th>
          <td>ids starting with bcdf</td>
        </tr>
        <tr>
          <th>
            <code>email:example.org</code>
          </th>
          <td>email addresses containing it (any case)</td>
        </tr>
        <tr>
          <th>
            <code>type:NAME</code>
          </th>
          <td>{types.length ? `one of ${types.join(', ')}` : 'a job type'}; several with commas</td>
        </tr>
        <tr>
          <th>
            <code>state:failed,archived</code>
          </th>
          <td>
            incoming, preprocessing, running, postprocessing, finalizing, completed, failed,
            archived; also active, queued, ended
          </td>
        </tr>
        <tr>
          <th>
            <code>2026-12-07</code>
          </th>
          <td>submitted that day (or 2026-12, a month; 2026, a year)</td>
        </tr>
        <tr>
          <th>
            <code>since:3d</code> <code>before:2026-12-01</code>
          </th>
          <td>submitted since or before a date or an age: 30min, 12h, 3d, 2w, 6mo, 1y</td>
        </tr>
        <tr>
          <th>
            <code>-state:completed</code>
          </th>
          <td>a minus sign: jobs not matching the word</td>
        </tr>
      </table>
    </details>
  );
}

/** The pager under the hits: previous, where we are, next. */
function Pager({ base, q, r }: { base: string; q: string; r: SearchPage }) {
  if (r.pages <= 1 && r.page === 1) return <></>;
  return (
    <nav aria-label="Pages of hits" id="pager">
      {r.page > 1 ? (
        <a href={pageUrl(base, q, Math.min(r.page - 1, r.pages))} rel="prev" id="prev">
          ← Newer
        </a>
      ) : (
        ''
      )}
      <span>
        page {r.page} of {r.pages}
      </span>{' '}
      {r.page < r.pages ? (
        <a href={pageUrl(base, q, r.page + 1)} rel="next" id="next">
          Older →
        </a>
      ) : (
        ''
      )}
    </nav>
  );
}

/** The table of hits, one row per job (cards on a phone). */
function Hits({ base, v, r }: { base: string; v: SearchView; r: SearchPage }) {
  return (
    <CardTable
      id="hits"
      label="Jobs found"
      heads={['Job', 'State', 'Type', 'Email', 'Submitted (UTC)', 'Ended (UTC)']}
    >
      {r.hits.map((h) => (
        <tr id={`hit-${h.id}`} class="hit">
          <JobCell id={h.id} base={base} />
          <td data-label="State">
            <span class={`state ${h.state}`}>{h.state}</span>
            {v.failures[h.id] ? <div class="err-text muted">{v.failures[h.id]}</div> : ''}
          </td>
          <td data-label="Type">{h.type ?? '…'}</td>
          <td data-label="Email">{h.email === null ? '…' : h.email || '–'}</td>
          <td data-label="Submitted (UTC)">{iso(h.submitted)}</td>
          <td data-label="Ended (UTC)">{iso(h.finished)}</td>
        </tr>
      ))}
    </CardTable>
  );
}

/** The search page: box, help, message or summary, hits and pager. */
export function adminSearchPage(f: Frame, v: SearchView): string {
  const r = v.result;
  const first = r ? (r.page - 1) * r.perPage + 1 : 0;
  return String(
    <Layout
      frame={{
        ...f,
        title: v.q ? `Jobs: ${v.q}` : 'Search jobs',
        ...(v.counting ? { refresh: 2 } : {}),
      }}
    >
      <AdminStyle />
      <h1>Search jobs</h1>
      <AdminNav base={f.base} current="search" />
      <form method="get" action={under(f.base, '/admin/jobs')} role="search" class="search">
        <label for="q">Search every job, in every state</label>
        <input
          type="search"
          id="q"
          name="q"
          value={v.q}
          maxlength={500}
          placeholder="state:failed type:divide since:7d"
          aria-describedby={v.error ? 'q-error' : undefined}
          aria-invalid={v.error ? 'true' : undefined}
        />{' '}
        <button type="submit">Search</button>
      </form>
      <Help types={v.types} />
      {v.error ? (
        <div class="box err" role="alert" id="q-error">
          {v.error}
        </div>
      ) : (
        ''
      )}
      {v.counting ? (
        <div class="box note" role="status" id="counting">
          Counting the job directories for the first time since the server started (a big store
          takes a few seconds). This page reloads itself.
        </div>
      ) : (
        ''
      )}
      {r && r.unread ? (
        <div class="box note" role="status" id="unread">
          Still reading the job directories: {n(r.unread)} jobs are not indexed yet, so a search by
          type or email may miss them. Reload in a moment.
        </div>
      ) : (
        ''
      )}
      {r ? (
        <>
          <p id="summary">
            {r.total === 0 ? (
              'No job matches'
            ) : r.hits.length === 0 ? (
              <>
                {n(r.total)} {r.total === 1 ? 'job matches' : 'jobs match'}, but page {r.page} is
                past the last (<a href={pageUrl(f.base, v.q, r.pages)}>page {r.pages}</a>)
              </>
            ) : (
              <>
                {n(r.total)} {r.total === 1 ? 'job matches' : 'jobs match'}
                {r.total > r.hits.length
                  ? `; ${n(first)}–${n(first + r.hits.length - 1)} shown`
                  : ''}
              </>
            )}
            {v.read.length ? `: ${v.read.join(' · ')}` : ' (every job)'}. Newest first.{' '}
            <span class="muted">
              (as of {new Date(v.asOf).toISOString().slice(11, 19)} UTC; {v.tookMs.toFixed(1)} ms)
            </span>
          </p>
          {r.hits.length ? <Hits base={f.base} v={v} r={r} /> : ''}
          <Pager base={f.base} q={v.q} r={r} />
        </>
      ) : (
        ''
      )}
    </Layout>,
  );
}
