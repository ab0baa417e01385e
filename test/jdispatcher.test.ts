/**
 * EBI's Job Dispatcher protocol at /jdispatcher/T over a real listening server, replaying
 * what EBI's clients (webservice-clients: perl/*.pl with LWP + XML::Simple, python/*.py
 * with urllib + xmltramp2) send and need: the Perl client posts every option it holds
 * (debugLevel, maxJobs, asyncjob, an empty email, …) to /run, polls /status while it
 * reads QUEUED, RUNNING or ERROR, then reads resulttypes and every result whatever the
 * status was, and ignores HTTP status codes; the Python client posts to /run/ and asks
 * for /parameters at start. XML is read here as XML::Simple reads it (xml-simple.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FIXTURE_SERVICE, idsIn, waitFor } from './helpers.js';
import { startTestServer, type TestServer } from './server.js';
import { el, xmlDocument, xmlText } from '../src/web/jdispatcher/xml.js';
import { type Simple, xmlIn } from './xml-simple.js';

const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers,
  body: new URLSearchParams(fields),
});
const STATUS_WORDS = ['QUEUED', 'RUNNING', 'FINISHED', 'FAILURE', 'ERROR', 'NOT_FOUND'];

/** Poll /status as the Perl client does (QUEUED, RUNNING and ERROR mean: ask again). */
async function pollStatus(base: string, id: string): Promise<string> {
  return waitFor(
    async () => {
      const s = await (await fetch(`${base}/status/${id}`)).text();
      assert.ok(
        STATUS_WORDS.includes(s),
        `status is one word without a newline: ${JSON.stringify(s)}`,
      );
      return ['QUEUED', 'RUNNING', 'ERROR'].includes(s) ? null : s;
    },
    20_000,
    `job ${id} to end`,
  );
}

/** resulttypes as the Perl client reads it: `@{$xml->{'type'}}` must be a list of hashes with identifier and fileSuffix. */
async function resultTypes(base: string, id: string): Promise<Record<string, string>[]> {
  const res = await fetch(`${base}/resulttypes/${id}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/xml/);
  const doc = xmlIn(await res.text()) as { type: Simple };
  assert.ok(
    Array.isArray(doc.type),
    'a list of types, not one (XML::Simple would give a hash: "Not an ARRAY reference")',
  );
  for (const t of doc.type as Record<string, string>[]) {
    for (const k of ['identifier', 'label', 'description', 'mediaType', 'fileSuffix'])
      assert.equal(typeof t[k], 'string', `${k} is text in ${JSON.stringify(t)}`);
    for (const k of ['name', 'key', 'id'])
      assert.ok(!(k in t), `no ${k} (XML::Simple folds on it)`);
  }
  return doc.type as Record<string, string>[];
}

test('XML text is escaped, and characters XML cannot hold are dropped', () => {
  assert.equal(
    xmlText('a<b>&c "d" \u0001\u0000\uD800\uFFFE é 🧬\t\n'),
    'a&lt;b&gt;&amp;c "d"  é 🧬\t\n',
  );
  const doc = xmlDocument(
    el('types', el('type', el('identifier', '</identifier><id>x</id>'), el('label', 'ok'))),
  );
  assert.deepEqual(xmlIn(doc), { type: { identifier: '</identifier><id>x</id>', label: 'ok' } });
});

describe('the Job Dispatcher protocol (slow division)', () => {
  let svc: TestServer;
  let base: string;
  before(async () => {
    svc = await startTestServer();
    base = `${svc.url}/jdispatcher/divide`;
  });
  after(() => svc.close());

  test('parameters and parameterdetails, with and without the trailing slash, in the shape the clients print', async () => {
    for (const p of ['/parameters', '/parameters/']) {
      const res = await fetch(base + p);
      assert.equal(res.status, 200, p);
      assert.deepEqual(xmlIn(await res.text()), { id: ['x', 'y', 'email'] });
    }
    for (const p of ['/parameterdetails/x', '/parameterdetails/x/']) {
      const d = xmlIn(await (await fetch(base + p)).text()) as Record<string, string>;
      assert.equal(d.name, 'x');
      assert.equal(d.type, 'INTEGER');
      assert.match(d.description!, /^x \(dividend\)\. Required\.$/);
    }
    const greet = xmlIn(
      await (await fetch(`${svc.url}/jdispatcher/greet/parameterdetails/steps`)).text(),
    ) as { values: { value: Simple } };
    assert.deepEqual(
      greet.values.value,
      { label: '5', value: '5', defaultValue: 'true' },
      'one value (a scalar to XML::Simple) for a wide range',
    );
    const missing = await fetch(`${base}/parameterdetails/z`);
    assert.equal(missing.status, 404);
    assert.match(
      (xmlIn(await missing.text()) as { description: string }).description,
      /divide has no parameter "z"/,
    );
  });

  test("the Perl client's whole flow: run with its own fields, poll, result types, every result", async () => {
    // What clustalo.pl-style clients post: the tool's parameters plus every option they hold.
    const res = await fetch(
      `${base}/run`,
      form({
        x: '7',
        y: '2',
        email: '',
        debugLevel: '0',
        maxJobs: '1',
        asyncjob: '1',
        outfile: 'res',
        outformat: 'out',
        pollFreq: '1',
        title: 'my job',
        addformats: 'false',
        verbose: '1',
      }),
    );
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const id = await res.text();
    assert.match(
      id,
      /^[bcdfghjkmnpqrstvwxyz]{12}$/,
      'the bare id: no newline, safe in URLs and file names',
    );
    assert.equal(await pollStatus(base, id), 'FINISHED');
    const types = await resultTypes(base, id);
    assert.deepEqual(
      types.map((t) => [t.identifier, t.fileSuffix]),
      [
        ['out', 'txt'],
        ['error', 'txt'],
      ],
    );
    const out = await fetch(`${base}/result/${id}/out/`);
    assert.equal(out.status, 200);
    assert.match(out.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(await out.text(), 'The answer is: 3.5\n');
    assert.equal(await (await fetch(`${base}/result/${id}/error`)).text(), '');
    const none = await fetch(`${base}/result/${id}/nope`);
    assert.equal(none.status, 404);
    assert.match(await none.text(), /<error><description>Job \w+ has no result of type "nope"/);
    const api = (await (await fetch(`${svc.url}/api/jobs/${id}`)).json()) as {
      state: string;
      inputs?: unknown;
    };
    assert.equal(api.state, 'completed', 'the same job the API sees');
  });

  test('a failing job reads FAILURE, and still has two result types: out, and error with the reason first', async () => {
    const id = await (await fetch(`${base}/run/`, form({ x: '1', y: '0', email: '' }))).text();
    assert.equal(await pollStatus(base, id), 'FAILURE');
    const types = await resultTypes(base, id);
    assert.deepEqual(
      types.map((t) => t.identifier),
      ['out', 'error'],
    );
    const error = await (await fetch(`${base}/result/${id}/error`)).text();
    assert.match(error.split('\n')[0]!, /cannot divide 1 by zero/);
  });

  test('unknown, malformed and garbage ids all read NOT_FOUND (the Perl client polls whatever /run answered)', async () => {
    const refused = await (await fetch(`${base}/run`, form({ x: 'abc', y: '1' }))).text();
    const other = await (
      await fetch(`${svc.url}/jdispatcher/greet/run`, form({ name: 'Ann', steps: '1' }))
    ).text();
    for (const id of [
      'bcdfghjkmnpq',
      'nosuchjob',
      'BCDFGHJKMNPQ',
      '%2e%2e%2fetc%2fpasswd',
      '..%2f..',
      'a/b/c',
      '',
      'x'.repeat(500),
      encodeURIComponent(refused),
      refused.replace(/[?#]/g, ''),
      other,
    ]) {
      const res = await fetch(`${base}/status/${id}`);
      assert.equal(await res.text(), 'NOT_FOUND', id);
      assert.equal(res.status, 404, id);
    }
    assert.equal(
      await (await fetch(`${svc.url}/jdispatcher/nope/status/${other}`)).text(),
      'NOT_FOUND',
    );
    for (const p of [
      `/resulttypes/bcdfghjkmnpq`,
      `/result/bcdfghjkmnpq/out`,
      `/resulttypes/${other}`,
    ]) {
      const res = await fetch(base + p);
      assert.equal(res.status, 404, p);
      assert.deepEqual(
        xmlIn(await res.text()),
        { description: 'No job with this id was found.' },
        p,
      );
    }
  });

  test("bad input, an unknown parameter or an unknown tool: an XML error with a 4xx and the form's words, and no job", async () => {
    const before =
      (await idsIn(svc.root, 'incoming')).length + (await idsIn(svc.root, 'completed')).length;
    const bad = await fetch(
      `${base}/run`,
      form({ x: 'abc', y: '2', z: '1', email: 'not-an-email' }),
    );
    assert.equal(bad.status, 400);
    const msg = (xmlIn(await bad.text()) as { description: string }).description;
    assert.match(msg, /x: must be a whole number/);
    assert.match(msg, /z: is not a parameter of divide/);
    assert.match(msg, /email: "not-an-email" is not a valid email address/);
    const typed = await fetch(`${base}/run`, form({ x: '1', y: '2', type: 'greet' }));
    assert.equal(typed.status, 400);
    const tool = await fetch(`${svc.url}/jdispatcher/nope/run/`, form({ x: '1' }));
    assert.equal(tool.status, 404);
    assert.match(await tool.text(), /There is no tool "nope" here; the tools are: divide, greet/);
    const json = await fetch(`${base}/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"x":1,"y":2}',
    });
    assert.equal(json.status, 415);
    const route = await fetch(`${svc.url}/jdispatcher/divide/nothing`);
    assert.equal(route.status, 404);
    assert.match(await route.text(), /<error><description>There is no Job Dispatcher route/);
    assert.equal(
      (await idsIn(svc.root, 'incoming')).length + (await idsIn(svc.root, 'completed')).length,
      before,
    );
  });

  test("a browser's cross-site form post is refused 403; a bare script post and a same-origin page are accepted", async () => {
    for (const headers of <Record<string, string>[]>[
      { origin: 'https://elsewhere.example' },
      { 'sec-fetch-site': 'cross-site', origin: 'https://elsewhere.example' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'null' },
    ]) {
      const res = await fetch(`${base}/run`, form({ x: '1', y: '1' }, headers));
      assert.equal(res.status, 403, JSON.stringify(headers));
      assert.match(
        await res.text(),
        /<error><description>This request was sent by a page of another site/,
      );
    }
    for (const headers of <Record<string, string>[]>[
      {},
      { origin: svc.url },
      { origin: 'http://jobs.example.test' },
      { 'sec-fetch-site': 'same-origin', origin: svc.url },
    ]) {
      const res = await fetch(`${base}/run`, form({ x: '1', y: '1' }, headers));
      assert.equal(res.status, 200, JSON.stringify(headers));
    }
  });

  test("a body over the job type's limit is 413 XML with nothing kept", async () => {
    const res = await fetch(
      `${base}/run`,
      form({ x: '1', y: '1', title: 'x'.repeat(2 * 1024 * 1024) }),
    );
    assert.equal(res.status, 413);
    assert.match(
      await res.text(),
      /<description>The submission is larger than this service accepts/,
    );
  });

  test('the OpenAPI document describes the Job Dispatcher routes', async () => {
    const doc = (await (await fetch(`${svc.url}/api/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
      info: { description: string };
    };
    for (const p of [
      '/jdispatcher/{tool}/run',
      '/jdispatcher/{tool}/status/{id}',
      '/jdispatcher/{tool}/resulttypes/{id}',
      '/jdispatcher/{tool}/result/{id}/{type}',
      '/jdispatcher/{tool}/parameters',
      '/jdispatcher/{tool}/parameterdetails/{name}',
    ])
      assert.ok(doc.paths[p], p);
    assert.match(doc.info.description, /\| failed \(technical\) \| FAILURE \|/);
  });
});

describe('the Job Dispatcher protocol: failed, cancelled and rate-limited jobs', () => {
  let svc: TestServer;
  before(async () => {
    svc = await startTestServer({
      general: { service: FIXTURE_SERVICE },
      limits: { running: 1 },
      web: { submit_limit: '6/1h' },
    });
  });
  after(() => svc.close());

  test('a program that fails, a running job cancelled and a queued job cancelled all read FAILURE with out and error', async () => {
    const run = (type: string, fields: Record<string, string> = {}) =>
      fetch(`${svc.url}/jdispatcher/${type}/run`, form(fields)).then((r) => r.text());
    const failed = await run('exit1');
    assert.equal(await pollStatus(`${svc.url}/jdispatcher/exit1`, failed), 'FAILURE');
    assert.match(
      await (await fetch(`${svc.url}/jdispatcher/exit1/result/${failed}/error`)).text(),
      /exit1: the input makes no sense/,
    );
    const running = await run('sleep', { seconds: '60' });
    const queued = await run('sleep', { seconds: '60' });
    const sleep = `${svc.url}/jdispatcher/sleep`;
    await waitFor(
      async () => (await (await fetch(`${sleep}/status/${running}`)).text()) === 'RUNNING',
      15_000,
      'running',
    );
    assert.equal(await (await fetch(`${sleep}/status/${queued}`)).text(), 'QUEUED');
    const early = await fetch(`${sleep}/resulttypes/${running}`);
    assert.equal(early.status, 409);
    assert.match(await early.text(), /has not finished yet \(RUNNING\)/);
    for (const id of [queued, running])
      assert.equal(
        (await fetch(`${svc.url}/api/jobs/${id}/cancel`, { method: 'POST' })).status,
        202,
      );
    for (const id of [queued, running]) {
      assert.equal(await pollStatus(sleep, id), 'FAILURE', id);
      assert.deepEqual((await resultTypes(sleep, id)).map((t) => t.identifier).slice(0, 2), [
        'out',
        'error',
      ]);
      assert.match(await (await fetch(`${sleep}/result/${id}/error`)).text(), /cancelled/);
    }
  });

  test('/run shares the submission rate limit: past it, 429 XML with Retry-After', async () => {
    let res = await fetch(`${svc.url}/jdispatcher/true/run`, form({}));
    for (let i = 0; i < 10 && res.status === 200; i++)
      res = await fetch(`${svc.url}/jdispatcher/true/run`, form({}));
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get('retry-after')) > 0);
    assert.match(await res.text(), /<error><description>Too many submissions from your address/);
  });
});
