import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { browserView, idsIn } from './helpers.js';
import { startTestServer, type TestServer } from './server.js';

/** Everything under root that is not a folder of the store. */
async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) out.push(...(await walk(p)));
  }
  return out;
}

describe('bad input gets a clear 4xx and leaves nothing behind (app.request, no socket)', () => {
  let svc: TestServer;
  let cookie = '';
  let csrf = '';
  before(async () => {
    svc = await startTestServer();
    ({ cookie, csrf } = await browserView(await svc.app.request('/')));
  });
  after(() => svc.close());
  const post = (body: BodyInit | null, type = 'application/x-www-form-urlencoded') =>
    svc.app.request('/jobs', {
      method: 'POST',
      headers: { cookie, ...(body === null ? {} : { 'content-type': type }) },
      body,
    });
  const form = (fields: Record<string, string>) =>
    post(new URLSearchParams({ csrf, type: 'divide', ...fields }));

  test('each bad field is named beside the input, the values are kept, and no job appears', async () => {
    const before = await walk(join(svc.root, 'jobs'));
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ x: '1.5', y: '2' }, 'x', /whole number/],
      [{ x: '', y: '2' }, 'x', /is required/],
      [{ x: '1', y: 'two' }, 'y', /whole number/],
      [{ x: '1', y: '2', email: 'not an email' }, 'email', /not a valid email/],
      [
        { x: '1', y: '2', email: 'a@b.test\r\nBcc: victim@evil.test' },
        'email',
        /not a valid email/,
      ],
      [{ x: '1'.repeat(1_000_000), y: '2' }, 'x', /whole number/],
      [{ x: '1', y: '2', z: '3' }, 'z', /not a parameter/],
      [{ x: '1\u00002', y: '2' }, 'x', /whole number|NUL/],
    ];
    for (const [fields, field, rule] of cases) {
      const res = await form(fields);
      assert.equal(res.status, 400, `${JSON.stringify(fields).slice(0, 80)} → ${res.status}`);
      const page = await res.text();
      // A field of the form gets its message beside it; an unknown one in the summary on top.
      const m =
        new RegExp(`id="${field}-err"[^>]*>([^<]*)<`).exec(page) ??
        new RegExp(`<li>${field}: ([^<]*)<`).exec(page);
      assert.ok(m, `a message beside ${field}`);
      assert.match(m[1]!, rule);
      if (fields.x && fields.x.length < 100 && !fields.x.includes('\0'))
        assert.ok(page.includes(`value="${fields.x}"`), 'value re-shown');
    }
    assert.deepEqual(await walk(join(svc.root, 'jobs')), before);
  });

  test('a POST with no body, or a form with no CSRF token, is refused without a 500', async () => {
    const empty = await post(null);
    assert.ok(empty.status >= 400 && empty.status < 500, `empty body → ${empty.status}`);
    const noToken = await svc.app.request('/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'type=divide&x=1&y=2',
    });
    assert.equal(noToken.status, 403);
    assert.match(await noToken.text(), /Reload the form/);
    const garbage = await post('\u0000\u0001\u0002%%%&&&===', 'application/x-www-form-urlencoded');
    assert.ok(garbage.status >= 400 && garbage.status < 500);
    assert.deepEqual(await idsIn(svc.root, 'incoming'), []);
  });

  test('ids that are not ids — ../, %2e, NUL, uppercase, too short — are plain 404 pages, as unknown ids are', async () => {
    const unknown = await svc.app.request('/jobs/bcdfghjkmnpq');
    assert.equal(unknown.status, 404);
    const body404 = await unknown.text();
    for (const path of [
      '/jobs/..%2f..%2fetc%2fpasswd',
      '/jobs/BCDFGHJKMNPQ',
      '/jobs/bcdf%00ghjkmnpq',
      '/jobs/bcd',
      '/jobs/bcdfghjkmnpq/files/..%2fconfig.ini',
      '/jobs/bcdfghjkmnpq/files/%2e%2e%2f%2e%2e%2fweb-secret',
    ]) {
      const res = await svc.app.request(path);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(await res.text(), /root:|\[settings\]/);
    }
    assert.match(body404, /Not found/);
    // A URL parser folds /jobs/%2e%2e into / (the WHATWG URL rules, which the server's
    // adapter applies too): such a path lands on the form or a 404, never on a file.
    const secret = (await fs.readFile(join(svc.root, 'jobs/web-secret'), 'utf8')).trim();
    for (const path of [
      '/jobs/%2e%2e',
      '/jobs/%2E%2e/files/config.ini',
      '/jobs/..',
      '/jobs/bcdfghjkmnpq/files/%2e%2e',
    ]) {
      const [status, body] = await new Promise<[number, string]>((resolve, reject) => {
        const req = http.request(`${svc.url}${path}`, { path }, (res) => {
          let b = '';
          res.on('data', (d: Buffer) => void (b += d.toString()));
          res.on('end', () => resolve([res.statusCode!, b]));
        });
        req.on('error', reject);
        req.end();
      });
      assert.ok(
        status === 404 || (status === 200 && body.includes('<form method="post" action="/jobs"')),
        `raw ${path} → ${status}`,
      );
      assert.ok(
        !body.includes(secret) && !body.includes('[settings]'),
        `raw ${path} leaks nothing`,
      );
    }
  });
});
