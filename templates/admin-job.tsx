/** @jsxRuntime automatic @jsxImportSource jobdir */
/**
 * One job as an admin sees it (JSX): what `jobdir show` prints, the parameters it was
 * submitted with, its log, its files (each a download for the admin) and the actions.
 */
import { ActionButton, AdminNav, type AdminAction, CardTable } from './admin-tables.js';
import { AdminStyle } from './admin.js';
import { Layout } from './layout.js';
import type { Frame } from './views.js';

/** One submitted parameter: its field's label and value; an upload by name and size. */
export interface Parameter {
  name: string;
  label: string;
  value: string;
  /** For an uploaded file: its size and the admin's download (null when the file is gone). */
  file: { size: number | null; url: string | null } | null;
}

/** One line of jobdir.log. */
export interface LogLine {
  /** UTC time as written ('' for a line that is not an event). */
  t: string;
  event: string;
  detail: string;
}

/** One entry of the job directory. */
export interface AdminFile {
  name: string;
  size: number;
  kind: 'file' | 'folder' | 'symlink' | 'other';
  modified: number;
  /** The admin's download; null for what is not served (folders, links, too large). */
  url: string | null;
}

/** What the admin's job page shows. */
export interface AdminJobView {
  id: string;
  state: string;
  dir: string;
  settings: Record<string, string>;
  /** The job's type is one the service declares (else parameters are shown as recorded). */
  typeKnown: boolean;
  parameters: Parameter[];
  attempts: number;
  where: string | null;
  failure: string | null;
  history: string[];
  log: LogLine[];
  /** Set when only the end of jobdir.log is shown. */
  logCut: { shown: number; size: number } | null;
  logUrl: string | null;
  stdout: string;
  stderr: string;
  files: AdminFile[];
  actions: AdminAction[];
  csrf: string;
}

/** 1234567 → "1.2 MB"; small sizes in bytes. */
export function size(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  do {
    v /= 1000;
    u++;
  } while (v >= 1000 && u < units.length - 1);
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** The end of an output file, under its name; nothing for a file of blanks. */
function Tail({ name, text }: { name: string; text: string }) {
  if (!text.trim()) return <></>;
  return (
    <>
      <h2>{name} (end)</h2>
      <pre id={name.replace(/\W/g, '-')}>{text.trimEnd()}</pre>
    </>
  );
}

/** A two-column row. */
function Row({ k, v, class: cls }: { k: string; v: string | number; class?: string }) {
  return (
    <tr>
      <th>{k}</th>
      <td class={cls}>{v}</td>
    </tr>
  );
}

/** The parameters table: label, value, uploads with their size and a download. */
function Parameters({ j }: { j: AdminJobView }) {
  if (!j.parameters.length) return <p>This job type takes no parameters.</p>;
  return (
    <div class="pairs">
      <table id="parameters">
        {j.parameters.map((p) => (
          <tr>
            <th>
              {p.label}
              {p.label !== p.name ? <span class="muted"> ({p.name})</span> : ''}
            </th>
            <td class="value">
              {p.file ? (
                <>
                  {p.file.url ? <a href={p.file.url}>{p.value}</a> : p.value}{' '}
                  <span class="muted">
                    ({p.file.size === null ? 'file no longer there' : size(p.file.size)}, uploaded)
                  </span>
                </>
              ) : p.value === '' ? (
                <span class="muted">(empty)</span>
              ) : p.value.length > 2000 ? (
                `${p.value.slice(0, 2000)}… (${p.value.length} characters)`
              ) : (
                p.value
              )}
            </td>
          </tr>
        ))}
      </table>
      {j.typeKnown ? '' : <p class="muted">The service no longer declares this job type.</p>}
    </div>
  );
}

/** jobdir.log as a table of events. */
function Log({ j }: { j: AdminJobView }) {
  if (!j.log.length) return <p>The job has no log yet.</p>;
  return (
    <>
      {j.logCut ? (
        <p class="muted">
          The last {size(j.logCut.shown)} of {size(j.logCut.size)};{' '}
          {j.logUrl ? <a href={j.logUrl}>download the whole log</a> : ''}.
        </p>
      ) : (
        ''
      )}
      <div class="scroll" tabindex={0} role="region" aria-label="The job's log">
        <table id="log">
          <tr>
            <th>Time (UTC)</th>
            <th>Event</th>
            <th>Details</th>
          </tr>
          {j.log.map((l) => (
            <tr>
              <td class="nowrap">{l.t}</td>
              <td>{l.event}</td>
              <td class="err-text">{l.detail}</td>
            </tr>
          ))}
        </table>
      </div>
    </>
  );
}

/** Every entry of the job directory with its size. */
function Files({ j }: { j: AdminJobView }) {
  return (
    <CardTable id="files" heads={['Name', 'Size', 'Modified (UTC)']}>
      {j.files.map((f) => (
        <tr>
          <td data-label="Name">
            {f.url ? <a href={f.url}>{f.name}</a> : f.name}
            {f.kind === 'file' ? '' : <span class="muted"> ({f.kind})</span>}
          </td>
          <td data-label="Size">{f.kind === 'file' ? size(f.size) : '–'}</td>
          <td data-label="Modified (UTC)">
            {new Date(f.modified).toISOString().slice(0, 19).replace('T', ' ')}
          </td>
        </tr>
      ))}
    </CardTable>
  );
}

/** One job as an admin sees it. */
export function adminJobPage(f: Frame, j: AdminJobView): string {
  return String(
    <Layout frame={{ ...f, title: `Job ${j.id}` }}>
      <AdminStyle />
      <AdminNav base={f.base} />
      <h1>Job {j.id}</h1>
      <table class="pairs">
        <tr>
          <th>State</th>
          <td id="state">{j.state}</td>
        </tr>
        <Row k="Directory" v={j.dir} />
        {Object.entries(j.settings).map(([k, v]) => (
          <Row k={k} v={v} />
        ))}
        <Row k="Attempts" v={j.attempts} />
        {j.where ? <Row k="Where" v={j.where} /> : ''}
        {j.failure ? <Row k="Failure" v={j.failure} class="err-text" /> : ''}
      </table>
      {j.actions.length ? (
        <div class="actions">
          {j.actions.map((a) => (
            <ActionButton id={j.id} action={a} csrf={j.csrf} base={f.base} />
          ))}
        </div>
      ) : (
        ''
      )}
      <h2>Parameters</h2>
      <Parameters j={j} />
      {j.history.length ? (
        <>
          <h2>History</h2>
          <ul>
            {j.history.map((h) => (
              <li>{h}</li>
            ))}
          </ul>
        </>
      ) : (
        ''
      )}
      <h2>Log</h2>
      <Log j={j} />
      <h2>Files</h2>
      <Files j={j} />
      <Tail name="stdout.txt" text={j.stdout} />
      <Tail name="stderr.txt" text={j.stderr} />
    </Layout>,
  );
}
