/**
 * Deeply nested input, over a real listening server and the backend's command socket: a value
 * or a whole body nested 1,000 or 100,000 deep, to every route that takes a body. Each gets a
 * 4xx (never a 500) naming the field or the body, nothing is created, and the server still
 * answers. A JSON value nested 100,000 deep parses, but String() of it overflows the stack:
 * the JSON reader bounds the depth before any code walks the value (web/body.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { browserView, FIXTURE_SERVICE, JOBDIR_BIN, jobCount, tempDir } from './helpers.js';
import { ADMIN_AUTH, startTestServer, type TestServer } from './server.js';
import { socketRequest } from '../src/socket/index.js';
import { InputError } from '../src/errors.js';
import type { Service } from '../src/service/types.js';
import { validateApiSubmission } from '../src/web/api/submission.js';
import { tooDeep } from '../src/web/body.js';

const DEPTHS = [1_000, 100_000];
/** `inner` inside n arrays: [[[…1…]]]. */
const arrays = (n: number, inner = '1') => '['.repeat(n) + inner + ']'.repeat(n);
/** n objects, each the value of the key `a` of the one around it. */
const objects = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
const NESTED = /is nested deeper than 32 levels/;

const json = (body: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body,
});
const urlencoded = (body: string, cookie = ''): RequestInit => ({
  method: 'POST',
  redirect: 'manual',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie && { cookie }) },
  body,
});

describe('deeply nested input gets a 4xx naming what is wrong, on every route that takes a body', () => {
  let svc: TestServer;
  let sock: string;
  before(async () => {
    const root = tempDir('jobdir-deep-');
    sock = join(root, 'b.sock');
    svc = await startTestServer(
      { general: { service: FIXTURE_SERVICE, socket: sock } },
      { root, admin: true },
    );
  });
  after(() => svc.close());

  /** Send, check the answer, and check that no job appeared and the server still answers. */
  async function refused(
    what: string,
    init: RequestInit,
    path: string,
    check: (status: number, text: string) => void,
  ): Promise<void> {
    const jobs = await jobCount(svc.root);
    const res = await fetch(`${svc.url}${path}`, init);
    const text = await res.text();
    assert.ok(
      res.status >= 400 && res.status < 500,
      `${what} → ${res.status} ${text.slice(0, 200)}`,
    );
    check(res.status, text);
    assert.equal(await jobCount(svc.root), jobs, `${what}: no job was created`);
    assert.equal((await fetch(`${svc.url}/api/parameters`)).status, 200, `${what}: still serving`);
  }
  /** A 400 of the API whose fields name `field` with a problem matching `rule`. */
  const apiField =
    (field: string, rule: RegExp) =>
    (status: number, text: string): void => {
      assert.equal(status, 400, text.slice(0, 200));
      const { error } = JSON.parse(text) as { error: { fields: Record<string, string> } };
      assert.match(error.fields[field] ?? '', rule, `${field} named: ${text.slice(0, 200)}`);
    };

  for (const n of DEPTHS) {
    test(`POST /api/jobs (JSON), ${n.toLocaleString('en')} deep: a field, the whole body, a bulk element`, async () => {
      const to = '/api/jobs';
      const field = `{"type":"sleep","seconds":${arrays(n)}}`;
      await refused('field', json(field), to, apiField('seconds', NESTED));
      await refused('type', json(`{"type":${arrays(n, '"sleep"')}}`), to, apiField('type', NESTED));
      await refused('whole body', json(arrays(n)), to, apiField('body', NESTED));
      await refused('objects', json(objects(n)), to, apiField('a', NESTED));
      const bulk = `[{"type":"sleep","seconds":1},{"type":"sleep","seconds":${arrays(n)}}]`;
      await refused('bulk element', json(bulk), to, apiField('[1].seconds', NESTED));
    });

    test(`POST /api/jobs (multipart), ${n.toLocaleString('en')} deep: a value or a key of brackets is text`, async () => {
      const form = new FormData();
      form.set('type', 'sleep');
      form.set('seconds', arrays(n));
      await refused('value', { method: 'POST', body: form }, '/api/jobs', (status, text) => {
        apiField('seconds', /must be a number \(such as 2\.5\), not "\[\[\[/)(status, text);
        assert.ok(text.length < 2000, 'the value is not echoed whole');
      });
      const keyed = new FormData();
      keyed.set('type', 'sleep');
      keyed.set('seconds', '1');
      keyed.set(`seconds${'[0]'.repeat(n)}`, '1');
      await refused(
        'key',
        { method: 'POST', body: keyed },
        '/api/jobs',
        apiField(`seconds${'[0]'.repeat(n)}`.slice(0, 60), /is not a parameter of sleep/),
      );
    });

    test(`POST /api/my-jobs (JSON), ${n.toLocaleString('en')} deep: refused before it is read (413) or naming email`, async () => {
      const to = '/api/my-jobs';
      for (const [what, body, field] of [
        ['email', `{"email":${arrays(n, '"a@b.test"')}}`, 'email'],
        ['whole body', arrays(n), 'body'],
      ] as const) {
        await refused(what, json(body), to, (status, text) =>
          // Over the route's 16 KiB the 413 comes first, from the Content-Length alone.
          body.length > 16 * 1024
            ? assert.equal(status, 413)
            : apiField(field, NESTED)(status, text),
        );
      }
    });

    test(`POST /jobs (the HTML form), ${n.toLocaleString('en')} deep: the field is named beside its input`, async () => {
      const page = await browserView(await fetch(`${svc.url}/`));
      const post = (fields: string) =>
        urlencoded(`csrf=${page.csrf}&type=sleep&${fields}`, page.cookie);
      await refused('value', post(`seconds=${arrays(n)}`), '/jobs', (status, html) => {
        assert.equal(status, 400);
        assert.match(
          html,
          /id="seconds-err"[^>]*>must be a number \(such as 2\.5\), not &quot;\[\[\[/,
        );
      });
      await refused('whole body', post(arrays(n)), '/jobs', (status, html) => {
        assert.equal(status, 400);
        assert.match(html, /<li>\[\[\[\[[^<]*: is not a parameter of sleep</);
      });
      await refused('JSON', json(`{"seconds":${arrays(n)}}`), '/jobs', (status) =>
        // A JSON body is no form: it carries no CSRF token.
        assert.equal(status, 403),
      );
    });

    test(`POST /jdispatcher/sleep/run, ${n.toLocaleString('en')} deep: the XML error names the parameter`, async () => {
      const to = '/jdispatcher/sleep/run';
      await refused('value', urlencoded(`seconds=${arrays(n)}`), to, (status, xml) => {
        assert.equal(status, 400);
        assert.match(xml, /seconds: must be a number \(such as 2\.5\), not "\[\[\[/);
      });
      await refused('JSON', json(`{"seconds":${arrays(n)}}`), to, (status, xml) => {
        assert.equal(status, 415);
        assert.match(xml, /Send the parameters as a form/);
      });
    });

    test(`the small forms (/my-jobs, a job's cancel, the admin's actions), ${n.toLocaleString('en')} deep`, async () => {
      const page = await browserView(await fetch(`${svc.url}/my-jobs`));
      const body = `csrf=${page.csrf}&email=${arrays(n)}`;
      const tooLarge = body.length > 16 * 1024;
      await refused('my-jobs', urlencoded(body, page.cookie), '/my-jobs', (status, html) =>
        tooLarge
          ? assert.equal(status, 413)
          : (assert.equal(status, 400),
            assert.match(html, /id="email-err"[^>]*>is longer than 254 characters</)),
      );
      // No job id is valid here: the form is read (and its CSRF token checked) before the id.
      await refused('cancel', urlencoded(`csrf=${arrays(n)}`), '/jobs/bcdfg/cancel', (status) =>
        assert.equal(status, tooLarge ? 413 : 403),
      );
      const admin = urlencoded(`csrf=${arrays(n)}&confirm=yes`);
      (admin.headers as Record<string, string>).authorization = ADMIN_AUTH;
      await refused('admin', admin, '/admin/jobs/bcdfg/fail', (status) =>
        assert.equal(status, tooLarge ? 413 : 403),
      );
    });

    test(`the command socket and jobdir submit --file, ${n.toLocaleString('en')} deep`, async () => {
      const jobs = await jobCount(svc.root);
      const line = `sleep seconds=${arrays(n)}`;
      const answer = await socketRequest(sock, line);
      if (line.length > 64 * 1024) assert.match(answer, /^ERR .*(long|64)/i);
      else assert.match(answer, /^ERR seconds: must be a number \(such as 2\.5\), not "\[\[\[/);
      const file = join(tempDir('jobdir-deep-file-'), 'jobs.txt');
      await fs.writeFile(file, `${line}\n`);
      for (const to of [
        ['--url', svc.url],
        ['--socket', sock],
      ]) {
        const r = await submitCli([...to, '--file', file]);
        assert.equal(r.code, 1, `${to[0]}: ${r.err.slice(0, 300)}`);
        assert.equal(r.out, '');
        assert.match(r.err, /jobs\.txt, line 1: not accepted: /);
        if (to[0] === '--url' || line.length <= 64 * 1024)
          assert.match(r.err, /seconds: must be a number/);
      }
      assert.equal(await jobCount(svc.root), jobs, 'no job was created');
      assert.match(await socketRequest(sock, 'STATUS bcdfg'), /^ERR /);
    });
  }

  test('shallow nesting gets the rule of the field it is given to', async () => {
    const to = '/api/jobs';
    const must = (types: string) => new RegExp(`^must be ${types}, not array$`);
    await refused('seconds', json('{"type":"sleep","seconds":[[[1]]]}'), to, (status, text) =>
      apiField('seconds', must('string or number or boolean'))(status, text),
    );
    // String([["sleep"]]) is "sleep": a type given as an array must not pass for its text.
    await refused('type', json(`{"type":${arrays(20, '"sleep"')},"seconds":1}`), to, (s, t) =>
      apiField('type', must('string'))(s, t),
    );
    await refused('text', json(`{"type":"ok","text":${arrays(31)}}`), to, (s, t) =>
      apiField('text', must('string or number or boolean'))(s, t),
    );
    await refused('33 deep', json(`{"type":"ok","text":${arrays(32)}}`), to, (s, t) =>
      apiField('text', NESTED)(s, t),
    );
  });
  test('a submission checked without the JSON reader is held to the same bound (no String() of 100,000 levels)', async () => {
    const service = (await import(FIXTURE_SERVICE)).default as Service;
    for (const [body, field] of [
      [{ type: 'sleep', seconds: JSON.parse(arrays(100_000)) }, 'seconds'],
      [{ type: JSON.parse(arrays(100_000, '"sleep"')) }, 'type'],
    ] as const) {
      assert.throws(
        () => validateApiSubmission(service, body),
        (err) => err instanceof InputError && NESTED.test(err.fields[field] ?? ''),
      );
    }
  });
  test('the bound names the field, the bulk element or the body, and walks a wide body level by level', () => {
    const cases: [string, string | null][] = [
      [`{"text":${arrays(31)}}`, null],
      [`{"text":${arrays(32)}}`, 'text'],
      [`{"a":{"b":{"c":${arrays(40)}}}}`, 'a'],
      [`[{"a":1},{"b":${arrays(40)}}]`, '[1].b'],
      [`[[{"a":${arrays(40)}}]]`, 'body'],
      [`{"__proto__":${arrays(40)}}`, '__proto__'],
      [`{"x]":{"k":${arrays(40)}}}`, 'x]'],
      ['"text"', null],
    ];
    for (const [text, at] of cases) assert.equal(tooDeep(JSON.parse(text)), at, text.slice(0, 40));
    // A million empty arrays side by side: one level deep, however many.
    assert.equal(tooDeep(JSON.parse(`[${Array(1_000_000).fill('[]').join(',')}]`)), null);
  });
});

/** `jobdir submit ARGS…`: exit code, stdout, stderr. */
function submitCli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const p = spawn(process.execPath, [JOBDIR_BIN, 'submit', ...args], { stdio: 'pipe' });
  let out = '';
  let err = '';
  p.stdout.on('data', (d: Buffer) => void (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => void (err += d.toString()));
  p.stdin.end();
  return new Promise((r) => p.once('exit', (code) => r({ code, out, err })));
}
