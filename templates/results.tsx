/** @jsxRuntime automatic @jsxImportSource jobdir */
/** The body of the results page (JSX): state, progress, result or failure, files, times, parameters, related jobs. */
import type { JobPageExtras, JobPageView } from './views.js';
import { under } from '../src/config/urltop.js';
import { Parameters, Times } from './job-facts.js';
import { formatElapsed } from './time.js';
import { stateWord } from './words.js';

type View = JobPageView & JobPageExtras;

/** Where the job is, in a sentence, while it is not done; and that the page reloads itself. */
function Waiting({ v }: { v: View }) {
  const where =
    v.queuePosition !== null
      ? `Your job is queued${v.queuePosition > 0 ? ` (${v.queuePosition} ahead of it)` : ''}.`
      : v.stateWord === 'starting'
        ? 'Your job is starting.'
        : v.stateWord === 'finishing'
          ? 'Your job has run; its results are being gathered.'
          : `Your job is running${v.ran !== null ? ` (for ${formatElapsed(v.ran)} so far)` : ''}.`;
  return (
    <p id="waiting" data-refresh={v.refresh}>
      {where} <span id="reloads">This page reloads itself every {v.refresh} s</span>; you can also
      bookmark it and come back later.
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

/** Why the job did not complete, and what to do about it. */
function Failure({ v }: { v: View }) {
  if (v.cancelled)
    return (
      <div class="box" id="failure">
        <p>{v.failure || 'The job was cancelled.'}</p>
      </div>
    );
  return (
    <div class="box err" id="failure" role="alert">
      <p>The job did not complete.</p>
      <pre>{v.failure}</pre>
      <p class="help" id="advice">
        If this looks like a problem with the service rather than your input,{' '}
        {v.mailed
          ? 'reply to the email you received about this job'
          : 'contact the administrator of this service'}{' '}
        and give the job id {v.id}.
      </p>
    </div>
  );
}

/** Everything under the page's title bar; a service's result HTML is inserted as it rendered it. */
export function ResultsBody({ v, base }: { v: View; base: string }) {
  return (
    <>
      <h1>
        {v.typeTitle}: job {v.id}
      </h1>
      <p>
        State:{' '}
        <span class={`state ${v.stateWord}`} id="state" data-state={v.state}>
          {v.stateWord}
        </span>
      </p>
      {v.refresh !== null ? <Waiting v={v} /> : ''}
      {v.progress && v.stateWord !== 'starting' && v.stateWord !== 'queued' ? (
        <Progress p={v.progress} />
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
      {v.failure ? <Failure v={v} /> : ''}
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
                <span class={`state ${stateWord(c.state)}`}>{stateWord(c.state)}</span>
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
      <Times v={v} />
      <Parameters v={v} />
    </>
  );
}
