/**
 * The admin's job search (/admin/jobs?q=) over a real server and store: jobs that really
 * ran to completed and failed, one archived by the sweep, one running and one queued, and
 * 55 more for paging. Each kind of query, newest first, paging, links to each job's admin
 * page, and bad queries answered 400 with a message (never a 500).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sweepOldJobs } from '../src/ops/sweep.js';
import { silentLog } from '../src/log.js';
import { findJob, readJob } from '../src/store/index.js';
import { FIXTURE_SERVICE, idFromRedirect, idsIn, submitForm, waitFor } from './helpers.js';
import { ADMIN_AUTH, startTestServer, type TestServer } from './server.js';

const DAY = 86_400_000;

describe('admin search over every job, in every state', () => {
  let svc: TestServer;
  /** A: archived, B: completed, C: failed, D: running, E: queued (in submission order). */
  const id = { A: '', B: '', C: '', D: '', E: '' };
  const bulk: string[] = [];

  const search = async (q: string, page?: string) => {
    const params = new URLSearchParams({ q, ...(page ? { page } : {}) });
    const res = await fetch(`${svc.url}/admin/jobs?${params}`, {
      headers: { authorization: ADMIN_AUTH },
    });
    const html = await res.text();
    return {
      status: res.status,
      html,
      ids: [...html.matchAll(/<tr id="hit-([a-z]+)"/g)].map((m) => m[1]!),
      total: Number(/<p id="summary">([\d,]+) jobs? match/.exec(html)?.[1]?.replace(/,/g, '') ?? 0),
      error:
        /<div class="box err" role="alert" id="q-error">([^<]*)</
          .exec(html)?.[1]
          ?.replace(/&quot;/g, '"')
          .replace(/&amp;/g, '&') ?? null,
    };
  };
  const submit = (fields: Record<string, string>) =>
    submitForm(svc.url, fields).then(idFromRedirect);
  const ended = (state: string, ids: string[]) =>
    waitFor(
      async () => {
        const there = await idsIn(svc.root, state);
        return ids.every((i) => there.includes(i));
      },
      60_000,
      `${ids.length} job(s) ${state}`,
    );

  before(async () => {
    svc = await startTestServer(
      {
        general: { service: FIXTURE_SERVICE },
        oldjobs: { archive: '30d', expire: 'NEVER' },
        'job sleep': { concurrent: 1 },
      },
      { admin: true },
    );
    id.A = await submit({ type: 'ok', text: 'a', email: 'Alice@Example.ORG' });
    await ended('completed', [id.A]);
    // The sweep, 31 days on: A (the only job ended yet) is archived as it would be then.
    const swept = await sweepOldJobs(
      { cfg: svc.cfg, service: svc.service, store: svc.store, log: silentLog },
      Date.now() + 31 * DAY,
    );
    assert.deepEqual(swept.archived, [id.A]);
    id.B = await submit({ type: 'ok', text: 'b', email: 'bob@lab.test' });
    await ended('completed', [id.B]);
    id.C = await submit({ type: 'exit1', email: 'alice@example.org' });
    await ended('failed', [id.C]);
    id.D = await submit({ type: 'sleep', seconds: '60', email: 'carol@lab.test' });
    await ended('running', [id.D]);
    id.E = await submit({ type: 'sleep', seconds: '60' });
    for (let i = 0; i < 55; i++) {
      const res = await fetch(`${svc.url}/api/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'true', email: 'many@bulk.test' }),
      });
      assert.equal(res.status, 201);
      bulk.push(((await res.json()) as { id: string }).id);
    }
    await ended('completed', bulk);
    assert.deepEqual(await idsIn(svc.root, 'incoming'), [id.E]);
  });
  after(async () => {
    for (const j of [id.E, id.D])
      if (j) await fetch(`${svc.url}/api/jobs/${j}/cancel`, { method: 'POST' });
    await svc?.close();
  });

  test('an empty query lists every job, in every state, newest first, 50 a page; each hit links to its admin page', async () => {
    const one = await search('');
    assert.equal(one.status, 200);
    assert.equal(one.total, 60);
    assert.equal(one.ids.length, 50);
    const two = await search('', '2');
    assert.equal(two.ids.length, 10);
    const all = [...one.ids, ...two.ids];
    // Newest first: by the submission times in config.ini (then by id, within one ms).
    const when = new Map<string, number>();
    for (const j of all)
      when.set(j, Date.parse((await readJob((await findJob(svc.store, j))!)).settings.submitted));
    const newest = [...all].sort((a, b) => when.get(b)! - when.get(a)! || (a < b ? -1 : 1));
    assert.deepEqual(all, newest);
    assert.deepEqual(all.slice(-5), [id.E, id.D, id.C, id.B, id.A]);
    assert.deepEqual(new Set(all), new Set([...Object.values(id), ...bulk]));
    for (const j of one.ids)
      assert.match(one.html, new RegExp(`<a href="/admin/jobs/${j}">${j}</a>`));
    assert.match(two.html, /<a href="\/admin\/jobs\?q=" rel="prev" id="prev">/);
    assert.match(one.html, /<a href="\/admin\/jobs\?q=&amp;page=2" rel="next" id="next">/);
    // The archived job's link opens its admin page.
    const page = await fetch(`${svc.url}/admin/jobs/${id.A}`, {
      headers: { authorization: ADMIN_AUTH },
    });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<td id="state">archived<\/td>/);
  });

  test('each kind of query finds exactly its jobs', async () => {
    const day = (await readJob((await findJob(svc.store, id.B))!)).settings.submitted;
    const cases: [string, string[]][] = [
      ['state:archived', [id.A]],
      ['archived', [id.A]],
      ['state:failed', [id.C]],
      ['state:running', [id.D]],
      ['state:queued', [id.E]],
      ['state:active', [id.E, id.D]],
      ['state:failed,archived', [id.C, id.A]],
      ['-state:completed', [id.E, id.D, id.C, id.A]],
      ['alice', [id.C, id.A]],
      ['email:EXAMPLE.org', [id.C, id.A]],
      ['email:lab.test', [id.D, id.B]],
      ['type:exit1', [id.C]],
      ['type:ok', [id.B, id.A]],
      ['type:ok,exit1', [id.C, id.B, id.A]],
      ['type:ok state:completed', [id.B]],
      ['alice state:failed', [id.C]],
      [`id:${id.B}`, [id.B]],
      [id.D, [id.D]],
      ['before:1h', []],
      ['2020-01-01', []],
      ['before:2999-01 state:failed', [id.C]],
      ['since:1h -email:bulk -state:active', [id.C, id.B, id.A]],
    ];
    for (const [q, want] of cases) {
      const r = await search(q);
      assert.equal(r.status, 200, `${q}: ${r.error}`);
      assert.deepEqual(r.ids, want, q);
      assert.equal(r.total, want.length, q);
    }
    const paged = await search('email:many@BULK.test', '2');
    assert.equal(paged.total, 55);
    assert.equal(paged.ids.length, 5);
    const since = await search('since:2h');
    assert.equal(since.total, 60);
    // A day (UTC): the jobs whose directories were made that day.
    const that = await search(day.slice(0, 10));
    assert.deepEqual((await search(`${day.slice(0, 10)} id:${id.B}`)).ids, [id.B]);
    let sameDay = 0;
    for (const j of [...Object.values(id), ...bulk]) {
      const job = await readJob((await findJob(svc.store, j))!);
      if (job.settings.submitted.slice(0, 10) === day.slice(0, 10)) sameDay++;
    }
    assert.equal(that.total, sameDay);
    const month = await search(day.slice(0, 7));
    assert.ok(month.total >= sameDay);
  });

  test('a job that moves is found in its new state at once (a small store is counted again for each search)', async () => {
    const res = await fetch(`${svc.url}/api/jobs/${id.E}/cancel`, { method: 'POST' });
    assert.equal(res.status, 202);
    await ended('failed', [id.E]);
    assert.deepEqual((await search('state:failed')).ids, [id.E, id.C]);
    assert.deepEqual((await search('state:queued')).ids, []);
    assert.match((await search('state:failed')).html, /\(as of \d\d:\d\d:\d\d UTC; [\d.]+ ms\)/);
  });

  test('bad queries are answered 400 with a message naming the word and what would be right, never a 500', async () => {
    const cases: [string, RegExp, string?][] = [
      ['stat:failed', /"stat:failed" uses an unknown filter stat: \(did you mean state:\?\)/],
      ['state:runing', /"state:runing" names no state \(did you mean running\?\)/],
      ['type:exitt', /"type:exitt" names no job type \(did you mean exit1\?\); types: count/],
      ['2026-13-45', /"2026-13-45" is not a date that exists/],
      ['since:soon', /"since:soon" needs a date \(2026-12-07, 2026-12\) or an age/],
      ['since:30m', /ambiguous: write min for minutes or mo for months/],
      ['id:123', /is not the start of a job id/],
      ['email:', /needs a value after email:/],
      ['x'.repeat(600), /is 600 characters long; a search reads up to 500/],
      [
        Array.from({ length: 17 }, (_, i) => `w${i}`).join(' '),
        /has 17 words; a search reads up to 16/,
      ],
      ['', /The page "0" is not a page number/, '0'],
      ['', /The page "abc" is not a page number/, 'abc'],
      ['', /The page "-1" is not a page number/, '-1'],
    ];
    for (const [q, rule, page] of cases) {
      const r = await search(q, page);
      assert.equal(r.status, 400, q);
      assert.match(r.error ?? '', rule, q);
      assert.deepEqual(r.ids, []);
      // The box keeps what was typed, so it can be corrected.
      if (q.length < 100) assert.ok(r.html.includes(`value="${q}"`), q);
    }
    const hostile = await search('<script>alert(1)</script> "x');
    assert.equal(hostile.status, 200);
    assert.ok(!hostile.html.includes('<script>alert'), 'the query is escaped');
    assert.equal(hostile.total, 0);
    const past = await search('', '99');
    assert.equal(past.status, 200);
    assert.match(past.html, /60 jobs match, but page 99 is past the last/);
  });

  test('the search asks for the admin credentials', async () => {
    const res = await fetch(`${svc.url}/admin/jobs?q=alice`);
    assert.equal(res.status, 401);
    assert.doesNotMatch(await res.text(), /alice/i);
  });
});
