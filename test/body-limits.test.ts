/**
 * Every route's request body is bounded, over a real listening server: each state-changing
 * route hono has registered states a limit, answers a Content-Length over it with 413
 * before reading, and stops a chunked body the moment it passes it. The public routes
 * that used to read any size (my-jobs, cancel) and the API's submission limit, each
 * with a request that the old code read whole and acted on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { maxSubmissionBytes } from '../src/service/validate.js';
import { browserView, FIXTURE_SERVICE, idsIn, waitFor } from './helpers.js';
import { rawRequest } from './http-raw.js';
import { ADMIN_AUTH, startTestServer, type TestServer } from './server.js';

/** Far more than any kernel and stream buffers hold: an answer before all of it was written means the server did not read it. */
const FLOOD = 32 * 1024 * 1024;
const FORM = 'application/x-www-form-urlencoded';

describe('request bodies are bounded on every route', () => {
  let svc: TestServer;
  let id: string;
  before(async () => {
    svc = await startTestServer({ general: { service: FIXTURE_SERVICE } }, { admin: true });
    // A running job, for the cancel routes to (not) cancel.
    const res = await fetch(`${svc.url}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'sleep', seconds: '300' }),
    });
    id = ((await res.json()) as { id: string }).id;
    await waitFor(
      async () => (await idsIn(svc.root, 'running')).includes(id),
      15_000,
      'the job running',
    );
  });
  after(async () => {
    await svc.backend!.cancel(id, 'the test').catch(() => {});
    await svc.close();
  });

  /** A browser's CSRF cookie and token, from the form page. */
  const browser = async () => browserView(await fetch(`${svc.url}/`));

  test('each POST/PUT/PATCH/DELETE route states a limit and refuses a body over it (413, Connection: close) before reading it, by length and while chunked', async () => {
    const routes = new Map<string, number | undefined>();
    for (const r of svc.app.routes) {
      if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method)) continue;
      const key = `${r.method} ${r.path}`;
      // A sub-app with its own onError (the Job Dispatcher's) has its handlers wrapped by hono; the limit is on the one inside.
      const h = r.handler as { maxBytes?: unknown; __COMPOSED_HANDLER?: { maxBytes?: unknown } };
      const limit = h.maxBytes ?? h.__COMPOSED_HANDLER?.maxBytes;
      routes.set(key, typeof limit === 'number' ? limit : routes.get(key));
    }
    for (const known of [
      'POST /jobs',
      'POST /jobs/:id/cancel',
      'POST /my-jobs',
      'POST /api/jobs',
      'POST /api/jobs/:id/cancel',
      'POST /api/my-jobs',
      'POST /admin/jobs/:id/:action',
    ]) {
      assert.ok(
        routes.has(known),
        `${known} is among the routes walked (${[...routes.keys()].join(', ')})`,
      );
    }
    for (const [key, limit] of routes) {
      assert.equal(typeof limit, 'number', `${key} states no body limit`);
      const [method, pattern] = key.split(' ') as [string, string];
      // An unknown id: the limit comes before any lookup, and nothing under the limit acts on a job.
      const path = pattern
        .replace(/:id\b/, 'bcdfghjkmnpq')
        .replace(/:action\b/, 'cancel')
        .replace(/:(type|tool)\b/, svc.service.jobTypes[0]!.name)
        .replace(/:\w+/g, 'x');
      const headers = {
        'Content-Type': path.startsWith('/api/') ? 'application/json' : FORM,
        Authorization: ADMIN_AUTH,
      };
      for (const chunked of [false, true]) {
        const res = await rawRequest(svc.url, {
          method,
          path,
          headers,
          bodyBytes: limit! + FLOOD,
          chunked,
        });
        const how = `${key} with ${limit! + FLOOD} bytes ${chunked ? 'chunked' : 'by Content-Length'}`;
        assert.equal(res.status, 413, `${how}: ${res.status} ${res.body.slice(0, 200)}`);
        assert.equal(res.headers.connection, 'close', how);
        assert.ok(
          res.wrote < res.total,
          `${how}: answered only after all ${res.wrote} bytes were sent`,
        );
      }
      // Just under the limit is read (whatever the route then makes of it): the limit is the one stated.
      if (limit! <= 64 * 1024) {
        const under = await rawRequest(svc.url, { method, path, headers, bodyBytes: limit! - 10 });
        assert.notEqual(under.status, 413, `${key} refused ${limit! - 10} bytes`);
      }
    }
  });

  test('POST /my-jobs, POST /api/my-jobs and POST /jobs/:id/cancel refuse a big body (413) instead of reading it whole and acting on it', async () => {
    const b = await browser();
    const form = { 'Content-Type': FORM, Cookie: b.cookie };
    for (const chunked of [false, true]) {
      const myJobs = await rawRequest(svc.url, {
        path: '/my-jobs',
        headers: form,
        prefix: `csrf=${b.csrf}&email=a%40example.test&pad=`,
        bodyBytes: FLOOD,
        chunked,
      });
      assert.equal(myJobs.status, 413, myJobs.body.slice(0, 300));
      assert.ok(myJobs.wrote < myJobs.total, 'my-jobs answered before the body was all sent');
      // Valid JSON: an address and a lot of white space.
      const api = await rawRequest(svc.url, {
        path: '/api/my-jobs',
        headers: { 'Content-Type': 'application/json' },
        prefix: '{"email":"a@example.test"',
        bodyBytes: FLOOD,
        fill: 0x20,
        suffix: '}',
        chunked,
      });
      assert.equal(api.status, 413, api.body.slice(0, 300));
      assert.equal((JSON.parse(api.body) as { error: { code: string } }).error.code, 'too_large');
      const cancel = await rawRequest(svc.url, {
        path: `/jobs/${id}/cancel`,
        headers: form,
        prefix: `csrf=${b.csrf}&pad=`,
        bodyBytes: FLOOD,
        chunked,
      });
      assert.equal(cancel.status, 413, cancel.body.slice(0, 300));
      assert.match(cancel.body, /larger than this/);
    }
    assert.deepEqual(
      (await idsIn(svc.root, 'running')).filter((x) => x === id),
      [id],
      'the job was not cancelled',
    );
  });

  test("POST /api/jobs applies the job type's derived limit (as POST /jobs does), not [web] max_body", async () => {
    const derived = maxSubmissionBytes(svc.service);
    assert.ok(derived + FLOOD < svc.cfg.web.maxBodyBytes, 'the body below is under max_body');
    const jobs = async () =>
      (
        await Promise.all(
          ['incoming', 'running', 'completed', 'failed'].map((s) => idsIn(svc.root, s)),
        )
      ).flat().length;
    const before = await jobs();
    // A valid submission padded with white space far past the derived limit, yet under max_body.
    const res = await rawRequest(svc.url, {
      path: '/api/jobs',
      headers: { 'Content-Type': 'application/json' },
      prefix: '{"type":"ok","text":"hi"',
      bodyBytes: derived + FLOOD,
      fill: 0x20,
      suffix: '}',
    });
    assert.equal(res.status, 413, res.body.slice(0, 300));
    assert.ok(res.wrote < res.total, 'answered before the body was all sent');
    assert.equal(await jobs(), before, 'no job was made');
    const form = await rawRequest(svc.url, {
      path: '/jobs',
      headers: { 'Content-Type': FORM },
      prefix: 'type=ok&text=hi&pad=',
      bodyBytes: 2 * derived,
    });
    assert.equal(form.status, 413);
    const small = await rawRequest(svc.url, {
      path: '/api/jobs',
      headers: { 'Content-Type': 'application/json' },
      prefix: '{"type":"ok","text":"hi"',
      bodyBytes: derived - 100,
      fill: 0x20,
      suffix: '}',
    });
    assert.equal(small.status, 201, small.body.slice(0, 300));
  });
});
