import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { moveJob, removeJob } from '../src/store/index.js';
import { validate, type Schema } from '../src/web/api/schema.js';
import { ErrorBody, JobStatus } from '../src/web/api/schemas.js';
import { browserView, FIXTURE_SERVICE, idsIn, submitForm, waitFor } from './helpers.js';
import { type MailingTestServer, startTestServer, type TestServer } from './server.js';

const json = (body: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const conforms = (schema: Schema, value: unknown) =>
  assert.deepEqual(validate(schema, value), {}, JSON.stringify(value));

describe('the JSON API over a real server', () => {
  let svc: MailingTestServer;
  before(async () => {
    svc = await startTestServer({}, { mail: true });
  });
  after(() => svc.close());

  test("GET /api/parameters describes each job type's parameters", async () => {
    const res = await fetch(`${svc.url}/api/parameters`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      types: {
        name: string;
        parameters: { name: string; type: string; label: string; required: boolean }[];
      }[];
    };
    assert.deepEqual(
      body.types[0]!.parameters.map((p) => [p.name, p.type, p.label, p.required]),
      [
        ['x', 'integer', 'x (dividend)', true],
        ['y', 'integer', 'y (divisor)', true],
      ],
    );
    assert.equal((await fetch(`${svc.url}/api/parameters/divide`)).status, 200);
    assert.equal((await fetch(`${svc.url}/api/parameters/nope`)).status, 404);
  });

  test('submit JSON → 201 with Location; poll the status to completed; download the result', async () => {
    const res = await fetch(`${svc.url}/api/jobs`, json({ type: 'divide', x: 7, y: 2 }));
    assert.equal(res.status, 201);
    const created = (await res.json()) as { id: string; state: string; links: { self: string } };
    assert.equal(res.headers.get('location'), `/api/jobs/${created.id}`);
    assert.equal(created.state, 'incoming');
    assert.match(created.id, /^[bcdfghjkmnpqrstvwxyz]{12}$/);
    const done = (await waitFor(
      async () => {
        const s = (await (await fetch(`${svc.url}${created.links.self}`)).json()) as {
          state: string;
        };
        conforms(JobStatus, s);
        return s.state === 'completed' ? s : null;
      },
      15_000,
      'completed',
    )) as unknown as {
      dispatcher_status: string;
      wes_state: string;
      result: string;
      files: { name: string; url: string }[];
      finished: string;
    };
    assert.equal(done.dispatcher_status, 'FINISHED');
    assert.equal(done.wes_state, 'COMPLETE');
    assert.equal(done.result, '7 / 2 = 3.5');
    assert.ok(done.finished);
    const out = done.files.find((f) => f.name === 'stdout.txt')!;
    const file = await fetch(`${svc.url}${out.url}`);
    assert.equal(file.status, 200);
    assert.equal(file.headers.get('content-disposition'), 'attachment; filename="stdout.txt"');
    assert.equal(await file.text(), 'The answer is: 3.5\n');
  });

  test("a finished job's status and page, though cached, follow the job when it is archived and when it is deleted", async () => {
    const { id } = (await (await fetch(`${svc.url}/api/jobs`, json({ x: 8, y: 2 }))).json()) as {
      id: string;
    };
    await waitFor(
      async () => (await idsIn(svc.root, 'completed')).includes(id),
      15_000,
      'completed',
    );
    for (let i = 0; i < 3; i++)
      assert.equal((await fetch(`${svc.url}/api/jobs/${id}`)).status, 200);
    for (let i = 0; i < 3; i++)
      assert.match(await (await fetch(`${svc.url}/jobs/${id}`)).text(), /8 \/ 2 = 4/);
    const archived = await moveJob(svc.store, id, 'completed', 'archived');
    assert.equal(
      (await fetch(`${svc.url}/jobs/${id}`)).status,
      410,
      'the results page checks its cache on every request',
    );
    const gone = await waitFor(
      async () => {
        const r = await fetch(`${svc.url}/api/jobs/${id}`);
        return r.status === 410 ? r : null;
      },
      10_000,
      '410 after archiving',
    );
    assert.equal(((await gone.json()) as { error: { code: string } }).error.code, 'gone');
    await removeJob(svc.store, archived);
    await waitFor(
      async () => (await fetch(`${svc.url}/api/jobs/${id}`)).status === 404,
      10_000,
      '404 after deleting',
    );
    assert.equal((await fetch(`${svc.url}/jobs/${id}`)).status, 404);
  });

  test('a failing job reads as FAILURE / EXECUTOR_ERROR with the plain-words reason', async () => {
    const { id } = (await (
      await fetch(`${svc.url}/api/jobs`, json({ x: '1', y: '0' }))
    ).json()) as { id: string };
    await waitFor(async () => (await idsIn(svc.root, 'failed')).includes(id), 15_000, 'failed');
    const s = (await (await fetch(`${svc.url}/api/jobs/${id}`)).json()) as {
      dispatcher_status: string;
      wes_state: string;
      failure: string;
    };
    assert.equal(s.dispatcher_status, 'FAILURE');
    assert.equal(s.wes_state, 'EXECUTOR_ERROR');
    assert.match(s.failure, /cannot divide 1 by zero/);
  });

  test("bad input is 400 JSON with a stable code, per-field messages, the form's words, and no job", async () => {
    const before = await idsIn(svc.root, 'incoming');
    const res = await fetch(
      `${svc.url}/api/jobs`,
      json({ type: 'divide', x: 'abc', email: 'not-an-email', z: 1 }),
    );
    assert.equal(res.status, 400);
    const body = (await res.json()) as {
      error: { code: string; message: string; fields: Record<string, string> };
    };
    conforms(ErrorBody, body);
    assert.equal(body.error.code, 'invalid_input');
    assert.match(body.error.fields.x!, /^must be a whole number/);
    assert.equal(body.error.fields.y, 'is required');
    assert.match(body.error.fields.z!, /is not a parameter of divide/);
    const page = await (await submitForm(svc.url, { type: 'divide', x: 'abc', y: '' })).text();
    assert.ok(
      page.includes(body.error.fields.x!.replace(/"/g, '&quot;')),
      'the HTML form shows the same message',
    );
    assert.deepEqual(await idsIn(svc.root, 'incoming'), before);
    for (const bad of ['{', '[1,2]', '"x"', '{"x":{"a":1}}', '{"x":[1]}']) {
      const r = await fetch(`${svc.url}/api/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: bad,
      });
      assert.equal(r.status, 400, bad);
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'invalid_input');
    }
    const r415 = await fetch(`${svc.url}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x=1',
    });
    assert.equal(r415.status, 415);
  });

  test('multipart submissions work like the form (without the CSRF field)', async () => {
    const fd = new FormData();
    fd.set('x', '9');
    fd.set('y', '3');
    const res = await fetch(`${svc.url}/api/jobs`, { method: 'POST', body: fd });
    assert.equal(res.status, 201);
  });

  test('unknown ids, malformed ids and traversal attempts get the same 404 body', async () => {
    const bodies = new Set<string>();
    for (const id of [
      'bcdfghjkmnpq',
      'zzzzzzzzzzzzzzz',
      'abc',
      '%2e%2e%2fetc%2fpasswd',
      '..%2f..%2fetc',
      'BCDFGHJKMNPQ',
      'bcdfghjkmnpq%00',
    ]) {
      const res = await fetch(`${svc.url}/api/jobs/${id}`);
      assert.equal(res.status, 404, id);
      bodies.add(await res.text());
    }
    assert.equal(bodies.size, 1, [...bodies].join('\n'));
    assert.equal((await fetch(`${svc.url}/api/jobs/../../etc/passwd`)).status, 404);
    const other = await fetch(`${svc.url}/api/nothing-here`);
    assert.equal(other.status, 404);
    assert.equal(((await other.json()) as { error: { code: string } }).error.code, 'not_found');
  });

  test('the OpenAPI document lists every route with the schemas the server checks', async () => {
    const doc = (await (await fetch(`${svc.url}/api/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          {
            requestBody?: {
              content: Record<
                string,
                { schema: { oneOf?: { properties: Record<string, unknown> }[] } }
              >;
            };
          }
        >
      >;
      info: { description: string };
    };
    assert.equal(doc.openapi, '3.0.3');
    for (const p of [
      '/api/jobs',
      '/api/jobs/{id}',
      '/api/jobs/{id}/files/{name}',
      '/api/jobs/{id}/cancel',
      '/api/parameters',
      '/api/my-jobs',
    ])
      assert.ok(doc.paths[p], p);
    const submit = doc.paths['/api/jobs']!.post!.requestBody!.content['application/json']!.schema;
    assert.deepEqual(Object.keys(submit.oneOf![0]!.properties), [
      'type',
      'email',
      'after',
      'x',
      'y',
    ]);
    assert.match(doc.info.description, /\| completed \| FINISHED \| COMPLETE \|/);
  });

  test('"my jobs": a mailed, signed, expiring link lists the address\'s jobs; a forged one is 401', async () => {
    const email = 'carol@example.test';
    const { id } = (await (
      await fetch(`${svc.url}/api/jobs`, json({ x: 4, y: 2, email }))
    ).json()) as { id: string };
    const sent = svc.smtp.messages.length;
    const res = await fetch(`${svc.url}/api/my-jobs`, json({ email }));
    assert.equal(res.status, 202);
    const { cookie, csrf } = await browserView(await fetch(`${svc.url}/my-jobs`));
    const asked = await fetch(`${svc.url}/my-jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ csrf, email }),
    });
    assert.equal(asked.status, 200);
    assert.match(await asked.text(), /id="sent"/);
    const none = await fetch(`${svc.url}/api/my-jobs`, json({ email: 'nobody@example.test' }));
    assert.deepEqual(
      await none.json(),
      await res.json(),
      'the same answer whether or not the address has jobs',
    );
    const mails = await waitFor(
      () => {
        const mine = svc.smtp.messages.slice(sent).filter((m) => /your jobs/.test(m.subject ?? ''));
        return mine.length >= 2 ? mine : null;
      },
      15_000,
      'my-jobs mail',
    );
    const link = /(http:\/\/jobs\.example\.test\/my-jobs\/(\S+))/.exec(mails[0]!.text ?? '')!;
    const token = link[2]!;
    const list = await fetch(`${svc.url}/api/jobs`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(list.status, 200);
    const body = (await list.json()) as { email: string; jobs: { id: string }[] };
    assert.equal(body.email, email);
    assert.deepEqual(
      body.jobs.map((j) => j.id),
      [id],
    );
    const page = await fetch(`${svc.url}/my-jobs/${token}`);
    assert.match(await page.text(), new RegExp(`href="/jobs/${id}"`));
    const forged = token.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A'));
    assert.equal(
      (await fetch(`${svc.url}/api/jobs`, { headers: { authorization: `Bearer ${forged}` } }))
        .status,
      401,
    );
    assert.equal((await fetch(`${svc.url}/api/jobs`)).status, 401);
    assert.equal((await fetch(`${svc.url}/my-jobs/${forged}`)).status, 401);
    const ended = await waitFor(
      () => svc.smtp.messages.find((m) => m.subject?.includes(`job ${id} completed`)),
      15_000,
      'completion mail',
    );
    const again =
      /All your jobs \(this link expires\): http:\/\/jobs\.example\.test\/my-jobs\/(\S+)/.exec(
        ended.text ?? '',
      );
    assert.ok(again, 'the completion email carries a my-jobs link');
    assert.equal(
      (await fetch(`${svc.url}/api/jobs`, { headers: { authorization: `Bearer ${again[1]}` } }))
        .status,
      200,
    );
  });
});

describe('cancelling through the API', () => {
  let svc: TestServer;
  before(async () => {
    svc = await startTestServer({ general: { service: FIXTURE_SERVICE } });
  });
  after(() => svc.close());

  test('POST /api/jobs/{id}/cancel stops a running job, which ends failed (cancelled) → CANCELED', async () => {
    const { id } = (await (
      await fetch(`${svc.url}/api/jobs`, json({ type: 'sleep', seconds: 30 }))
    ).json()) as { id: string };
    await waitFor(
      async () =>
        ((await (await fetch(`${svc.url}/api/jobs/${id}`)).json()) as { state: string }).state ===
        'running',
      15_000,
      'running',
    );
    const res = await fetch(`${svc.url}/api/jobs/${id}/cancel`, { method: 'POST' });
    assert.equal(res.status, 202);
    const s = await waitFor(
      async () => {
        const b = (await (await fetch(`${svc.url}/api/jobs/${id}`)).json()) as {
          state: string;
          wes_state: string;
        };
        return b.state === 'failed' ? b : null;
      },
      20_000,
      'cancelled',
    );
    assert.equal(s.wes_state, 'CANCELED');
    const again = await fetch(`${svc.url}/api/jobs/${id}/cancel`, { method: 'POST' });
    assert.equal(again.status, 409);
    assert.equal(((await again.json()) as { error: { code: string } }).error.code, 'conflict');
  });
});
