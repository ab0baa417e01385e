/** @jsxRuntime automatic @jsxImportSource jobdir */
/** The body of the results page (JSX): state, progress, result or failure, times, related jobs, files. */
import type { JobPageView } from './views.js';
import { under } from '../src/config/urltop.js';

function Waiting({ v }: { v: JobPageView }) {
  const where =
    v.queuePosition !== null ? (
      <>Your job is queued{v.queuePosition > 0 ? ` (${v.queuePosition} ahead of it)` : ''}.</>
    ) : (
      'Your job is running.'
    );
  return (
    <p id="waiting">
      {where} This page reloads itself every {v.refresh} s; you can also bookmark it and come back
      later.
    </p>
  );
}

function Progress({ p }: { p: NonNullable<JobPageView['progress']> }) {
  const pct = p.fraction === null ? null : Math.round(p.fraction * 100);
  return (
    <div class="box">
      <label for="progress">Progress</label>
      {pct !== null ? (
        <>
          <progress id="progress" max="100" value={pct}>
            {pct}%
          </progress>{' '}
          <span id="percent">{pct}%</span>
        </>
      ) : (
        <progress id="progress"></progress>
      )}{' '}
      <div id="progress-message">{p.message}</div>
    </div>
  );
}

/** Everything under the page's title bar; a service's result HTML is inserted as it rendered it. */
export function ResultsBody({ v, base }: { v: JobPageView; base: string }) {
  return (
    <>
      <h1>
        {v.typeTitle}: job {v.id}
      </h1>
      <p>
        State:{' '}
        <span class={`state ${v.state}`} id="state">
          {v.state}
        </span>
      </p>
      {v.refresh !== null ? <Waiting v={v} /> : ''}
      {v.progress ? <Progress p={v.progress} /> : ''}
      {v.result ? (
        'html' in v.result ? (
          <div class="box" id="result" dangerouslySetInnerHTML={{ __html: v.result.html }}></div>
        ) : (
          <div class="box" id="result">
            <p>{v.result.text}</p>
          </div>
        )
      ) : (
        ''
      )}
      {v.failure ? (
        <div class="box err" id="failure" role="alert">
          <p>The job did not complete.</p>
          <pre>{v.failure}</pre>
          <p class="help">
            If this looks like a problem with the service rather than your input, reply to the email
            or contact the administrator with the job id.
          </p>
        </div>
      ) : (
        ''
      )}
      <table>
        <tr>
          <th>Submitted</th>
          <td>{v.submitted}</td>
        </tr>
        {v.started ? (
          <tr>
            <th>Started</th>
            <td>{v.started}</td>
          </tr>
        ) : (
          ''
        )}
        {v.finished ? (
          <tr>
            <th>Finished</th>
            <td>{v.finished}</td>
          </tr>
        ) : (
          ''
        )}
      </table>
      {v.parent ? (
        <p id="parent">
          Started by job <a href={under(base, `/jobs/${v.parent}`)}>{v.parent}</a>
          {v.waitsForParent ? '; it starts once that job has completed' : ''}.
        </p>
      ) : (
        ''
      )}
      {v.children?.length ? (
        <>
          <h2>Jobs started by this job</h2>
          <ul id="children">
            {v.children.map((c) => (
              <li>
                <a href={under(base, `/jobs/${c.id}`)}>{c.id}</a> {c.type}:{' '}
                <span class={`state ${c.state}`}>{c.state}</span>
              </li>
            ))}
          </ul>
        </>
      ) : (
        ''
      )}
      {v.files.length ? (
        <>
          <h2>Files</h2>
          <ul id="files">
            {v.files.map((file) => (
              <li>
                <a href={file.url} download>
                  {file.name}
                </a>{' '}
                ({file.size} bytes)
              </li>
            ))}
          </ul>
        </>
      ) : (
        ''
      )}
      {v.cancellable ? (
        <form method="post" action={under(base, `/jobs/${v.id}/cancel`)}>
          <input type="hidden" name="csrf" value={v.csrf} />
          <button class="secondary" type="submit">
            Cancel this job
          </button>
        </form>
      ) : (
        ''
      )}
    </>
  );
}
