/**
 * A service whose urltop has a path (http://127.0.0.1:P/svc) is served under that prefix,
 * over a real server: every kind of page and answer is opened (test/page-walk.ts) and every
 * link, form action, asset, redirect, cookie path, API address and mail link must stay under
 * /svc, whether the requests arrive with the prefix (a proxy that keeps it) or without it (a
 * proxy that strips it). Through a real nginx: test/nginx-proxy.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig, OWN_TOP_SEGMENTS } from '../src/config/index.js';
import { pathWithoutPrefix } from '../src/web/site.js';
import { Crawler } from './crawl.js';
import { freePort, tempDir, writeConfig } from './helpers.js';
import { walkEveryPageKind } from './page-walk.js';
import { ADMIN_AUTH, type MailingTestServer, startTestServer } from './server.js';

const auth = { authorization: ADMIN_AUTH };

describe('a service under a path prefix', () => {
  let svc: MailingTestServer;
  let urltop = '';
  before(async () => {
    const port = await freePort();
    urltop = `http://127.0.0.1:${port}/svc`;
    svc = await startTestServer(
      {
        general: { urltop },
        web: { port, miss_limit: '10000/1h' },
        service: { sleep_seconds: '0.1', greet_delay: '1' },
      },
      { admin: true, mail: true, port },
    );
  });
  after(() => svc?.close());

  for (const [how, send] of [
    ['keeps it (Apache: ProxyPass /svc http://127.0.0.1:P/svc)', (u: string) => u],
    [
      'strips it (nginx: proxy_pass http://127.0.0.1:P/)',
      (u: string) => u.replace(/^(https?:\/\/[^/]+)\/svc(?=\/|$)/, '$1'),
    ],
  ] as const) {
    test(`requests as a proxy that ${how} sends them: every page kind's links, forms, assets, redirects, cookies, API addresses and mail links stay under /svc`, async () => {
      const c = new Crawler(urltop, send, auth);
      const r = await walkEveryPageKind(c, svc.smtp, auth, send);
      assert.deepEqual(c.bad, [], 'addresses outside /svc');
      assert.deepEqual(r.missing, [], 'links that answer 404');
      assert.deepEqual(r.badMailLinks, [], 'mail links outside urltop');
      assert.ok(c.opened.size >= 30, `${c.opened.size} addresses opened`);
      assert.ok(
        c.cookies.some((k) => k.startsWith('jobdir_email=')),
        'the email cookie was set',
      );
      assert.ok(
        c.cookies.some((k) => k.startsWith('jobdir_csrf=')),
        'the CSRF cookie was set',
      );
    });
  }
});

describe("urltop's path, read from the config", () => {
  const load = async (urltop: string) =>
    loadConfig(await writeConfig(tempDir(), { general: { urltop } })).general;

  test('is the prefix, without trailing slashes; a urltop without a path has none', async () => {
    for (const [urltop, want, base] of [
      ['https://lab.example.org/svc/', 'https://lab.example.org/svc', '/svc'],
      [
        'https://lab.example.org/tools/clustalo',
        'https://lab.example.org/tools/clustalo',
        '/tools/clustalo',
      ],
      ['http://127.0.0.1:8080', 'http://127.0.0.1:8080', ''],
      ['http://127.0.0.1:8080/', 'http://127.0.0.1:8080', ''],
    ] as const) {
      const g = await load(urltop);
      assert.deepEqual([g.urltop, g.basePath], [want, base], urltop);
    }
  });

  test("is refused, naming the file, section and key, when it is not a plain prefix or starts with one of jobdir's own routes", async () => {
    const cases: [string, RegExp][] = [
      ['https://lab.example.org/svc?x=1', /has a query or fragment/],
      ['https://lab.example.org/my%20svc', /not a plain prefix/],
      ['https://lab.example.org/a//b', /not a plain prefix/],
      ['https://user:pw@lab.example.org/svc', /user name or password/],
      ['ftp://lab.example.org/svc', /http\(s\) URL/],
      ...OWN_TOP_SEGMENTS.map((s): [string, RegExp] => [
        `https://lab.example.org/${s}/x`,
        /jobdir's own routes/,
      ]),
    ];
    for (const [urltop, rule] of cases) {
      await assert.rejects(load(urltop), (err: Error) => {
        assert.ok(err instanceof ConfigError, `${urltop}: ${String(err)}`);
        assert.match(err.message, /jobdir\.ini:\d+: \[general\] urltop /, urltop);
        assert.match(err.message, rule, urltop);
        return true;
      });
    }
  });

  test("the routes' first segments are exactly the ones a prefix may not start with", async () => {
    const svc = await startTestServer();
    try {
      const firsts = new Set(
        svc.app.routes.map((r) => r.path.split('/')[1] ?? '').filter((s) => s && s !== '*'),
      );
      assert.deepEqual([...firsts].sort(), [...OWN_TOP_SEGMENTS].sort());
    } finally {
      await svc.close();
    }
  });

  test('the edge takes the prefix off whole and once: /svc and /svc/x, not /svcx or a second /svc', () => {
    const path = pathWithoutPrefix('/svc');
    const at = (p: string) => path(new Request(`http://h${p}`));
    assert.equal(at('/svc'), '/');
    assert.equal(at('/svc/'), '/');
    assert.equal(at('/svc/jobs/x?y=1'), '/jobs/x');
    assert.equal(at('/jobs/x'), '/jobs/x');
    assert.equal(at('/svcx/jobs'), '/svcx/jobs');
    assert.equal(at('/svc/svc/jobs'), '/svc/jobs');
    assert.equal(pathWithoutPrefix('')(new Request('http://h/svc/jobs')), '/svc/jobs');
  });
});
