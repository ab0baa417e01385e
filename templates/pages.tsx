/** @jsxRuntime automatic @jsxImportSource jobdir */
/** The results page and the error page (JSX). */
import { Layout } from './layout.js';
import { ResultsBody } from './results.js';
import type { Frame, JobPageExtras, JobPageView } from './views.js';
import { under } from '../src/config/urltop.js';

/** The results page: waiting (refreshes itself), done (result and files) or failed (why). */
export function resultsPage(f: Frame, v: JobPageView & JobPageExtras): string {
  return String(
    <Layout frame={{ ...f, title: `Job ${v.id}`, refresh: v.refresh ?? undefined }}>
      <ResultsBody v={v} base={f.base} />
    </Layout>,
  );
}

/** The title of an error page for an HTTP status. */
function errorTitle(status: number): string {
  if (status === 404) return 'Not found';
  if (status === 410) return 'Results no longer available';
  return status >= 500 ? 'Service problem' : 'Request not accepted';
}

/** An error page that says what happened and what to do next. */
export function errorPage(f: Frame, status: number, message: string, next: string): string {
  const title = errorTitle(status);
  return String(
    <Layout frame={{ ...f, title }}>
      <h1>{title}</h1>
      <p id="message">{message}</p>
      <p>{next}</p>
      <p>
        <a href={under(f.base, '/')}>Submit a new job</a>
      </p>
    </Layout>,
  );
}
