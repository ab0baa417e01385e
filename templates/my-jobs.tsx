/** @jsxRuntime automatic @jsxImportSource jobdir */
/** The my-jobs pages (JSX): ask for a link by mail, then the list it opens; and that mail. */
import { formatDuration } from '../src/config/duration.js';
import { Layout } from './layout.js';
import { MyJobsTable } from './my-jobs-list.js';
import type { Frame, MyJobRow, MyJobsRequestView } from './views.js';
import { under } from '../src/config/urltop.js';

/** The mail carrying a my-jobs link. */
export function myJobsMail(f: { service: string; url: string; ttlMs: number }): {
  subject: string;
  text: string;
} {
  return {
    subject: `${f.service}: your jobs`,
    text: [
      `Someone (we hope you) asked for a list of your ${f.service} jobs.`,
      '',
      `Your jobs: ${f.url}`,
      '',
      `The link works for ${formatDuration(f.ttlMs)}. Anyone with it can see your jobs, so do not share it.`,
      'If you did not ask for it, you can ignore this message.',
    ].join('\n'),
  };
}

/** Ask for a my-jobs link (email + CSRF), or say that one was sent. */
export function myJobsRequestPage(f: Frame & MyJobsRequestView): string {
  return String(
    <Layout frame={{ ...f, title: 'Your jobs' }}>
      <h1>Your jobs</h1>
      {f.sent ? (
        <p class="box" id="sent" role="status">
          {f.sent}
        </p>
      ) : (
        ''
      )}
      <p>To see every job you submitted with your email address, we send a link to that address.</p>
      <form method="post" action={under(f.base, '/my-jobs')}>
        <input type="hidden" name="csrf" value={f.csrf} />
        <div class="f">
          <label for="email">Email address</label>
          <input
            id="email"
            name="email"
            type="email"
            autocomplete="email"
            required
            value={f.email}
            aria-invalid={f.error ? 'true' : undefined}
            aria-describedby={f.error ? 'email-err' : undefined}
          />
          {f.error ? (
            <div class="err" id="email-err" role="alert">
              {f.error}
            </div>
          ) : (
            ''
          )}
        </div>
        <button type="submit">Send me the link</button>
      </form>
    </Layout>,
  );
}

/** The jobs of one address. */
export function myJobsPage(f: Frame & { email: string; jobs: MyJobRow[] }): string {
  return String(
    <Layout frame={{ ...f, title: 'Your jobs' }}>
      <h1>Jobs of {f.email}</h1>
      <MyJobsTable jobs={f.jobs} base={f.base} />
      <p>
        <a href={under(f.base, '/')}>Submit a new job</a>
      </p>
    </Layout>,
  );
}
