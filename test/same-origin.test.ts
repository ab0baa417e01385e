/**
 * Other sites' pages cannot change anything, over a real server: every state-changing
 * route hono has registered refuses (403) a request a browser marks as cross-site,
 * whatever its encoding, before reading its body; scripts (no Origin, no Sec-Fetch-Site)
 * and this site's own pages keep working, including an older browser's `Origin: null`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { browserView, jobCount } from './helpers.js';
import { ADMIN_AUTH, startTestServer, type TestServer } from './server.js';

const EVIL = 'http://evil.example';

describe('same-origin rules for state-changing requests', () => {
  let svc: TestServer;
  const jobs = () => jobCount(svc.root);
  before(async () => {
    svc = await startTestServer({ web: { miss_limit: '10000/1h' } }, { admin: true });
  });
  after(() => svc.close());

  const fields = { type: 'divide', x: '6', y: '3' };
  const multipart = () => {
    const fd = new FormData();
    for (const [k, v] of Object.entries(fields)) fd.set(k, v);
    return fd;
  };

  test("a form posted to /api/jobs by another site's page is refused (403) and makes no job; the same form from a script or this site is accepted", async () => {
    const n = await jobs();
    const bodies = [() => new URLSearchParams(fields), multipart, () => JSON.stringify(fields)];
    for (const body of bodies) {
      for (const marks of [
        { origin: EVIL },
        { 'sec-fetch-site': 'cross-site' },
        { origin: EVIL, 'sec-fetch-site': 'cross-site' },
        { 'sec-fetch-site': 'same-site' },
        { origin: 'null' },
      ] as Record<string, string>[]) {
        const b = body();
        const headers: Record<string, string> = {
          ...marks,
          ...(typeof b === 'string' ? { 'content-type': 'application/json' } : {}),
        };
        const res = await fetch(`${svc.url}/api/jobs`, { method: 'POST', headers, body: b });
        assert.equal(
          res.status,
          403,
          `${JSON.stringify(marks)} ${b.constructor.name}: ${res.status}`,
        );
        assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'csrf');
      }
    }
    assert.equal(await jobs(), n, 'no job was made');
    // Scripts: curl and EBI's clients send neither header.
    assert.equal(
      (await fetch(`${svc.url}/api/jobs`, { method: 'POST', body: new URLSearchParams(fields) }))
        .status,
      201,
    );
    assert.equal(
      (await fetch(`${svc.url}/api/jobs`, { method: 'POST', body: multipart() })).status,
      201,
    );
    assert.equal(
      (
        await fetch(`${svc.url}/api/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(fields),
        })
      ).status,
      201,
    );
    // This site's own pages.
    assert.equal(
      (
        await fetch(`${svc.url}/api/jobs`, {
          method: 'POST',
          headers: { 'sec-fetch-site': 'same-origin' },
          body: new URLSearchParams(fields),
        })
      ).status,
      201,
    );
    assert.equal(
      (
        await fetch(`${svc.url}/api/jobs`, {
          method: 'POST',
          headers: { origin: svc.url },
          body: new URLSearchParams(fields),
        })
      ).status,
      201,
    );
    assert.equal(
      (
        await fetch(`${svc.url}/api/jobs`, {
          method: 'POST',
          headers: { origin: svc.cfg.general.urltop },
          body: new URLSearchParams(fields),
        })
      ).status,
      201,
    );
  });

  test('every state-changing route refuses a cross-site request (Origin: evil.example, Sec-Fetch-Site: cross-site) with 403, before its body and any lookup', async () => {
    const { cookie, csrf } = await browserView(await fetch(`${svc.url}/`));
    const id = (
      (await (
        await fetch(`${svc.url}/api/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'divide', x: '1', y: '0' }),
        })
      ).json()) as { id: string }
    ).id;
    const walked = new Set<string>();
    for (const r of svc.app.routes) {
      if (
        !['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method) ||
        walked.has(`${r.method} ${r.path}`)
      )
        continue;
      walked.add(`${r.method} ${r.path}`);
      const path = r.path
        .replace(/:id\b/, id)
        .replace(/:action\b/, 'delete')
        .replace(/:\w+/g, 'x');
      for (const marks of [
        { origin: EVIL, 'sec-fetch-site': 'cross-site' },
        { origin: EVIL },
        { 'sec-fetch-site': 'cross-site' },
      ] as Record<string, string>[]) {
        for (const type of [
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'text/plain',
          'application/json',
          null,
        ]) {
          // Even with this browser's own cookie and token: another site's page cannot have them, but the rule does not lean on that.
          const body =
            type === null
              ? undefined
              : `csrf=${csrf}&confirm=yes&email=a%40example.test&type=divide&x=1&y=2`;
          const res = await fetch(`${svc.url}${path}`, {
            method: r.method,
            redirect: 'manual',
            headers: {
              ...marks,
              cookie,
              authorization: ADMIN_AUTH,
              ...(type ? { 'content-type': type } : {}),
            },
            body,
          });
          assert.equal(
            res.status,
            403,
            `${r.method} ${path} ${JSON.stringify(marks)} ${type}: ${res.status}`,
          );
        }
      }
    }
    assert.ok(walked.size >= 7, [...walked].join(', '));
    // The job the admin "delete" and the cancels named is untouched.
    assert.equal((await fetch(`${svc.url}/api/jobs/${id}`)).status, 200);
  });

  test("this site's own forms still work: with Sec-Fetch-Site: same-origin and Origin: null (Referrer-Policy: no-referrer), and an older browser's bare Origin: null with the CSRF cookie", async () => {
    const { cookie, csrf } = await browserView(await fetch(`${svc.url}/`));
    const post = (headers: Record<string, string>) =>
      fetch(`${svc.url}/jobs`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, ...headers },
        body: new URLSearchParams({ csrf, ...fields }),
      });
    assert.equal((await post({ origin: 'null', 'sec-fetch-site': 'same-origin' })).status, 303);
    assert.equal((await post({ origin: 'null' })).status, 303);
    assert.equal((await post({ origin: svc.url })).status, 303);
    assert.equal((await post({})).status, 303);
    // Origin: null without the cookie: a sandboxed frame of another site.
    const framed = await fetch(`${svc.url}/jobs`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'null' },
      body: new URLSearchParams({ csrf, ...fields }),
    });
    assert.equal(framed.status, 403);
    assert.match(await framed.text(), /another site/);
  });
});
