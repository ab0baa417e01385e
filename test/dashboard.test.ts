/** The admin dashboard, /healthz, /metrics, the census behind them, and the request log. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config/index.js';
import { activity, HOUR } from '../src/metrics/activity.js';
import { STATES } from '../src/states.js';
import { createCensus, createJob, openStore } from '../src/store/index.js';
import {
  browserView,
  FIXTURE_SERVICE,
  idsIn,
  submitForm,
  idFromRedirect,
  tempDir,
  waitFor,
  writeConfig,
  JOBDIR_BIN,
} from './helpers.js';
import { placeJob } from './place.js';
import { ADMIN_AUTH, closeAll, serveForTest, startTestServer, type TestServer } from './server.js';

const ADMIN = { authorization: ADMIN_AUTH };

describe('dashboard, health and metrics of a running service', () => {
  let svc: TestServer;
  const lines: Record<string, unknown>[] = [];
  let okId = '';
  let failedId = '';

  before(async () => {
    svc = await startTestServer(
      { general: { service: FIXTURE_SERVICE } },
      { admin: true, log: (event, fields) => void lines.push({ event, ...fields }) },
    );
    okId = idFromRedirect(await submitForm(svc.url, { type: 'ok', text: 'hi' }));
    failedId = idFromRedirect(await submitForm(svc.url, { type: 'exit1' }));
    await waitFor(
      async () =>
        (await idsIn(svc.root, 'completed')).includes(okId) &&
        (await idsIn(svc.root, 'failed')).includes(failedId),
      20_000,
      'both jobs ended',
    );
  });
  after(() => svc.close());

  /** GET an admin page with the credentials, as a browser keeps it. */
  const adminGet = async (path: string) =>
    browserView(await fetch(`${svc.url}${path}`, { headers: ADMIN }));
  const adminPost = (path: string, cookie: string, form: Record<string, string>) =>
    fetch(`${svc.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...ADMIN, cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });

  test('/healthz is 200 with the backend alive, the state file healthy and the free disk of the state folders (no paths: it is public)', async () => {
    const res = await fetch(`${svc.url}/healthz`);
    assert.equal(res.status, 200);
    const body = await res.text();
    assert.ok(!body.includes(svc.root), 'no server path in a public answer');
    const h = JSON.parse(body) as {
      ok: boolean;
      backend: { alive: boolean; pid: number };
      stateFile: { ok: boolean; state: string };
      disks: { freeBytes: number; states: string[] }[];
    };
    assert.equal(h.ok, true);
    assert.equal(h.backend.alive, true);
    assert.equal(h.backend.pid, process.pid);
    assert.deepEqual([h.stateFile.ok, h.stateFile.state], [true, 'running']);
    assert.ok(h.disks.length >= 1 && h.disks[0]!.freeBytes > 0);
    assert.deepEqual(h.disks.flatMap((d) => d.states).sort(), Object.values(STATES).sort());
  });

  test('/metrics speaks the Prometheus text format: jobs by state, counters and histograms by job type', async () => {
    await waitFor(
      async () =>
        /jobdir_job_run_seconds_count\{type="exit1"\} 1/.test(
          await (await fetch(`${svc.url}/metrics`)).text(),
        ),
      10_000,
      'histograms filled',
    );
    const res = await fetch(`${svc.url}/metrics`);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const line of text.trimEnd().split('\n')) {
      assert.match(
        line,
        /^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{([a-z_]+="[^"]*",?)+\})? -?[0-9.e+]+|[a-z_]+(\{[^}]*\})? \+Inf)$/,
        line,
      );
    }
    assert.match(text, /^jobdir_jobs\{state="completed"\} 1$/m);
    assert.match(text, /^jobdir_jobs\{state="failed"\} 1$/m);
    assert.match(text, /^jobdir_jobs_submitted_total\{type="ok"\} 1$/m);
    assert.match(text, /^jobdir_jobs_completed_total\{type="ok"\} 1$/m);
    assert.match(text, /^jobdir_jobs_failed_total\{type="exit1"\} 1$/m);
    assert.match(text, /^jobdir_jobs_failed_total\{type="hang"\} 0$/m);
    assert.match(text, /^# TYPE jobdir_job_run_seconds histogram$/m);
    assert.match(text, /^jobdir_job_run_seconds_bucket\{type="ok",le="\+Inf"\} 1$/m);
    assert.match(text, /^jobdir_job_queue_wait_seconds_count\{type="ok"\} 1$/m);
    assert.match(text, /^jobdir_backend_up 1$/m);
    assert.ok(!text.includes(svc.root), 'no server path in a public answer');
  });

  test('/admin needs the credentials and shows counts, the failure with its error, and a resubmit button', async () => {
    assert.equal((await fetch(`${svc.url}/admin`)).status, 401);
    const { status, html: text } = await adminGet('/admin');
    assert.equal(status, 200);
    assert.match(text, /<li id="count-completed"><b>1<\/b>completed<\/li>/);
    assert.match(
      text,
      new RegExp(
        `<tr id="failed-${failedId}">[\\s\\S]*?The program stopped with an error[\\s\\S]*?id="resubmit-${failedId}"`,
      ),
    );
    assert.match(text, /<script src="\/admin\/live\.js" defer(="")?><\/script>/);
    assert.match(text, /<div id="live" aria-live="off" data-events="\/admin\/events">/);
    assert.doesNotMatch(text, /<script>/, 'no inline script (the CSP forbids it)');
    assert.match(text, /<svg viewBox="[^"]+" role="img" aria-label="Last 24 hours/);
    const js = await fetch(`${svc.url}/admin/live.js`, { headers: ADMIN });
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    // It listens where the panel says (data-events: /admin/events under the service's prefix).
    assert.match(await js.text(), /getAttribute\('data-events'\)[\s\S]*new EventSource\(events\)/);
  });

  test('/admin/events streams the panel as server-sent events', async () => {
    const ac = new AbortController();
    const res = await fetch(`${svc.url}/admin/events`, { headers: ADMIN, signal: ac.signal });
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = res.body!.getReader();
    let got = '';
    while (!/\n\n/.test(got)) got += new TextDecoder().decode((await reader.read()).value);
    ac.abort();
    assert.match(got, /^event: panel\ndata: \{"html":".*count-completed/);
  });

  test('an admin action asks for confirmation first, refuses a post without the CSRF token, then acts', async () => {
    const { cookie, csrf } = await adminGet('/admin');
    const ask = await adminPost(`/admin/jobs/${failedId}/resubmit`, cookie, { csrf });
    assert.equal(ask.status, 200);
    assert.match(
      await ask.text(),
      new RegExp(`Resubmit job ${failedId}\\?[\\s\\S]*name="confirm" value="yes"`),
    );
    assert.ok(
      (await idsIn(svc.root, 'failed')).includes(failedId),
      'nothing done before confirmation',
    );
    const forged = await adminPost(`/admin/jobs/${failedId}/resubmit`, cookie, { confirm: 'yes' });
    assert.equal(forged.status, 403);
    await forged.text();
    const done = await adminPost(`/admin/jobs/${failedId}/resubmit`, cookie, {
      csrf,
      confirm: 'yes',
    });
    assert.equal(done.status, 303);
    assert.equal(done.headers.get('location'), `/admin?done=resubmit&job=${failedId}`);
    // exit1 fails again; the history keeps the first failure.
    await waitFor(
      async () => (await idsIn(svc.root, 'failed')).includes(failedId),
      20_000,
      'failed again',
    );
    const page = await adminGet(`/admin/jobs/${failedId}`);
    assert.match(page.html, /resubmitted by the administrator; before: failed/);
    assert.ok(
      lines.some((l) => l.event === 'admin_action' && l.job === failedId && l.user === 'ada'),
    );
    const del = await adminPost(`/admin/jobs/${okId}/delete`, cookie, { csrf, confirm: 'yes' });
    assert.equal(del.status, 303);
    assert.equal((await fetch(`${svc.url}/jobs/${okId}`)).status, 404);
  });

  test('every request is one web_request log line, with the job id when the path names one', async () => {
    await fetch(`${svc.url}/jobs/${failedId}`).then((r) => r.text());
    const line = lines.find((l) => l.event === 'web_request' && l.path === `/jobs/${failedId}`);
    assert.ok(line, 'a web_request line for the results page');
    assert.equal(line.job, failedId);
    assert.equal(line.status, 200);
    assert.equal(typeof line.ms, 'number');
  });

  test("jobdir show ID prints the job's own log", () => {
    const out = spawnSync(
      process.execPath,
      [JOBDIR_BIN, 'show', failedId, '--config', svc.configFile],
      { encoding: 'utf8' },
    );
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /--- jobdir\.log \(end\) ---\n.*"event":"started"/);
    assert.match(out.stdout, /"event":"resubmitted"/);
  });
});

describe('/healthz says what is wrong', () => {
  test("503 when no backend runs (web-only) and when a state folder's disk has less free than min_free_disk", async () => {
    const svc = await startTestServer({ web: { min_free_disk: '1000T' } }, { webOnly: true });
    try {
      const res = await fetch(`${svc.url}/healthz`);
      assert.equal(res.status, 503);
      const h = (await res.json()) as {
        ok: boolean;
        backend: { alive: boolean };
        disks: { ok: boolean }[];
      };
      assert.deepEqual([h.ok, h.backend.alive, h.disks.every((d) => !d.ok)], [false, false, true]);
    } finally {
      await svc.close();
    }
  });
});

describe('split mode: a web-only process beside the backend', () => {
  test("its /healthz sees the other process's backend alive and its dashboard resubmits a failed job that the backend then runs", async () => {
    const full = await startTestServer({ general: { service: FIXTURE_SERVICE } }, { admin: true });
    const { root } = full;
    const web = await serveForTest(full.configFile, { webOnly: true });
    try {
      const id = idFromRedirect(await submitForm(web.url, { type: 'exit1' }));
      await waitFor(async () => (await idsIn(root, 'failed')).includes(id), 20_000, 'failed');
      const h = (await (await fetch(`${web.url}/healthz`)).json()) as {
        ok: boolean;
        backend: { alive: boolean; inProcess: boolean };
      };
      assert.deepEqual([h.ok, h.backend.alive, h.backend.inProcess], [true, true, false]);
      const page = await browserView(await fetch(`${web.url}/admin`, { headers: ADMIN }));
      assert.match(page.html, new RegExp(`id="resubmit-${id}"`));
      const { cookie, csrf } = page;
      const res = await fetch(`${web.url}/admin/jobs/${id}/resubmit`, {
        method: 'POST',
        redirect: 'manual',
        headers: { ...ADMIN, cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf, confirm: 'yes' }),
      });
      assert.equal(res.status, 303);
      // The backend (the other process's) runs it again: exit1 fails again, with one more history line.
      await waitFor(
        async () =>
          (await idsIn(root, 'failed')).includes(id) &&
          /resubmitted/.test(
            await (await fetch(`${web.url}/admin/jobs/${id}`, { headers: ADMIN })).text(),
          ),
        20_000,
        'ran again',
      );
    } finally {
      await closeAll(web, full);
    }
  });
});

describe('the census of job directories', () => {
  test('counts each state with one readdir, times jobs from their directories, and stats a directory only once', async () => {
    const root = tempDir();
    const store = await openStore(loadConfig(await writeConfig(root)));
    const ids: string[] = [];
    for (let i = 0; i < 6; i++)
      ids.push((await createJob(store, { service: 's', type: 't', email: '', inputs: {} })).id);
    await placeJob(store, ids[0]!, STATES.COMPLETED);
    await placeJob(store, ids[1]!, STATES.FAILED);
    await placeJob(store, ids[2]!, STATES.RUNNING);
    const census = createCensus(store);
    const first = await census.snapshot();
    assert.deepEqual(
      [first.counts.incoming, first.counts.running, first.counts.completed, first.counts.failed],
      [3, 1, 1, 1],
    );
    assert.equal(first.statted, 6);
    const now = Date.now();
    for (const s of first.stamps)
      assert.ok(
        s.submitted > now - 60_000 && s.submitted <= now,
        `${s.id} submitted ${s.submitted}`,
      );
    const a = activity(first.stamps, now, HOUR, 24);
    assert.deepEqual([a.submitted.at(-1), a.completed.at(-1), a.failed.at(-1)], [6, 1, 1]);
    assert.equal(
      a.submitted.slice(0, -1).reduce((x, y) => x + y, 0),
      0,
    );

    await placeJob(store, ids[3]!, STATES.COMPLETED);
    const second = await census.snapshot();
    assert.equal(second.statted, 1, 'only the moved job is looked at again');
    assert.deepEqual([second.counts.incoming, second.counts.completed], [2, 2]);
    assert.equal(await census.snapshot(60_000), second, 'a young snapshot is reused');
  });
});
