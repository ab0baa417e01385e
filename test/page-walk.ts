/**
 * Every kind of page and answer of the demo service (slowdiv), opened by a Crawler: the form
 * (fresh, re-shown, filled in with an example or an earlier job's parameters) and the pages'
 * script, a submission's redirect, results pages (queued with Cancel, a parent
 * and its waiting child, completed with files), the cancel redirect, downloads, my-jobs (ask,
 * mail, list), the JSON API (submit, status, list, OpenAPI), the Job Dispatcher routes, the
 * admin dashboard, its script and live stream, the admin's job search (a query, a bad one), admin
 * job pages with their files, an action's confirm page and redirect, the 404 and error pages and
 * the mails; then every link they hold is followed.
 */
import assert from 'node:assert/strict';
import type { Crawler, Opened } from './crawl.js';
import { myJobsLink, type SmtpReceiver, waitFor } from './helpers.js';

/** What the walk leaves for its test to check beyond the crawler's lists. */
export interface WalkResult {
  /** Links that answered 404. */
  missing: string[];
  /** Addresses in the mails that are not under urltop. */
  badMailLinks: string[];
}

const idOf = (o: Opened) => /\/jobs\/([a-z]+)$/.exec(o.res.headers.get('location') ?? '')?.[1];

/** Open a server-sent event stream and keep its first `panel` event. */
async function firstEvent(c: Crawler, url: string, auth: Record<string, string>): Promise<void> {
  const ac = new AbortController();
  const res = await fetch(url, { headers: auth, signal: ac.signal });
  assert.equal(res.status, 200, `${url}: ${res.status}`);
  const reader = res.body!.getReader();
  let text = '';
  // Until one whole panel event has come (it may arrive in pieces through a proxy).
  while (!/event: panel\n(data: .*\n)+\n/.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  ac.abort();
  const data = /data: (.*)/.exec(text)?.[1] ?? '{}';
  c.check(url, res, (JSON.parse(data) as { html?: string }).html ?? '');
}

/**
 * Walk the demo service at `c.urltop` ([service] greet_delay of a second or more, so a long
 * greet job is still running when it is cancelled). `smtp` receives its mail; `auth` logs in
 * as its admin; `direct(url)` is where a public URL is fetched from (for the event stream).
 */
export async function walkEveryPageKind(
  c: Crawler,
  smtp: SmtpReceiver,
  auth: Record<string, string>,
  direct: (url: string) => string = (u) => u,
): Promise<WalkResult> {
  const email = `walker${Math.random().toString(36).slice(2, 8)}@example.test`;
  const form = await c.open(c.at('/'));
  assert.equal(form.res.status, 200, `the form at ${c.at('/')}`);
  assert.match(form.body, /<form method="post"/);
  await c.open(c.urltop);
  await c.open(c.at('/?type=greet'));
  const bad = await c.post(c.at('/jobs'), { type: 'divide', x: 'a', y: '1' }, form);
  assert.equal(bad.res.status, 400);
  const sent = await c.post(c.at('/jobs'), { type: 'divide', x: '6', y: '3', email }, form);
  assert.equal(sent.res.status, 303);
  const done = idOf(sent)!;
  assert.ok(done, `a redirect to the results page: ${sent.res.headers.get('location')}`);

  // A long job and a child waiting for it (the API's `after`): Cancel, parent and children links.
  const api = (body: object) =>
    c.open(c.at('/api/jobs'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const long = await api({ type: 'greet', name: 'Bo', steps: '100' });
  assert.equal(long.res.status, 201, long.body);
  const longId = (JSON.parse(long.body) as { id: string }).id;
  assert.equal(long.res.headers.get('location'), c.at(`/api/jobs/${longId}`).replace(c.origin, ''));
  const child = await api({ type: 'divide', x: '1', y: '1', after: longId });
  assert.equal(child.res.status, 201, child.body);
  const childId = (JSON.parse(child.body) as { id: string }).id;
  const longPage = await c.open(c.at(`/jobs/${longId}`));
  assert.match(longPage.body, /Cancel this job/);
  assert.match(longPage.body, new RegExp(`href="[^"]*/jobs/${childId}"`));
  await c.open(c.at(`/jobs/${childId}`));
  await c.open(c.at(`/api/jobs/${longId}`));

  await waitFor(
    async () =>
      ((await (await fetch(direct(c.at(`/api/jobs/${done}`)))).json()) as { state: string })
        .state === 'completed',
    30_000,
    'the division completed',
  );
  const result = await c.open(c.at(`/jobs/${done}`));
  assert.match(result.body, /6 \/ 3 = 2/);
  assert.match(result.body, /stdout\.txt/);
  // Run again (the form filled in from the job), the type's example, the pages' script.
  assert.ok(
    result.body.includes(`href="${c.prefix}/?type=divide&amp;from=${done}"`),
    'the results page links to the form filled in with its parameters',
  );
  const rerun = await c.open(c.at(`/?type=divide&from=${done}`));
  assert.match(rerun.body, /value="6"/);
  assert.equal((await c.open(c.at('/?from=bcdfghjkmnpq'))).res.status, 404);
  const example = await c.open(c.at('/?type=divide&example'));
  assert.match(example.body, /value="355"/);
  const script = await c.open(c.at('/assets/pages.js'));
  assert.equal(script.res.status, 200);
  assert.ok(
    form.body.includes(`<script src="${c.prefix}/assets/pages.js"`),
    'the pages load their script under the prefix',
  );
  await c.open(c.at(`/api/jobs/${done}`));
  const cancelled = await c.post(c.at(`/jobs/${longId}/cancel`), {}, longPage);
  assert.equal(cancelled.res.status, 303, cancelled.body);

  // My jobs: ask for the link, open the one mailed.
  const ask = await c.open(c.at('/my-jobs'));
  assert.equal((await c.post(c.at('/my-jobs'), { email }, ask)).res.status, 200);
  const myJobs = await myJobsLink(smtp, email);
  await c.open(myJobs);
  const token = myJobs.split('/').pop()!;
  await c.open(c.at(`/api/jobs?token=${token}`));
  const badMailLinks = smtp.messages
    .flatMap((m) => (m.text ?? '').match(/https?:\/\/\S+/g) ?? [])
    .filter((u) => !u.startsWith(`${c.urltop}/`));

  const openapi = await c.open(c.at('/api/openapi.json'));
  assert.deepEqual((JSON.parse(openapi.body) as { servers: unknown }).servers, [{ url: c.urltop }]);

  // EBI's Job Dispatcher routes (a script: no browser headers).
  const run = await c.open(c.at('/jdispatcher/divide/run'), {
    method: 'POST',
    body: new URLSearchParams({ x: '8', y: '2' }),
  });
  assert.equal(run.res.status, 200, run.body);
  await waitFor(
    async () =>
      (await (await fetch(direct(c.at(`/jdispatcher/divide/status/${run.body}`)))).text()) ===
      'FINISHED',
    30_000,
    'the Job Dispatcher job finished',
  );
  await c.open(c.at(`/jdispatcher/divide/resulttypes/${run.body}`));
  const out = await c.open(c.at(`/jdispatcher/divide/result/${run.body}/out`));
  assert.match(out.body, /answer is: 4/);
  const nowhere = await c.open(c.at('/jdispatcher/nothing-here'));
  assert.equal(nowhere.res.status, 404);
  assert.ok(
    nowhere.body.includes(`Try ${c.prefix}/jdispatcher/divide/parameters`),
    `the Job Dispatcher 404 names its routes under the prefix: ${nowhere.body}`,
  );

  // The dashboard, its live stream, a job page and an action (confirm, then redirect).
  const dash = await c.open(c.at('/admin'));
  assert.equal(dash.res.status, 200);
  await firstEvent(c, c.at('/admin/events'), auth);
  await waitFor(
    async () =>
      ((await (await fetch(direct(c.at(`/api/jobs/${childId}`)))).json()) as { state: string })
        .state === 'failed',
    30_000,
    'the child failed with its cancelled parent',
  );
  const adminJob = await c.open(c.at(`/admin/jobs/${childId}`));
  assert.match(adminJob.body, /Resubmit/);
  const confirm = await c.post(c.at(`/admin/jobs/${childId}/resubmit`), {}, adminJob);
  assert.equal(confirm.res.status, 200);
  const again = await c.post(c.at(`/admin/jobs/${childId}/resubmit`), { confirm: 'yes' }, confirm);
  assert.equal(again.res.status, 303);
  await c.open(c.at(`/admin?done=resubmit&job=${childId}`));

  // The search (every job, a query, a bad one) and the richer job page (parameters, log, files).
  const all = await c.open(c.at('/admin/jobs'));
  assert.equal(all.res.status, 200);
  assert.ok(all.body.includes(`/admin/jobs/${done}"`), 'the search lists the division');
  const hits = await c.open(
    c.at(`/admin/jobs?q=${encodeURIComponent(`state:completed id:${done}`)}`),
  );
  assert.match(hits.body, /1 job matches/);
  assert.equal((await c.open(c.at('/admin/jobs?q=stat:x'))).res.status, 400);
  // A page past the last links back to the last (the pager's kind of address).
  assert.match((await c.open(c.at('/admin/jobs?q=&page=9'))).body, /is past the last/);
  const donePage = await c.open(c.at(`/admin/jobs/${done}`));
  assert.match(donePage.body, /<table id="files">/);
  const file = await c.open(c.at(`/admin/jobs/${done}/files/config.ini`));
  assert.equal(file.res.status, 200);

  // Error pages: no such page, no such job.
  assert.equal((await c.open(c.at('/no/such/page'))).res.status, 404);
  assert.equal((await c.open(c.at('/jobs/bcdfghjkmnpq'))).res.status, 404);

  const missing = await c.crawl((u) => u.endsWith('/admin/events'));
  return { missing, badMailLinks };
}
