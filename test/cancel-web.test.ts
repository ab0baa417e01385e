/**
 * The results page's Cancel (POST /jobs/:id/cancel) over real servers: one 404 for
 * unknown and malformed ids, the results page's own; and in split mode (`serve
 * --web-only` beside a backend process) the button works, as the dashboard's does.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { createJob } from '../src/store/index.js';
import {
  browserView,
  type BrowserView,
  FIXTURE_SERVICE,
  idFromRedirect,
  idsIn,
  postFrom,
  submitForm,
  waitFor,
} from './helpers.js';
import { closeAll, serveForTest, startTestServer } from './server.js';

/** A page as a browser keeps it: its cookie and CSRF token, its HTML and status. */
const browser = async (url: string) => browserView(await fetch(url), { anyPage: true });

/** Press Cancel on job `id` with the cookie and token of page `b`. */
const cancel = (base: string, id: string, b: BrowserView) =>
  postFrom(b, `${base}/jobs/${id}/cancel`);

describe('cancelling from the results page', () => {
  test("unknown, malformed and traversal ids all get the results page's 404 body", async () => {
    const svc = await startTestServer({
      general: { service: FIXTURE_SERVICE },
      web: { miss_limit: '10000/1h' },
    });
    try {
      const b = await browser(`${svc.url}/`);
      const page = await fetch(`${svc.url}/jobs/bcdfghjkmnpq`);
      assert.equal(page.status, 404);
      const want = await page.text();
      for (const id of [
        'bcdfghjkmnpq',
        'bcdfghjkmnpqrstvwxyz',
        'short',
        'AAAAAAAAAAAA',
        '..%2f..%2fetc',
        'x'.repeat(300),
      ]) {
        const res = await cancel(svc.url, id, b);
        assert.equal(res.status, 404, id);
        assert.equal(await res.text(), want, `the 404 for ${id}`);
      }
    } finally {
      await svc.close();
    }
  });

  test('with `serve --web-only` beside a backend process, Cancel stops a running job and a queued one (303, never 500), and the page offers it', async () => {
    const full = await startTestServer({
      general: { service: FIXTURE_SERVICE },
      limits: { running: 1 },
    });
    const { root } = full;
    const web = await serveForTest(full.configFile, { webOnly: true });
    try {
      const running = idFromRedirect(await submitForm(web.url, { type: 'sleep', seconds: '300' }));
      await waitFor(
        async () => (await idsIn(root, 'running')).includes(running),
        15_000,
        'running',
      );
      const queued = idFromRedirect(await submitForm(web.url, { type: 'sleep', seconds: '300' }));
      for (const id of [running, queued]) {
        const b = await browser(`${web.url}/jobs/${id}`);
        assert.match(b.html, new RegExp(`action="/jobs/${id}/cancel"`), 'the page shows Cancel');
        const res = await cancel(web.url, id, b);
        assert.equal(res.status, 303, `${id}: ${res.status} ${await res.text()}`);
        assert.equal(res.headers.get('location'), `/jobs/${id}`);
      }
      await waitFor(
        async () =>
          (await idsIn(root, 'failed')).includes(running) &&
          (await idsIn(root, 'failed')).includes(queued),
        20_000,
        'both cancelled',
      );
      for (const id of [running, queued])
        assert.match(
          await fs.readFile(join(root, 'jobs/failed', id, 'config.ini'), 'utf8'),
          /cancelled \(by the user\)/,
        );
      // The API's cancel in the web-only process takes the same path.
      const third = idFromRedirect(await submitForm(web.url, { type: 'sleep', seconds: '300' }));
      await waitFor(
        async () => (await idsIn(root, 'running')).includes(third),
        15_000,
        'third running',
      );
      assert.equal(
        (await fetch(`${web.url}/api/jobs/${third}/cancel`, { method: 'POST' })).status,
        202,
      );
      await waitFor(
        async () => (await idsIn(root, 'failed')).includes(third),
        20_000,
        'third cancelled',
      );
      // An ended job: no button, and a cancel is a 409 that says why.
      const ended = await browser(`${web.url}/jobs/${third}`);
      assert.doesNotMatch(ended.html, /\/cancel"/);
      const again = await cancel(web.url, third, await browser(`${web.url}/`));
      assert.equal(again.status, 409);
      assert.match(await again.text(), /already ended/);
    } finally {
      await closeAll(web, full);
    }
  });

  test("a web-only process that may not change the job's folder shows no Cancel and answers 503 with the reason", async (t) => {
    const web = await startTestServer({ general: { service: FIXTURE_SERVICE } }, { webOnly: true });
    const { root } = web;
    const ref = await createJob(web.store, {
      service: 'fixtures',
      type: 'sleep',
      email: '',
      inputs: { seconds: '300' },
    });
    // Root may write anywhere; an immutable folder is refused even to root (ext4, xfs, btrfs).
    if (spawnSync('chattr', ['+i', ref.dir]).status !== 0) {
      await web.close();
      return t.skip('chattr +i is not available here');
    }
    try {
      const b = await browser(`${web.url}/jobs/${ref.id}`);
      assert.equal(b.status, 200);
      assert.match(b.html, /incoming|queued/i);
      assert.doesNotMatch(b.html, /\/cancel"/, 'no Cancel button');
      const res = await cancel(web.url, ref.id, await browser(`${web.url}/`));
      assert.equal(res.status, 503);
      assert.match(await res.text(), /Cancelling is not available from this web server/);
      assert.deepEqual(await idsIn(root, 'incoming'), [ref.id], 'the job is where it was');
    } finally {
      spawnSync('chattr', ['-i', ref.dir]);
      await web.close();
    }
  });
});
