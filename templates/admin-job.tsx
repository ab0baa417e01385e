/** @jsxRuntime automatic @jsxImportSource jobdir */
/** One job as an admin sees it (JSX): what `jobdir show` prints, with the action buttons. */
import { ActionButton, type AdminAction } from './admin-tables.js';
import { AdminStyle } from './admin.js';
import { Layout } from './layout.js';
import type { Frame } from './views.js';
import { under } from '../src/config/urltop.js';

/** What the admin's job page shows. */
export interface AdminJobView {
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
}

/** The end of a log or output file, under its name; nothing for a file of blanks. */
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

/** One job as an admin sees it (what `jobdir show` prints). */
export function adminJobPage(f: Frame, j: AdminJobView): string {
  return String(
    <Layout frame={{ ...f, title: `Job ${j.id}` }}>
      <AdminStyle />
      <p>
        <a href={under(f.base, '/admin')}>← Dashboard</a>
      </p>
      <h1>Job {j.id}</h1>
      <div class="scroll" tabindex={0} role="region" aria-label="The job's facts">
        <table>
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
      </div>
      {j.actions.length ? (
        <div class="actions">
          {j.actions.map((a) => (
            <ActionButton id={j.id} action={a} csrf={j.csrf} base={f.base} />
          ))}
        </div>
      ) : (
        ''
      )}
      <h2>Inputs</h2>
      <div class="scroll" tabindex={0} role="region" aria-label="Inputs">
        <table>
          {Object.entries(j.inputs).map(([k, v]) => (
            <Row k={k} v={v.length > 300 ? `${v.slice(0, 300)}…` : v} />
          ))}
        </table>
      </div>
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
      <Tail name="jobdir.log" text={j.log} />
      <Tail name="stdout.txt" text={j.stdout} />
      <Tail name="stderr.txt" text={j.stderr} />
    </Layout>,
  );
}
