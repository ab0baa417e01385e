/**
 * The Slurm and Grid Engine runners run jobs on the real engines (cluster-engines.ts):
 * jobs go in through HTTP and end with their result, their email, the program's error or
 * the cluster's words; resubmission, run() choosing the cluster, the wrapper's time limit
 * and array jobs. The cluster's own time limit is in cluster-timelimit.test.ts (a minute on
 * Slurm: its own file runs beside the others).
 */
import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resubmitJob } from '../src/ops/admin.js';
import {
  clusterJobsNamed,
  clusterRecord,
  clusterSections,
  endedAs,
  ENGINES,
  engineMissing,
  jobConfig,
  oneClusterJob,
  REQUIRED,
} from './cluster-engines.js';
import { idFromRedirect, idsIn, submitForm, waitFor } from './helpers.js';
import { type MailingTestServer, startTestServer } from './server.js';

for (const kind of ENGINES) {
  const down = engineMissing(kind);
  test(`the ${kind} engine answers`, { skip: REQUIRED ? false : down }, () =>
    assert.equal(down, false, String(down)),
  );
  describe(`the ${kind} runner on the real engine`, { skip: REQUIRED ? false : down }, () => {
    let root: string;
    let svc: MailingTestServer;
    before(async () => {
      svc = await startTestServer(clusterSections(kind), { prefix: `jobdir-${kind}-`, mail: true });
      root = svc.root;
    });
    after(() => svc.close());

    test('a job submitted through HTTP runs under the cluster, ends with its result and its email', async () => {
      const id = idFromRedirect(
        await submitForm(svc.url, {
          type: 'ok',
          text: 'hello cluster',
          email: 'carol@example.test',
        }),
      );
      await endedAs(root, id, 'completed', 60_000, 'job completed');
      const dir = join(root, 'jobs/completed', id);
      const rec = await clusterRecord(dir);
      assert.equal(rec.phase, 'submitted');
      assert.equal(rec.kind, kind);
      assert.equal(rec.name, `jd-${id}-1`);
      assert.match(rec.id ?? '', /^\d+$/);
      await oneClusterJob(kind, `jd-${id}-1`);
      assert.equal(await fs.readFile(join(dir, 'stdout.txt'), 'utf8'), 'hello cluster\n');
      assert.match(await (await fetch(`${svc.url}/jobs/${id}`)).text(), /echoed: hello cluster/);
      const mail = await waitFor(
        () => svc.smtp.messages.find((m) => (m.text ?? '').includes(`/jobs/${id}`)),
        15_000,
        'email',
      );
      assert.match(mail.to && 'text' in mail.to ? mail.to.text : '', /carol@example\.test/);
    });

    test("a failing program fails the job with the program's error", async () => {
      const id = idFromRedirect(await submitForm(svc.url, { type: 'exit1' }));
      const c = await endedAs(root, id, 'failed', 60_000, 'job failed');
      assert.equal(c.result?.failure_kind, 'program');
      assert.match(c.result?.failure ?? '', /the input makes no sense/);
    });

    test('a resubmitted cluster job runs under a new cluster name, so the old run can never be mistaken for it', async () => {
      const id = idFromRedirect(await submitForm(svc.url, { type: 'exit1' }));
      await endedAs(root, id, 'failed', 60_000, 'job failed');
      await resubmitJob(
        {
          cfg: svc.cfg,
          service: svc.service,
          store: svc.store,
          log: () => {},
          backend: svc.backend,
        },
        id,
      );
      await waitFor(
        async () =>
          (await idsIn(root, 'failed')).includes(id) &&
          (await clusterRecord(join(root, 'jobs/failed', id))).name === `jd-${id}-2`,
        60_000,
        'resubmitted job failed again',
      );
      // SGE's accounting shows a finished job about a second later: wait for both records.
      await waitFor(
        () =>
          clusterJobsNamed(kind, `jd-${id}-1`) === 1 && clusterJobsNamed(kind, `jd-${id}-2`) === 1,
        30_000,
        'one cluster job per name',
      );
    });

    test("a submission the cluster refuses fails the job with the cluster's words", async () => {
      const id = idFromRedirect(await submitForm(svc.url, { type: 'refused' }));
      const c = await endedAs(root, id, 'failed', 60_000, 'job failed');
      assert.equal(c.result?.failure_kind, 'technical');
      assert.match(
        c.result?.failure ?? '',
        new RegExp(
          `${kind === 'slurm' ? 'Slurm' : 'Grid Engine'} did not accept the job: .*no-such-option`,
        ),
      );
      assert.equal(clusterJobsNamed(kind, `jd-${id}-1`), 0);
    });

    test("the service's run() can send a job of a local type to the cluster", async () => {
      const id = idFromRedirect(await submitForm(svc.url, { type: 'chosen', where: kind }));
      await endedAs(root, id, 'completed', 60_000, 'job completed');
      assert.equal((await jobConfig(root, 'completed', id)).run?.runner, kind);
      assert.equal((await clusterRecord(join(root, 'jobs/completed', id))).kind, kind);
    });

    test("the job type's time_limit is enforced by the wrapper on the node, as locally", async () => {
      const id = idFromRedirect(await submitForm(svc.url, { type: 'capped' }));
      const c = await endedAs(root, id, 'failed', 60_000, 'job stopped at its limit');
      assert.equal(c.result?.failure_kind, 'time_limit');
      assert.match(c.result?.failure ?? '', /time limit exceeded \(2 s\)/);
      assert.match(
        await fs.readFile(join(root, 'jobs/failed', id, 'ERROR'), 'utf8'),
        /reason=time_limit/,
      );
    });

    test('an array job runs every task under the throttle and ends once every task has a marker', async () => {
      const id = idFromRedirect(await submitForm(svc.url, { type: 'tasks' }));
      await endedAs(root, id, 'completed', 90_000, 'array job completed');
      const dir = join(root, 'jobs/completed', id);
      const spans: [number, number][] = [];
      for (const t of [1, 2, 3]) {
        assert.ok(existsSync(join(dir, `SUCCESS.${t}`)), `SUCCESS.${t}`);
        const m = /^task (\d+) start (\S+) end (\S+)$/m.exec(
          await fs.readFile(join(dir, `stdout.${t}.txt`), 'utf8'),
        );
        assert.equal(m?.[1], String(t));
        spans.push([Number(m![2]), Number(m![3])]);
      }
      assert.equal(
        (await fetch(`${svc.url}/jobs/${id}/files/SUCCESS.1`)).status,
        404,
        "per-task markers are jobdir's, not results",
      );
      assert.equal((await fetch(`${svc.url}/jobs/${id}/files/stdout.2.txt`)).status, 200);
      spans.sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < spans.length; i++)
        assert.ok(
          spans[i]![0] >= spans[i - 1]![1],
          `with running_tasks = 1 task spans must not overlap: ${JSON.stringify(spans)}`,
        );
    });

    test('a failing array task fails the job and names the task', async () => {
      const id = idFromRedirect(await submitForm(svc.url, { type: 'tasks', fail: '2' }));
      const c = await endedAs(root, id, 'failed', 90_000, 'array job failed');
      assert.match(c.result?.failure ?? '', /array tasks failed: 2 of 3/);
    });
  });
}
