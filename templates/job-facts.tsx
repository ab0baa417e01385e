/** @jsxRuntime automatic @jsxImportSource jobdir */
/** The facts under a job's results (JSX): when it was submitted, started and ended; its parameters. */
import type { Child } from 'hono/jsx';
import { formatBytes } from './form-fields.js';
import { formatElapsed, LocalTime } from './time.js';
import type { JobPageExtras, JobPageView, ParameterView } from './views.js';

type View = JobPageView & JobPageExtras;

/** One row of the times table: what, then when (or how long). */
function Fact({ k, id, children }: { k: string; id: string; children?: Child }) {
  return (
    <tr>
      <th scope="row">{k}</th>
      <td id={id}>{children}</td>
    </tr>
  );
}

/** Submitted, started (after how long in the queue), ended (after how long a run). */
export function Times({ v }: { v: View }) {
  const running = v.finished === null && v.started !== null;
  return (
    <>
      <h2 id="times-h">Times</h2>
      <table id="times" aria-labelledby="times-h">
        <Fact k="Submitted" id="submitted">
          <LocalTime iso={v.submitted} />
        </Fact>
        {v.started ? (
          <Fact k="Started" id="started">
            <LocalTime iso={v.started} />
            {v.waited !== null ? (
              <span class="aside"> · waited {formatElapsed(v.waited)}</span>
            ) : (
              ''
            )}
          </Fact>
        ) : (
          ''
        )}
        {v.finished ? (
          <Fact k="Ended" id="finished">
            <LocalTime iso={v.finished} />
          </Fact>
        ) : (
          ''
        )}
        {v.ran !== null ? (
          <Fact k={running ? 'Running for' : 'Ran'} id="ran">
            {formatElapsed(v.ran)}
          </Fact>
        ) : (
          ''
        )}
      </table>
    </>
  );
}

/** At most this much of a long text parameter (pasted sequences, say) is shown. */
const SHOW_LINES = 12;
const SHOW_CHARS = 1500;

function Value({ p }: { p: ParameterView }) {
  if (p.file !== undefined) {
    if (!p.file) return <span class="aside">no file</span>;
    return (
      <>
        {p.file.name}
        {p.file.size !== null ? <span class="aside"> ({formatBytes(p.file.size)})</span> : ''}
      </>
    );
  }
  if (p.value === '') return <span class="aside">not given</span>;
  if (!p.multiline) return <>{p.value}</>;
  const lines = p.value.split('\n');
  let head = lines.slice(0, SHOW_LINES).join('\n');
  if (head.length > SHOW_CHARS) head = head.slice(0, SHOW_CHARS);
  const cut = head.length < p.value.length;
  return (
    <>
      <pre class="param">
        {head}
        {cut ? '\n…' : ''}
      </pre>
      {cut ? (
        <span class="aside">
          The first {head.split('\n').length} of {lines.length} lines ({formatBytes(p.value.length)}{' '}
          in all).
        </span>
      ) : (
        ''
      )}
    </>
  );
}

/** Each parameter's label and value, and the link that runs the job again with them. */
export function Parameters({ v }: { v: View }) {
  if (!v.parameters.length) return <></>;
  return (
    <>
      <h2 id="parameters-h">Parameters</h2>
      <table id="parameters" aria-labelledby="parameters-h">
        {v.parameters.map((p) => (
          <tr>
            <th scope="row">{p.label}</th>
            <td>
              <Value p={p} />
            </td>
          </tr>
        ))}
      </table>
      {v.rerunUrl ? (
        <p>
          <a id="rerun" href={v.rerunUrl}>
            Run again with these parameters
          </a>
          {v.uploads.length ? (
            <span class="aside" id="rerun-uploads">
              {' '}
              (uploaded files are not copied: choose {v.uploads.join(', ')} again)
            </span>
          ) : (
            ''
          )}
        </p>
      ) : (
        ''
      )}
    </>
  );
}
