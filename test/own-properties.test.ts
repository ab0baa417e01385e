/**
 * Keys that come from a user are looked up as own properties only: `__proto__`,
 * `constructor` and `toString` are unknown fields exactly like `bogus`, through the JSON
 * API, multipart, the HTML form and the admin actions (a real server).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { browserView, idsIn, jobCount, submitForm, waitFor } from './helpers.js';
import { ADMIN_AUTH, startTestServer, type TestServer } from './server.js';

const BUILT_IN = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];

describe('built-in names are unknown fields, like any other', () => {
  let svc: TestServer;
  const jobs = () => jobCount(svc.root);
  before(async () => {
    svc = await startTestServer({}, { admin: true });
  });
  after(() => svc.close());

  const api = (body: string | FormData) =>
    fetch(`${svc.url}/api/jobs`, {
      method: 'POST',
      ...(typeof body === 'string' ? { headers: { 'content-type': 'application/json' } } : {}),
      body,
    });
  const fieldsOf = async (res: Response) =>
    ((await res.json()) as { error: { code: string; fields: Record<string, string> } }).error;

  test('POST /api/jobs (JSON) refuses each built-in name with 400 and names it, as it does "bogus"', async () => {
    const n = await jobs();
    const bogus = await api('{"type":"divide","x":"6","y":"3","bogus":"y"}');
    assert.equal(bogus.status, 400);
    assert.match((await fieldsOf(bogus)).fields.bogus!, /not/);
    for (const key of BUILT_IN) {
      const res = await api(`{"type":"divide","x":"6","y":"3",${JSON.stringify(key)}:"y"}`);
      assert.equal(res.status, 400, key);
      const e = await fieldsOf(res);
      assert.equal(e.code, 'invalid_input');
      assert.ok(Object.hasOwn(e.fields, key), `${key}: ${JSON.stringify(e.fields)}`);
    }
    // The probe: an object under __proto__ (refused by the body's schema) and a string under toString.
    const probe = await api('{"type":"divide","x":"6","y":"3","__proto__":{},"toString":"y"}');
    assert.equal(probe.status, 400);
    assert.ok(Object.hasOwn((await fieldsOf(probe)).fields, '__proto__'));
    assert.equal(await jobs(), n, 'no job was made');
    assert.equal(({} as Record<string, unknown>).y, undefined, 'nothing was polluted');
  });

  test('multipart to /api/jobs and the HTML form refuse them too', async () => {
    const n = await jobs();
    for (const key of BUILT_IN) {
      const fd = new FormData();
      for (const [k, v] of Object.entries({ type: 'divide', x: '6', y: '3', [key]: 'y' }))
        fd.set(k, v);
      const res = await api(fd);
      assert.equal(res.status, 400, `multipart ${key}`);
      assert.ok(Object.hasOwn((await fieldsOf(res)).fields, key), key);
      const form = await submitForm(svc.url, { type: 'divide', x: '6', y: '3', [key]: 'y' });
      assert.equal(form.status, 400, `form ${key}`);
      assert.match(await form.text(), /is not a parameter of divide/);
    }
    assert.equal(await jobs(), n, 'no job was made');
  });

  test('an admin action named toString or constructor is no action (404), and the dashboard does not take one as done', async () => {
    const id = ((await (await api('{"type":"divide","x":"6","y":"3"}')).json()) as { id: string })
      .id;
    // A job between states (postprocessing, finalizing) has no actions, hence no form: wait for its end.
    await waitFor(async () => (await idsIn(svc.root, 'completed')).includes(id), 20_000);
    const { cookie, csrf } = await browserView(
      await fetch(`${svc.url}/admin/jobs/${id}`, {
        headers: { authorization: ADMIN_AUTH },
      }),
    );
    for (const action of ['toString', 'constructor', '__proto__']) {
      const res = await fetch(`${svc.url}/admin/jobs/${id}/${action}`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          authorization: ADMIN_AUTH,
          cookie,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ csrf, confirm: 'yes' }),
      });
      assert.equal(res.status, 404, `${action}: ${res.status}`);
      assert.match(await res.text(), /no such admin action/);
      const dash = await fetch(`${svc.url}/admin?done=${action}&job=${id}`, {
        headers: { authorization: ADMIN_AUTH },
      });
      assert.equal(dash.status, 200);
      assert.doesNotMatch(await dash.text(), new RegExp(`: job ${id} (is now|no longer)`));
    }
  });
});
