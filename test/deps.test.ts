/**
 * Jobs that start jobs, through a real service (web + backend), real wrappers and real
 * programs: a three-step follow_on chain, children a parent waits for, a child that
 * fails, fired children of a parent that fails, and two rounds of children.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { decodeJobConfig } from '../src/store/index.js';
import { idsIn, ROOT, submitJson, tempDir, waitFor, writeConfig, JOBDIR_BIN } from './helpers.js';
import { serveForTest, startTestServer, type TestServer } from './server.js';

const CHAIN = join(ROOT, 'test/fixtures/chain-service.ts');
const run = promisify(execFile);

async function ended(root: string, id: string): Promise<'completed' | 'failed'> {
  return waitFor(
    async () =>
      (await idsIn(root, 'completed')).includes(id)
        ? 'completed'
        : (await idsIn(root, 'failed')).includes(id)
          ? 'failed'
          : null,
    30_000,
    `job ${id} to end`,
  );
}

async function configOf(root: string, state: string, id: string) {
  return decodeJobConfig(await fs.readFile(join(root, 'jobs', state, id, 'config.ini'), 'utf8'));
}

describe('jobs that start jobs', () => {
  let root: string;
  let svc: TestServer;
  before(async () => {
    svc = await startTestServer(
      {
        general: { service: CHAIN },
        limits: { running: 2 },
        'job align': { follow_on: 'model' },
        'job model': { follow_on: 'score' },
      },
      { prefix: 'jobdir-deps-' },
    );
    root = svc.root;
  });
  after(() => svc.close());

  test("a three-step follow_on chain runs each step once, in order, each reading the previous step's output", async () => {
    const align = await submitJson(svc.url, {
      type: 'align',
      seq: 'ACGT',
      email: 'chain@example.test',
    });
    assert.equal(await ended(root, align), 'completed');
    const model = Object.keys((await configOf(root, 'completed', align)).children ?? {})[0]!;
    assert.ok(model, 'align records its follow-on');
    assert.equal(await ended(root, model), 'completed');
    const score = Object.keys((await configOf(root, 'completed', model)).children ?? {})[0]!;
    assert.equal(await ended(root, score), 'completed');
    const out = await fs.readFile(join(root, 'jobs/completed', score, 'stdout.txt'), 'utf8');
    assert.equal(out, 'align ACGT ran\nmodel ACGT ran\nscore ACGT ran\n');
    const c = await configOf(root, 'completed', score);
    assert.equal(c.settings?.parent, model);
    assert.equal(c.settings?.after_parent, 'true');
    assert.equal(
      c.settings?.email,
      'chain@example.test',
      'a follow-on is mailed to the same address',
    );
    // In order: each step started after its parent had completed.
    const startOf = async (id: string) =>
      (await fs.stat(join(root, 'jobs/completed', id, 'RUNNING'))).mtimeMs;
    const finishedOf = async (id: string) =>
      Date.parse((await configOf(root, 'completed', id)).result!.finished!);
    assert.ok((await startOf(model)) >= (await finishedOf(align)) - 5);
    assert.ok((await startOf(score)) >= (await finishedOf(model)) - 5);
    // The parent shows its child: page, API.
    const page = await (await fetch(`${svc.url}/jobs/${align}`)).text();
    assert.match(page, new RegExp(`href="/jobs/${model}"`));
    const api = (await (await fetch(`${svc.url}/api/jobs/${align}`)).json()) as {
      children: { id: string; state: string; type: string }[];
    };
    assert.deepEqual(
      api.children.map((x) => [x.id, x.type, x.state]),
      [[model, 'model', 'completed']],
    );
    const child = (await (await fetch(`${svc.url}/api/jobs/${model}`)).json()) as {
      parent: string | null;
    };
    assert.equal(child.parent, align);
    // Not execFileSync: the server runs in this process and must go on serving (and closing idle connections).
    const { stdout: shown } = await run(
      process.execPath,
      [JOBDIR_BIN, 'show', model, '--config', svc.configFile],
      { encoding: 'utf8' },
    );
    assert.match(
      shown,
      new RegExp(`parent     ${align} \\(this job starts once it has completed\\)`),
    );
    assert.match(
      shown,
      new RegExp(`children\\n    ${score}  score\\s+completed\\s+starts after this job completes`),
    );
  });

  test('a parent waits for its children, holding no run slot, and its postprocess sums their results', async () => {
    const id = await submitJson(svc.url, { type: 'fanout', n: '6' });
    assert.equal(await ended(root, id), 'completed');
    assert.equal(await fs.readFile(join(root, 'jobs/completed', id, 'sum.txt'), 'utf8'), '91\n');
    const kids = Object.keys((await configOf(root, 'completed', id)).children ?? {});
    assert.equal(kids.length, 6);
    for (const k of kids)
      assert.ok((await idsIn(root, 'completed')).includes(k), `child ${k} completed`);
  });

  test('a child that fails fails the parent that waited for it (no postprocess hook), naming the child', async () => {
    const id = await submitJson(svc.url, { type: 'fanfail' });
    assert.equal(await ended(root, id), 'failed');
    const c = await configOf(root, 'failed', id);
    const failing = Object.entries(c.children ?? {}).find(([, v]) => v.startsWith('fail '))![0];
    assert.match(
      c.result!.failure!,
      new RegExp(`Job ${failing} \\(fail\\), which this job waited for, failed: .*refusing`),
    );
  });

  test('a fired child waits for its parent: it runs after the parent completes, and fails naming the parent when the parent fails', async () => {
    const good = await submitJson(svc.url, { type: 'fires', ok: 'true' });
    const bad = await submitJson(svc.url, { type: 'fires', ok: 'false' });
    assert.equal(await ended(root, good), 'completed');
    assert.equal(await ended(root, bad), 'failed');
    const goodKid = Object.keys((await configOf(root, 'completed', good)).children ?? {})[0]!;
    const badKid = Object.keys((await configOf(root, 'failed', bad)).children ?? {})[0]!;
    assert.equal(await ended(root, goodKid), 'completed');
    assert.equal(await ended(root, badKid), 'failed');
    const why = (await configOf(root, 'failed', badKid)).result!.failure!;
    assert.match(why, new RegExp(`job ${bad}, which it was to follow, failed`));
    await assert.rejects(
      fs.stat(join(root, 'jobs/failed', badKid, 'RUNNING')),
      'the fired child of a failed parent never ran',
    );
  });

  test('a fired child stays queued while its parent runs, and its page says what it waits for', async () => {
    const id = await submitJson(svc.url, { type: 'slowfire' });
    const kid = await waitFor(
      async () => {
        const dir = (await idsIn(root, 'running')).includes(id) ? 'running' : null;
        return dir && Object.keys((await configOf(root, dir, id)).children ?? {})[0];
      },
      15_000,
      'the parent running with its child recorded',
    );
    assert.ok((await idsIn(root, 'incoming')).includes(kid), 'the child waits in incoming/');
    const page = await (await fetch(`${svc.url}/jobs/${kid}`)).text();
    assert.match(
      page,
      new RegExp(
        `Started by job <a href="/jobs/${id}">${id}</a>; it starts once that job has completed`,
      ),
    );
    const parentPage = await (await fetch(`${svc.url}/jobs/${id}`)).text();
    assert.match(
      parentPage,
      new RegExp(
        `<a href="/jobs/${kid}">${kid}</a> score: <span class="state queued">queued</span>`,
      ),
    );
    assert.equal(await ended(root, kid), 'completed');
    assert.ok((await idsIn(root, 'completed')).includes(id));
  });

  for (const via of ['the API', 'jobdir cancel']) {
    test(`cancelling a parent that waits for its children (${via}) stops them, and the parent ends cancelled`, async () => {
      const id = await submitJson(svc.url, { type: 'fannap' });
      const kids = await waitFor(
        async () => {
          if (!(await idsIn(root, 'postprocessing')).includes(id)) return null;
          const k = Object.keys((await configOf(root, 'postprocessing', id)).children ?? {});
          const running = await idsIn(root, 'running');
          return k.length === 2 && k.every((x) => running.includes(x)) ? k : null;
        },
        15_000,
        'the parent waiting and both children running',
      );
      assert.match(await (await fetch(`${svc.url}/jobs/${id}`)).text(), /Cancel this job/);
      if (via === 'the API') {
        assert.equal(
          (await fetch(`${svc.url}/api/jobs/${id}/cancel`, { method: 'POST' })).status,
          202,
        );
      } else {
        const { stdout: shown } = await run(
          process.execPath,
          [JOBDIR_BIN, 'cancel', id, '--config', svc.configFile],
          { encoding: 'utf8' },
        );
        assert.match(shown, /was waiting for 2 job\(s\) it started/);
      }
      assert.equal(await ended(root, id), 'failed');
      assert.match((await configOf(root, 'failed', id)).result!.failure!, /cancelled/);
      for (const k of kids) {
        assert.equal(await ended(root, k), 'failed');
        assert.equal((await configOf(root, 'failed', k)).result!.failure_kind, 'cancelled');
      }
    });
  }

  test('a postprocess that always starts more children fails its job after 50 rounds instead of looping', async () => {
    const id = await submitJson(svc.url, { type: 'forever' });
    assert.equal(await ended(root, id), 'failed');
    const c = await configOf(root, 'failed', id);
    assert.match(
      c.result!.failure!,
      /The postprocess step failed: it started children 51 times; the limit is 50/,
    );
    assert.equal(Object.keys(c.children ?? {}).length, 50);
  });

  test("the API's after=ID: a job waits for another to complete, fails naming it when it fails; bad ids are refused", async () => {
    const first = await submitJson(svc.url, { type: 'nap' });
    const next = await submitJson(svc.url, { type: 'score', seq: 'later', after: first });
    assert.equal(
      ((await (await fetch(`${svc.url}/api/jobs/${next}`)).json()) as { state: string }).state,
      'incoming',
    );
    const api = (await (await fetch(`${svc.url}/api/jobs/${first}`)).json()) as {
      children: { id: string }[];
    };
    assert.deepEqual(
      api.children.map((c) => c.id),
      [next],
    );
    assert.equal(
      (await fetch(`${svc.url}/api/jobs/${first}/cancel`, { method: 'POST' })).status,
      202,
    );
    assert.equal(await ended(root, next), 'failed');
    assert.match(
      (await configOf(root, 'failed', next)).result!.failure!,
      new RegExp(`job ${first}, which it was to follow, failed`),
    );
    const post = (body: Record<string, string>) =>
      fetch(`${svc.url}/api/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const refused = await post({ type: 'score', after: first });
    assert.equal(refused.status, 409);
    assert.match(
      ((await refused.json()) as { error: { message: string } }).error.message,
      /has failed; nothing would start after it/,
    );
    const unknown = await post({ type: 'score', after: 'bcdfghjkmnpq' });
    assert.equal(unknown.status, 400);
    assert.match(JSON.stringify(await unknown.json()), /there is no job bcdfghjkmnpq to wait for/);
    assert.equal((await post({ type: 'score', after: 'x' })).status, 400);
    const ok = await submitJson(svc.url, { type: 'align', seq: 'Q' });
    assert.equal(await ended(root, ok), 'completed');
    const after = await submitJson(svc.url, { type: 'score', seq: 'done', after: ok });
    assert.equal(await ended(root, after), 'completed');
  });

  test('postprocess may start children in rounds and sees all of them at the end', async () => {
    const id = await submitJson(svc.url, { type: 'rounds' });
    assert.equal(await ended(root, id), 'completed');
    assert.equal(
      await fs.readFile(join(root, 'jobs/completed', id, 'rounds.txt'), 'utf8'),
      'square:completed square:completed\n',
    );
  });
});

describe('follow_on checks', () => {
  test('a follow_on chain that loops is refused when the backend starts, naming the section and key', async () => {
    const root = tempDir('jobdir-deps-');
    const cfg = await writeConfig(root, {
      general: { service: CHAIN },
      'job align': { follow_on: 'model' },
      'job model': { follow_on: 'align' },
    });
    await assert.rejects(serveForTest(cfg), /\[job align\] follow_on loops: align → model → align/);
    assert.throws(
      () =>
        execFileSync(process.execPath, [JOBDIR_BIN, 'check-config', '--config', cfg], {
          encoding: 'utf8',
          stdio: 'pipe',
        }),
      (err: { stderr: string }) => /follow_on loops/.test(err.stderr),
    );
  });
  test('a follow_on naming no job type of the service is refused', async () => {
    await assert.rejects(
      startTestServer(
        { general: { service: CHAIN }, 'job align': { follow_on: 'modle' } },
        { prefix: 'jobdir-deps-' },
      ),
      /\[job align\] follow_on names "modle"/,
    );
  });
});
