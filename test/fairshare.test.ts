/**
 * Fair share through the real backend and real programs (test/fixtures/count.sh): a
 * latecomer's job takes the next free slot ahead of a big backlog, queue_position (read
 * from the API) predicts the order jobs start in, a limit of 1 takes turns, and
 * queue_order = fifo keeps submission order (kill -9 of the backend: fairshare-crash.test.ts). The programs record their own
 * runs in files outside the data root; the assertions read those files.
 */
import assert from 'node:assert/strict';
import { existsSync, promises as fs, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Running } from '../src/cli/serve.js';
import { idsIn, ROOT, submitJson, tempDir, waitFor } from './helpers.js';
import { readRuns } from './runs.js';
import { ADMIN_AUTH, closeAll, serveForTest, startTestServer } from './server.js';

const FAIR = join(ROOT, 'test/fixtures/fair-service.ts');
const svcs: Running[] = [];
after(() => closeAll(...svcs));

/** A service whose `count` jobs wait at a gate; `limits` adds [limits] keys; `admin`: ADMIN may sign in. */
async function gatedService(limits: Record<string, string | number>, { admin = false } = {}) {
  const outside = tempDir('jobdir-fair-outside-');
  const svc = await startTestServer({ general: { service: FAIR }, limits }, { admin });
  const { root, configFile } = svc;
  svcs.push(svc);
  const submit = (email: string) =>
    submitJson(svc.url, {
      type: 'count',
      email,
      log: join(outside, 'runs'),
      seconds: 0,
      gate: outside,
    });
  const started = async () =>
    (await fs.readdir(outside)).filter((f) => f.endsWith('.started')).map((f) => f.slice(0, -8));
  const position = async (id: string) =>
    ((await (await fetch(`${svc.url}/api/jobs/${id}`)).json()) as { queue_position: number | null })
      .queue_position;
  /** Open the gate of the earliest started job still held; resolves with the job that starts next. */
  const openOne = async (seen: string[]) => {
    const held = seen.find((id) => !existsSync(join(outside, id)))!;
    writeFileSync(join(outside, held), '');
    return waitFor(
      async () => (await started()).find((id) => !seen.includes(id)),
      15_000,
      `a job to start after ${held} ended`,
    );
  };
  /** Let every held program end (none outlives the test). */
  const openAll = (seen: string[]) => seen.forEach((id) => writeFileSync(join(outside, id), ''));
  return { root, configFile, svc, outside, submit, started, position, openOne, openAll };
}

describe('fair share with the real backend', () => {
  test("A submits 50 jobs, then B one: B's job starts in the next free slot, and queue_position predicted the whole start order", async () => {
    const g = await gatedService({ running: 2 });
    const a: string[] = [];
    for (let i = 0; i < 50; i++) a.push(await g.submit('a@example.test'));
    const first = await waitFor(
      async () => ((await g.started()).length === 2 ? g.started() : null),
      15_000,
      "two of A's jobs to run",
    );
    const b = await g.submit('b@example.test');
    const queued = await idsIn(g.root, 'incoming');
    assert.equal(queued.length, 49);
    const predicted = new Map<string, number>();
    for (const id of queued) predicted.set(id, (await g.position(id))!);
    assert.equal(predicted.get(b), 0, 'B is next');
    const seen = [...first];
    const order: string[] = [];
    while (order.length < 49) {
      const next = await g.openOne(seen);
      seen.push(next);
      order.push(next);
    }
    assert.equal(order[0], b, 'B started in the first slot that came free');
    order.forEach((id, i) =>
      assert.equal(
        predicted.get(id),
        i,
        `the ${i}th job to start (${id}) had queue_position ${predicted.get(id)}`,
      ),
    );
    assert.deepEqual(
      order.slice(1),
      a.filter((id) => !first.includes(id)),
      "A's jobs in submission order",
    );
    g.openAll(seen);
  });

  test("running = 1: A submits 6 jobs, then B one, then C one: B's and C's jobs start before A's second, each program once", async () => {
    const g = await gatedService({ running: 1 });
    const a = [await g.submit('a@example.test')];
    await waitFor(async () => (await g.started()).length === 1, 15_000, "A's first job to run");
    for (let i = 0; i < 5; i++) a.push(await g.submit('a@example.test'));
    const b = await g.submit('b@example.test');
    const c = await g.submit('c@example.test');
    const predicted = new Map<string, number>();
    for (const id of [...a.slice(1), b, c]) predicted.set(id, (await g.position(id))!);
    const seen = [a[0]!];
    while (seen.length < 8) seen.push(await g.openOne(seen));
    g.openAll(seen);
    assert.deepEqual(
      seen,
      [a[0], b, c, ...a.slice(1)],
      "A's first, then B's and C's (their first turns), then A's in submission order",
    );
    seen
      .slice(1)
      .forEach((id, i) =>
        assert.equal(predicted.get(id), i, `${id} started ${i}th of the waiting jobs`),
      );
    await waitFor(
      async () => (await idsIn(g.root, 'completed')).length === 8,
      15_000,
      'all 8 to complete',
    );
    const runs = readRuns(join(g.outside, 'runs'));
    assert.deepEqual(
      runs.map((r) => r.id),
      seen,
      'each program ran once, in that order (its own log)',
    );
  });

  test("queue_order = fifo: B's job waits behind all of A's, as before fair share", async () => {
    const g = await gatedService({ running: 2, queue_order: 'fifo' });
    for (let i = 0; i < 5; i++) await g.submit('a@example.test');
    const first = await waitFor(
      async () => ((await g.started()).length === 2 ? g.started() : null),
      15_000,
      "two of A's jobs to run",
    );
    const b = await g.submit('b@example.test');
    assert.equal(await g.position(b), 3);
    const seen = [...first];
    const order: string[] = [];
    while (order.length < 4) {
      const next = await g.openOne(seen);
      seen.push(next);
      order.push(next);
    }
    assert.equal(order[3], b, 'B last');
    g.openAll(seen);
  });
});

describe('what admins and users see', () => {
  test('the dashboard lists the queue in start order with counts per submitter, also from a web-only process; users see positions, never a submitter', async () => {
    const g = await gatedService({ running: 1 }, { admin: true });
    const a = [await g.submit('a@example.test')];
    await waitFor(async () => (await g.started()).length === 1, 15_000, "A's first job to run");
    a.push(await g.submit('a@example.test'), await g.submit('a@example.test'));
    const b = await g.submit('b@example.test');
    const web = await serveForTest(g.configFile, { webOnly: true });
    svcs.push(web);
    const admin = { authorization: ADMIN_AUTH };
    for (const url of [g.svc.url, web.url]) {
      const page = await (await fetch(`${url}/admin`, { headers: admin })).text();
      const rows = [...page.matchAll(/id="queued-([a-z]+)"/g)].map((m) => m[1]);
      assert.deepEqual(
        rows,
        [b, a[1], a[2]],
        `${url}: B first (none running), then A's in submission order`,
      );
      assert.match(
        page,
        /a@example\.test<\/td><td data-label="Waiting">2<\/td><td data-label="Running">1</,
      );
      assert.match(
        page,
        /b@example\.test<\/td><td data-label="Waiting">1<\/td><td data-label="Running">0</,
      );
    }
    const status = await (await fetch(`${g.svc.url}/api/jobs/${b}`)).text();
    assert.equal(JSON.parse(status).queue_position, 0);
    assert.equal(await g.position(a[2]!), 2);
    const results = await (await fetch(`${g.svc.url}/jobs/${b}`)).text();
    for (const text of [status, results])
      assert.doesNotMatch(text, /example\.test/, 'no address of anyone');
    g.openAll(a.concat(b));
  });
});
