/**
 * Hostile input, one test each, over a real listening server: CSRF, secure headers and CSP,
 * body and upload limits, traversal in ids and file names, CR/LF into mail headers, stored
 * XSS, nasty result files (symlink, FIFO, 10 GB sparse file), oversized headers and slow
 * clients, and floods of submissions or guesses from one address.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { browserView, ROOT, idsIn, submitForm, waitFor } from './helpers.js';
import { type MailingTestServer, startTestServer, type TestServer } from './server.js';
import { Hono } from 'hono';
import { createGuards } from '../src/web/security/guards.js';
import { queueMail } from '../src/mail/queue.js';

const HOSTILE = join(ROOT, 'test/fixtures/hostile-service.ts');
const json = (body: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const relaxed = {
  submit_limit: '10000/1h',
  miss_limit: '10000/1h',
  max_body: '64K',
  headers_timeout: '1s',
  request_timeout: '2s',
};
/** Send raw bytes on a fresh connection; resolve with what came back once the server closes it. */
function raw(url: string, chunks: (string | Buffer)[], pauseMs = 0): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(u.port), u.hostname);
    let got = '';
    sock.on('data', (d) => void (got += d.toString('latin1')));
    sock.on('close', () => resolve(got));
    sock.on('error', (e) =>
      (e as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve(got) : reject(e),
    );
    sock.on('connect', async () => {
      for (const c of chunks) {
        sock.write(c);
        if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
      }
    });
  });
}

describe('hostile input against a real server', () => {
  let svc: MailingTestServer;
  before(async () => {
    svc = await startTestServer({ general: { service: HOSTILE }, web: relaxed }, { mail: true });
  });
  after(() => svc.close());

  const byId = async () =>
    (await fs.readdir(join(svc.root, 'jobs/by-id'))).filter((n) => !n.startsWith('.')).length;

  test("CSRF: form posts without the cookie's token, or from another site's cookie, are refused (403) and keep nothing", async () => {
    const n = await byId();
    const noToken = await fetch(`${svc.url}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'type=echo&text=hi',
    });
    assert.equal(noToken.status, 403);
    const mismatch = await fetch(`${svc.url}/jobs`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: `jobdir_csrf=${'a'.repeat(32)}`,
      },
      body: `type=echo&text=hi&csrf=${'b'.repeat(32)}`,
    });
    assert.equal(mismatch.status, 403);
    assert.equal(
      (
        await fetch(`${svc.url}/my-jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'email=a%40example.test',
        })
      ).status,
      403,
    );
    assert.equal(await byId(), n);
    assert.equal(
      (await submitForm(svc.url, { type: 'echo', text: 'hi' })).status,
      303,
      'the real form still works',
    );
  });

  test('every page carries secure headers and a content security policy; cookies are HttpOnly and SameSite=Lax', async () => {
    const res = await fetch(`${svc.url}/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    for (const c of res.headers.getSetCookie()) {
      assert.match(c, /HttpOnly/i);
      assert.match(c, /SameSite=Lax/i);
    }
    const api = await fetch(`${svc.url}/api/parameters`);
    assert.equal(api.headers.get('x-content-type-options'), 'nosniff');
    const sub = await submitForm(svc.url, { type: 'echo', text: 'hi', email: 'dora@example.test' });
    const cookie = sub.headers.getSetCookie().find((c) => c.startsWith('jobdir_email='))!;
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
    assert.doesNotMatch(
      cookie,
      /dora@example\.test;/,
      'the cookie is signed, not the bare address',
    );
  });

  test('behind https, cookies are Secure', async () => {
    const s = await startTestServer(
      { general: { service: HOSTILE, urltop: 'https://jobs.example.test' } },
      { webOnly: true },
    );
    try {
      const res = await fetch(`${s.url}/`);
      for (const c of res.headers.getSetCookie()) assert.match(c, /; Secure/i);
    } finally {
      await s.close();
    }
  });

  test('bodies over [web] max_body are refused with 413 (JSON for the API, a page for the form) and keep nothing', async () => {
    const n = await byId();
    const big = await fetch(
      `${svc.url}/api/jobs`,
      json({ type: 'echo', text: 'x'.repeat(100_000) }),
    );
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as { error: { code: string } }).error.code, 'too_large');
    const fd = new FormData();
    fd.set('type', 'upload');
    fd.set('data', new Blob([Buffer.alloc(100_000)]), 'big.txt');
    assert.equal((await fetch(`${svc.url}/api/jobs`, { method: 'POST', body: fd })).status, 413);
    const form = await submitForm(svc.url, { type: 'echo', text: 'x'.repeat(100_000) });
    assert.equal(form.status, 413);
    assert.match(form.headers.get('content-type') ?? '', /text\/html/);
    assert.equal(await byId(), n);
  });

  test('a form body sent without a length (chunked) is held to the same limit; under it, a repeated field keeps its last value', async () => {
    const { cookie, csrf } = await browserView(await fetch(`${svc.url}/`));
    const chunked = (text: string) =>
      fetch(`${svc.url}/jobs`, {
        method: 'POST',
        redirect: 'manual',
        duplex: 'half',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new ReadableStream({
          start(c) {
            for (let i = 0; i < text.length; i += 1000)
              c.enqueue(new TextEncoder().encode(text.slice(i, i + 1000)));
            c.close();
          },
        }),
      } as RequestInit);
    const n = await byId();
    const big = await chunked(`csrf=${csrf}&type=echo&text=${'x'.repeat(100_000)}`);
    assert.equal(big.status, 413);
    assert.match(await big.text(), /larger than this service accepts/);
    assert.equal(await byId(), n);
    const ok = await chunked(`csrf=${csrf}&type=echo&text=first&text=sec%6Fnd+one`);
    assert.equal(ok.status, 303, await ok.text());
    const id = /\/jobs\/([a-z]+)$/.exec(ok.headers.get('location') ?? '')![1]!;
    await waitFor(
      async () => (await idsIn(svc.root, 'completed')).includes(id),
      15_000,
      'completed',
    );
    const config = await fs.readFile(join(svc.root, 'jobs/completed', id, 'config.ini'), 'utf8');
    assert.match(config, /^text = second one$/m);
  });

  test("uploads over a field's limit or of the wrong type are refused per field; a good one is stored under a safe name", async () => {
    const send = async (name: string, bytes: number) => {
      const fd = new FormData();
      fd.set('type', 'upload');
      fd.set('data', new Blob([Buffer.alloc(bytes, 0x61)]), name);
      return fetch(`${svc.url}/api/jobs`, { method: 'POST', body: fd });
    };
    const tooBig = await send('a.txt', 2000);
    assert.ok([400, 413].includes(tooBig.status), String(tooBig.status));
    assert.match(
      ((await tooBig.json()) as { error: { fields: { data: string } } }).error.fields.data,
      /limit is 1000/,
    );
    assert.equal((await send('a.exe', 10)).status, 400);
    const ok = await send('../../etc/pass\u2215wd.txt', 10);
    assert.equal(ok.status, 201);
    const { id } = (await ok.json()) as { id: string };
    // Looked at once it rests (a job moving between state folders cannot be listed reliably).
    await waitFor(
      async () =>
        (await idsIn(svc.root, 'completed')).includes(id) ||
        (await idsIn(svc.root, 'failed')).includes(id),
      15_000,
      'ended',
    );
    const dir = (await idsIn(svc.root, 'completed')).includes(id) ? 'completed' : 'failed';
    const names = await fs.readdir(join(svc.root, 'jobs', dir, id));
    assert.ok(
      names.some((n) => /^input-data-[A-Za-z0-9._-]+$/.test(n) && !n.includes('..')),
      names.join(','),
    );
  });

  test('traversal in ids and file names, plain or encoded, gets 404 and never a file outside the job', async () => {
    const id = new URL(
      (await submitForm(svc.url, { type: 'echo', text: 'hi' })).headers.get('location')!,
      svc.url,
    ).pathname
      .split('/')
      .pop()!;
    await waitFor(
      async () => (await idsIn(svc.root, 'completed')).includes(id),
      15_000,
      'completed',
    );
    const paths = [
      '/jobs/..%2f..%2f..%2fetc%2fpasswd',
      '/jobs/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/jobs/..%252f..%252fetc%252fpasswd',
      '/jobs/bcdfghjkmnpq%00',
      `/jobs/${id}/files/..%2fconfig.ini`,
      `/jobs/${id}/files/config.ini`,
      `/jobs/${id}/files/jobdir.log`,
      `/jobs/${id}/files/%2e%2e%2f%2e%2e%2fby-id`,
      `/jobs/${id}/files/..%5c..%5cconfig.ini`,
      `/jobs/${id}/files/%c0%ae%c0%ae%2fconfig.ini`,
      `/jobs/${id}/files/.%2e/.%2e/etc/passwd`,
      `/jobs/${id}/files/stdout.txt%00.png`,
      `/jobs/${id}/files/%EF%BC%8E%EF%BC%8E%EF%BC%8Fconfig.ini`,
      `/jobs/${id}/files/argv`,
      `/api/jobs/${id}/files/..%2fconfig.ini`,
      `/api/jobs/${id}/files/config.ini`,
      '/api/jobs/..%2f..%2fetc%2fpasswd',
    ];
    for (const p of paths) {
      const res = await fetch(`${svc.url}${p}`);
      const body = await res.text();
      assert.equal(res.status, 404, p);
      assert.doesNotMatch(body, /root:|\[settings\]|job_id/, p);
    }
    assert.equal((await fetch(`${svc.url}/jobs/${id}/files/stdout.txt`)).status, 200);
  });

  test('CR/LF in an email address never reaches a mail header: the submission is refused and nothing is kept or queued', async () => {
    const n = await byId();
    const queued = async () =>
      (await fs.readdir(svc.store.mailq)).filter((f) => !f.startsWith('.'));
    const before = await queued();
    for (const email of [
      'eve@example.test\r\nBcc: victim@example.test',
      'eve@example.test\nSubject: hi',
      'eve@example.test%0d%0aBcc:victim@example.test',
    ]) {
      const res = await fetch(`${svc.url}/api/jobs`, json({ type: 'echo', text: 'x', email }));
      assert.equal(res.status, 400, JSON.stringify(email));
      assert.equal((await fetch(`${svc.url}/api/my-jobs`, json({ email }))).status, 400);
    }
    const form = await submitForm(svc.url, {
      type: 'echo',
      text: 'x',
      email: 'eve@example.test\r\nBcc: victim@example.test',
    });
    assert.equal(form.status, 400);
    assert.equal(await byId(), n, 'no job was made');
    assert.deepEqual(await queued(), before, 'no mail was queued');
  });

  test('the mail queue mails only bare addresses: one with CR/LF is dropped, not repaired into a Bcc, and a subject stays one header', async () => {
    const sent = svc.smtp.messages.length;
    await queueMail(svc.store, svc.cfg, 'hostile.crlf', {
      to: [
        'eve@example.test\r\nBcc: victim@example.test',
        'eve@example.test Bcc: victim@example.test',
        'ok@example.test',
      ],
      subject: 'hi\r\nBcc: victim@example.test',
      text: 'x',
      headers: { 'X-Jobdir-Job': 'x\r\nBcc: victim@example.test' },
    });
    await svc.backend!.mailer.flush();
    const got = svc.smtp.messages.slice(sent);
    assert.deepEqual(
      got.map((m) => m.rcptTo),
      [['ok@example.test']],
    );
    assert.equal(got[0]!.headers.get('bcc'), undefined);
    assert.equal(got[0]!.subject, 'hi Bcc: victim@example.test');
  });

  test('stored XSS: inputs and program output (and result file names) are escaped on the results page', async () => {
    const evil = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'';
    const id = new URL(
      (await submitForm(svc.url, { type: 'echo', text: evil })).headers.get('location')!,
      svc.url,
    ).pathname
      .split('/')
      .pop()!;
    await waitFor(
      async () => (await idsIn(svc.root, 'completed')).includes(id),
      15_000,
      'completed',
    );
    const page = await (await fetch(`${svc.url}/jobs/${id}`)).text();
    assert.match(page, /you said &lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(page, /the program said &lt;script&gt;/);
    assert.doesNotMatch(page, /<script>|<img src=x/);
    assert.match(page, /&lt;img src=x onerror=alert\(1\)&gt;\.txt/);
    const status = await fetch(`${svc.url}/api/jobs/${id}`);
    assert.match(status.headers.get('content-type') ?? '', /^application\/json/);
  });

  test("a program's symlink to /etc/passwd, FIFO, 10 GB sparse file, folder and link to .. are never listed or served", async () => {
    const res = await fetch(`${svc.url}/api/jobs`, json({ type: 'evil' }));
    const { id } = (await res.json()) as { id: string };
    await waitFor(
      async () => (await idsIn(svc.root, 'completed')).includes(id),
      15_000,
      'completed',
    );
    const status = (await (await fetch(`${svc.url}/api/jobs/${id}`)).json()) as {
      files: { name: string }[];
    };
    const listed = status.files.map((f) => f.name);
    assert.ok(listed.includes('ok.txt'), listed.join(','));
    for (const bad of ['passwd.txt', 'fifo.txt', 'sparse.bin', 'sub', 'up']) {
      assert.ok(!listed.includes(bad), bad);
      for (const prefix of ['/jobs', '/api/jobs']) {
        const r = await fetch(`${svc.url}${prefix}/${id}/files/${bad}`);
        assert.equal(r.status, 404, `${prefix} ${bad}`);
        assert.doesNotMatch(await r.text(), /root:/);
      }
    }
    assert.equal((await fetch(`${svc.url}/jobs/${id}/files/up%2fby-id`)).status, 404);
    assert.equal((await fetch(`${svc.url}/jobs/${id}/files/sub%2fx.txt`)).status, 404);
  });

  test('oversized request headers get 431; a client that sends its headers too slowly is cut off', async () => {
    const res = await fetch(`${svc.url}/`, { headers: { 'x-big': 'a'.repeat(20_000) } });
    assert.equal(res.status, 431);
    const slow = await raw(
      svc.url,
      [
        'GET / HTTP/1.1\r\n',
        'Host: x\r\n',
        'X-A: 1\r\n',
        'X-B: 2\r\n',
        'X-C: 3\r\n',
        'X-D: 4\r\n',
        'X-E: 5\r\n',
        'X-F: 6\r\n',
      ],
      400,
    );
    assert.match(slow, /^HTTP\/1\.1 408|^$/, 'closed with 408 Request Timeout (or just closed)');
    assert.doesNotMatch(slow, /200 OK/);
    const n = await byId();
    const body = JSON.stringify({ type: 'echo', text: 'x'.repeat(200) });
    const dribble = [
      `POST /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      ...body.slice(0, 20).split(''),
    ];
    const slowBody = await raw(svc.url, dribble, 300);
    assert.doesNotMatch(
      slowBody,
      /201 Created/,
      'a body dribbled past request_timeout is not accepted',
    );
    assert.equal(await byId(), n);
  });
});

describe('floods from one address', () => {
  let svc: TestServer;
  before(async () => {
    svc = await startTestServer(
      {
        general: { service: HOSTILE },
        web: { submit_limit: '3/1h', miss_limit: '2/1h', miss_delay: '0.4s' },
      },
      { webOnly: true },
    );
  });
  after(() => svc.close());

  test('submissions over [web] submit_limit get 429 with Retry-After, for the API and the form alike', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 3; i++)
      codes.push((await fetch(`${svc.url}/api/jobs`, json({ type: 'echo', text: `${i}` }))).status);
    assert.deepEqual(codes, [201, 201, 201]);
    const over = await fetch(`${svc.url}/api/jobs`, json({ type: 'echo', text: 'x' }));
    assert.equal(over.status, 429);
    assert.ok(Number(over.headers.get('retry-after')) > 0);
    assert.equal(((await over.json()) as { error: { code: string } }).error.code, 'rate_limited');
    assert.equal((await submitForm(svc.url, { type: 'echo', text: 'x' })).status, 429);
  });

  test('misses past [web] miss_limit are slowed down, and a crowd of parallel guesses is refused', async () => {
    // The waits, on a clock of the test's own: a miss is answered only once its wait is over.
    let t = 0;
    const waits: number[] = [];
    let release = () => {};
    const guards = createGuards(svc.cfg.web, {
      now: () => t,
      sleep: (ms) =>
        new Promise((r) => {
          waits.push(ms);
          release = () => {
            t += ms;
            r();
          };
        }),
    });
    const app = new Hono()
      .use('*', guards.missSlowdown)
      .get('/jobs/:id', (c) => c.text('no such job', 404))
      .get('/', (c) => c.text('form'));
    for (let i = 0; i < 2; i++)
      assert.equal((await app.request(`/jobs/bcdfghjkmnp${'q'.repeat(i + 1)}`)).status, 404);
    assert.deepEqual(waits, [], 'misses up to [web] miss_limit do not wait');
    for (let i = 0; i < 3; i++) {
      let answered = false;
      const res = Promise.resolve(app.request(`/jobs/bcdfghjkmnpqrs${'t'.repeat(i + 1)}`)).then(
        (r) => ((answered = true), r),
      );
      await waitFor(() => waits.length === i + 1, 5000, `miss ${i + 3} waits`);
      assert.equal((await app.request('/')).status, 200, 'other pages are not held');
      assert.equal(answered, false, `miss ${i + 3} is held until its wait is over`);
      release();
      assert.equal((await res).status, 404);
    }
    assert.deepEqual(waits, [50, 100, 200], 'each further miss waits twice as long');
    const crowd = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        fetch(`${svc.url}/api/jobs/ccccccccccc${'d'.repeat(i + 1)}`).then((r) => r.status),
      ),
    );
    assert.ok(crowd.includes(429), crowd.join(','));
    assert.ok(crowd.every((s) => s === 404 || s === 429));
  });
});
