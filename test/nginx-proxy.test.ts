/**
 * Services behind a real nginx (Debian's), configured by the nginx blocks of docs/deploy.md
 * (test/nginx.ts): one service at /svc behind the guide's stripping location, one at /two
 * behind its prefix-keeping location, on one HTTP server; one at /svc over TLS with
 * `trust_proxy`. Every page kind is walked through the proxy (test/page-walk.ts), the JSON API
 * and the Job Dispatcher are used as scripts use them, and the client address is the one
 * nginx saw. In Chromium: test/nginx-browser.test.ts.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { createClient } from '../src/client/index.js';
import { findJob, readJob } from '../src/store/index.js';
import { Crawler } from './crawl.js';
import { freePort, waitFor } from './helpers.js';
import { type Nginx, startNginx } from './nginx.js';
import { walkEveryPageKind } from './page-walk.js';
import { ADMIN_AUTH, closeAll, type MailingTestServer, startTestServer } from './server.js';

const auth = { authorization: ADMIN_AUTH };

/** A demo service at `urltop`, listening on `port`, with an admin and a mail receiver. */
function demo(urltop: string, port: number, web: Record<string, string> = {}) {
  return startTestServer(
    {
      general: { urltop },
      web: { port, miss_limit: '10000/1h', ...web },
      service: { sleep_seconds: '0.1', greet_delay: '1' },
    },
    { admin: true, mail: true, port },
  );
}

/** POST a JSON job to `url` from `localAddress`, claiming X-Forwarded-For 203.0.113.9; its id. */
function submitFrom(url: string, localAddress: string, ca?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: 'POST',
        localAddress,
        ca,
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' },
      },
      (res) => {
        let body = '';
        res.on('data', (b: Buffer) => (body += b.toString()));
        res.on('end', () =>
          res.statusCode === 201
            ? resolve((JSON.parse(body) as { id: string }).id)
            : reject(new Error(`${res.statusCode}: ${body}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ type: 'divide', x: '1', y: '1' }));
  });
}

/** The submitter a job was counted against (its client address when it has no email). */
async function submitterOf(svc: MailingTestServer, id: string): Promise<string> {
  const ref = await findJob(svc.store, id);
  assert.ok(ref, `job ${id} exists`);
  return (await readJob(ref)).config.settings?.submitter ?? '';
}

describe("behind nginx, configured as docs/deploy.md's reverse-proxy section says", () => {
  let nginx: Nginx;
  let strip: MailingTestServer;
  let keep: MailingTestServer;
  let tls: MailingTestServer;
  let http = '';
  let https = '';

  before(async () => {
    const [httpPort, tlsPort, redirectPort, a, b, c] = await Promise.all(
      Array.from({ length: 6 }, freePort),
    );
    http = `http://127.0.0.1:${httpPort}`;
    https = `https://127.0.0.1:${tlsPort}`;
    strip = await demo(`${http}/svc`, a!);
    keep = await demo(`${http}/two`, b!);
    tls = await demo(`${https}/svc`, c!, { trust_proxy: 'true' });
    nginx = await startNginx(
      [
        {
          port: httpPort!,
          services: [
            { prefix: '/svc', port: a! },
            { prefix: '/two', port: b!, keep: true },
          ],
        },
        { port: tlsPort!, tls: true, services: [{ prefix: '/svc', port: c! }] },
      ],
      redirectPort!,
    );
  });
  after(async () => {
    await nginx?.stop();
    await closeAll(strip, keep, tls);
  });

  for (const [how, svc] of [
    ['strips the prefix (proxy_pass http://127.0.0.1:P/)', () => strip],
    ['keeps the prefix (proxy_pass http://127.0.0.1:P)', () => keep],
  ] as const) {
    test(`through a location that ${how}, every page kind's links, forms, assets, redirects, cookies, API addresses and mail links stay under the prefix`, async () => {
      const s = svc();
      const c = new Crawler(s.cfg.general.urltop, (u) => u, auth);
      const r = await walkEveryPageKind(c, s.smtp, auth);
      assert.deepEqual(c.bad, [], 'addresses outside the prefix');
      assert.deepEqual(r.missing, [], 'links that answer 404 through the proxy');
      assert.deepEqual(r.badMailLinks, [], 'mail links outside urltop');
      assert.ok(c.opened.size >= 30, `${c.opened.size} addresses opened`);
    });
  }

  test('a script uses the JSON API through the proxy: submit, the Location it is given, status, download; the OpenAPI servers entry is urltop', async () => {
    const urltop = strip.cfg.general.urltop;
    const res = await fetch(`${urltop}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'divide', x: '9', y: '3' }),
    });
    assert.equal(res.status, 201);
    const status = new URL(res.headers.get('location')!, urltop).href;
    const id = ((await res.json()) as { id: string }).id;
    assert.equal(status, `${urltop}/api/jobs/${id}`);
    const api = createClient({ url: urltop });
    const done = await api.wait(id, { minDelayMs: 50, maxDelayMs: 200 });
    assert.equal(done.state, 'completed');
    assert.equal(done.result, '9 / 3 = 3');
    assert.match(await (await api.download(id, 'stdout.txt')).text(), /answer is: 3/);
    const file = done.files.find((f) => f.name === 'stdout.txt')!;
    assert.match(await (await fetch(new URL(file.url, urltop))).text(), /answer is: 3/);
    const doc = (await (await fetch(`${urltop}/api/openapi.json`)).json()) as {
      servers: { url: string }[];
      paths: Record<string, unknown>;
    };
    assert.deepEqual(doc.servers, [{ url: urltop }]);
    assert.ok(doc.paths['/api/jobs'], 'paths are relative to the servers entry');
  });

  test("EBI's Job Dispatcher routes through the proxy: run, status, resulttypes, result", async () => {
    const base = `${keep.cfg.general.urltop}/jdispatcher/divide`;
    const run = await fetch(`${base}/run`, {
      method: 'POST',
      body: new URLSearchParams({ x: '12', y: '4', email: 'jd@example.test' }),
    });
    assert.equal(run.status, 200);
    const id = await run.text();
    await waitFor(
      async () => (await (await fetch(`${base}/status/${id}`)).text()) === 'FINISHED',
      30_000,
      'FINISHED',
    );
    const types = await (await fetch(`${base}/resulttypes/${id}`)).text();
    assert.match(types, /<identifier>out<\/identifier>/);
    assert.match(await (await fetch(`${base}/result/${id}/out`)).text(), /answer is: 3/);
  });

  test('with trust_proxy the client address is the one nginx appends to X-Forwarded-For, not one the client claims; without it, the proxy’s', async () => {
    const viaTls = await submitFrom(`${https}/svc/api/jobs`, '127.0.0.2', nginx.cert);
    assert.equal(await submitterOf(tls, viaTls), '127.0.0.2');
    const viaHttp = await submitFrom(`${http}/svc/api/jobs`, '127.0.0.2');
    assert.equal(await submitterOf(strip, viaHttp), '127.0.0.1', 'nginx connects from 127.0.0.1');
  });

  test('over TLS an https urltop gives Secure cookies with Path=/svc; the port-80 server sends plain HTTP to https', async () => {
    const cookies = await new Promise<string[]>((resolve, reject) =>
      httpsRequest(`${https}/svc/`, { ca: nginx.cert }, (res) => {
        res.resume();
        resolve(res.headers['set-cookie'] ?? []);
      })
        .on('error', reject)
        .end(),
    );
    assert.equal(cookies.length, 1, cookies.join('\n'));
    assert.match(
      cookies[0]!,
      /^jobdir_csrf=[a-f0-9]{32}; Path=\/svc; HttpOnly; Secure; SameSite=Lax$/,
    );
    const moved = await fetch(`http://127.0.0.1:${nginx.redirectPort}/svc/jobs/x`, {
      redirect: 'manual',
    });
    assert.equal(moved.status, 301);
    assert.equal(moved.headers.get('location'), 'https://127.0.0.1/svc/jobs/x');
  });
});
