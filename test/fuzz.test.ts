/**
 * Property-based fuzzing of the whole HTTP surface (fast-check): thousands of random and
 * malicious requests against a real server. Properties: never a 5xx, never a file created
 * outside the data root, never a reflected payload in an HTML response unescaped.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { ROOT, tempDir } from './helpers.js';
import { startTestServer, type TestServer } from './server.js';

const HOSTILE = join(ROOT, 'test/fixtures/hostile-service.ts');
/** Every injected markup carries this tag name, so an unescaped reflection is easy to spot. */
const TAG = 'fzq';
const MARK = 'pwnfz';
const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);

const nasty = fc.constantFrom(
  '..',
  '../',
  '..%2f',
  '%2e%2e%2f',
  '%252e%252e%252f',
  '..\\',
  '%c0%ae%c0%ae/',
  '\u2215',
  '%00',
  '\u0000',
  '\r\n',
  '%0d%0a',
  '%0d%0aSet-Cookie:%20x=1',
  `<${TAG}>`,
  `<${TAG} onerror=alert(1)>`,
  `"><${TAG}>`,
  `'><${TAG}>`,
  `javascript:alert(1)`,
  '{{7*7}}',
  '${7*7}',
  '`id`',
  '$(id)',
  ';id',
  '|id',
  `/tmp/${MARK}`,
  `../../../../tmp/${MARK}`,
  `${MARK}/../../x`,
  'config.ini',
  'jobdir.log',
  'argv',
  '.hidden',
  'by-id',
  '/etc/passwd',
  'A'.repeat(5000),
  'bcdfghjkmnpq',
  'zzzzzzzzzzzz',
  '\uFF0E\uFF0E\uFF0F',
  '\uD800',
  'Ω≈ç√',
  '%',
  '%%',
  '%zz',
  '?',
  '#',
  '&',
  '=',
);
const text = fc.oneof(
  nasty,
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.integer().map(String),
  fc.tuple(nasty, nasty).map(([a, b]) => a + b),
);
const segment = fc.oneof(
  text.map((s) => encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, '\uFFFD'))),
  nasty.filter(
    (s) => !/[\u0000-\u001f#?\u007f-\uffff]/.test(s) && s !== '%' && s !== '%%' && s !== '%zz',
  ),
);

const route = fc.oneof(
  fc.constant('/'),
  fc.constant('/jobs'),
  fc.constant('/api/jobs'),
  fc.constant('/my-jobs'),
  fc.constant('/api/my-jobs'),
  fc.constant('/api/openapi.json'),
  fc.constant('/api/parameters'),
  fc.constant('/admin'),
  fc.constant('/api/admin/whoami'),
  fc.constant('/healthz'),
  segment.map((s) => `/jobs/${s}`),
  segment.map((s) => `/api/jobs/${s}`),
  segment.map((s) => `/my-jobs/${s}`),
  segment.map((s) => `/api/parameters/${s}`),
  fc.tuple(segment, segment).map(([a, b]) => `/jobs/${a}/files/${b}`),
  fc.tuple(segment, segment).map(([a, b]) => `/api/jobs/${a}/files/${b}`),
  segment.map((s) => `/jobs/${s}/cancel`),
  segment.map((s) => `/api/jobs/${s}/cancel`),
  fc.array(segment, { maxLength: 5 }).map((s) => `/${s.join('/')}`),
  fc
    .tuple(fc.constantFrom('/', '/jobs', '/api/jobs'), text)
    .map(
      ([p, q]) =>
        `${p}?type=${encodeURIComponent(q.replace(/[\uD800-\uDFFF]/g, '\uFFFD'))}&token=${encodeURIComponent(q.replace(/[\uD800-\uDFFF]/g, '\uFFFD'))}`,
    ),
);

const fields = fc.dictionary(
  fc.oneof(
    fc.constantFrom('type', 'email', 'x', 'y', 'text', 'csrf', 'data', '__proto__', 'constructor'),
    fc.string({ maxLength: 12 }),
  ),
  fc.oneof(text, fc.constantFrom('echo', 'evil', 'upload', 'divide')),
  { maxKeys: 6 },
);
const body = fc.oneof(
  fc.constant(null),
  fields.map((f) => ({ type: 'application/json', data: JSON.stringify(f) as string | FormData })),
  fc
    .jsonValue({ maxDepth: 3 })
    .map((v) => ({ type: 'application/json', data: JSON.stringify(v) as string | FormData })),
  text.map((t) => ({ type: 'application/json', data: t as string | FormData })),
  fields.map((f) => ({
    type: 'application/x-www-form-urlencoded',
    data: new URLSearchParams(f).toString() as string | FormData,
  })),
  fc.tuple(fields, text, fc.uint8Array({ maxLength: 200 })).map(([f, name, bytes]) => {
    const fd = new FormData();
    for (const [k, v] of Object.entries(f)) fd.append(k, v);
    fd.append(Object.keys(f)[0] ?? 'data', new Blob([bytes]), name.replace(/[\r\n"]/g, '') || 'x');
    return { type: '', data: fd as string | FormData };
  }),
  fc
    .tuple(
      fc.constantFrom(
        'text/plain',
        'application/xml',
        'multipart/form-data; boundary=zz',
        'application/json; charset=utf-16',
        '',
      ),
      text,
    )
    .map(([type, t]) => ({ type, data: t as string | FormData })),
);
const headerValue = fc.oneof(text, fc.constant('')).map((s) => s.replace(/[^\t\x20-\x7e]/g, ''));
const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'),
  path: route,
  body,
  cookie: fc.option(
    fc.oneof(
      headerValue.map((v) => `jobdir_csrf=${v}; jobdir_email=${v}`),
      headerValue,
    ),
    { nil: undefined },
  ),
  authorization: fc.option(
    fc.oneof(
      headerValue.map((v) => `Basic ${Buffer.from(v).toString('base64')}`),
      headerValue.map((v) => `Bearer ${v}`),
    ),
    { nil: undefined },
  ),
  forwarded: fc.option(headerValue, { nil: undefined }),
});

const CSRF = 'c'.repeat(32);
/** Submissions close to valid (and with a matching CSRF pair), so the deep paths and the re-shown form get fuzzed too. */
const submission = fc.record({
  method: fc.constant('POST'),
  path: fc.constantFrom('/api/jobs', '/jobs', '/api/my-jobs', '/my-jobs'),
  body: fc
    .tuple(
      fc.constantFrom('echo', 'upload', 'evil', 'divide', ''),
      text,
      fc.option(text, { nil: undefined }),
      fc.boolean(),
    )
    .map(([type, t, email, asForm]) => {
      const f: Record<string, string> = {
        type,
        text: t,
        ...(email !== undefined ? { email } : {}),
      };
      return asForm
        ? {
            type: 'application/x-www-form-urlencoded',
            data: new URLSearchParams({ ...f, csrf: CSRF }).toString() as string | FormData,
          }
        : { type: 'application/json', data: JSON.stringify(f) as string | FormData };
    }),
  cookie: fc.constant(`jobdir_csrf=${CSRF}`),
  authorization: fc.constant(undefined),
  forwarded: fc.constant(undefined),
});

async function listTree(dir: string): Promise<string[]> {
  return (await fs.readdir(dir, { recursive: true }).catch(() => [] as string[])).map(String);
}

describe('fuzzing the HTTP surface', () => {
  let base: string;
  let svc: TestServer;
  let outsideBefore: string[];
  let tmpBefore: Set<string>;
  before(async () => {
    base = tempDir('jobdir-fuzz-');
    await fs.mkdir(join(base, 'outside'));
    await fs.writeFile(join(base, 'outside', 'canary'), 'canary');
    const root = join(base, 'data');
    await fs.mkdir(root);
    svc = await startTestServer(
      {
        general: { service: HOSTILE },
        limits: { running: 2 },
        web: { submit_limit: '1000000/1h', miss_limit: '1000000/1h', max_body: '64K' },
      },
      { root },
    );
    outsideBefore = await listTree(join(base, 'outside'));
    tmpBefore = new Set(await fs.readdir(tmpdir()));
  });
  after(() => svc.close());

  test('thousands of random and malicious requests: no 5xx, no file outside the data root, no unescaped reflection', async () => {
    let count = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.oneof(request, submission), async (r) => {
        count++;
        const headers: Record<string, string> = {};
        if (r.body && r.body.type) headers['content-type'] = r.body.type;
        if (r.cookie !== undefined) headers.cookie = r.cookie;
        if (r.authorization !== undefined) headers.authorization = r.authorization;
        if (r.forwarded !== undefined) headers['x-forwarded-for'] = r.forwarded;
        const withBody = r.body && r.method !== 'GET' && r.method !== 'HEAD';
        const res = await fetch(`${svc.url}${r.path}`, {
          method: r.method,
          headers,
          body: withBody ? r.body!.data : undefined,
          redirect: 'manual',
        });
        const out = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        assert.ok(res.status < 500, `${r.method} ${r.path} → ${res.status}: ${out.slice(0, 300)}`);
        const type = res.headers.get('content-type') ?? '';
        if (!type.startsWith('application/json') && !type.startsWith('application/octet-stream')) {
          assert.ok(
            !new RegExp(`<${TAG}[\\s>]`).test(out),
            `${r.method} ${r.path} reflected markup unescaped: ${out.slice(0, 300)}`,
          );
        }
        // Node's HTTP parser answers oversized headers itself (431, empty body, no headers of
        // ours): nothing there to sniff. Every response the app makes carries nosniff.
        if (!(res.status === 431 && out === ''))
          assert.equal(
            res.headers.get('x-content-type-options'),
            'nosniff',
            `${r.method} ${r.path} → ${res.status}`,
          );
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    assert.equal(count, RUNS);
    assert.deepEqual(
      await listTree(join(base, 'outside')),
      outsideBefore,
      'nothing appeared beside the data root',
    );
    assert.equal(await fs.readFile(join(base, 'outside', 'canary'), 'utf8'), 'canary');
    const newInTmp = (await fs.readdir(tmpdir())).filter(
      (n) => !tmpBefore.has(n) && n.includes(MARK),
    );
    assert.deepEqual(newInTmp, [], 'nothing named by a payload appeared in the temp folder');
    const everywhere = (await listTree(base)).filter(
      (p) => p.includes(MARK) && !p.startsWith('data/'),
    );
    assert.deepEqual(everywhere, []);
    console.log(
      `fuzz: ${count} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`,
    );
  });
});
