/**
 * Cluster jobs stopped before they end. jobdir's own cancel (results page, `jobdir cancel`,
 * the API) ends as cancelled without an admin mail. A stop nobody in jobdir asked for (the
 * wrapper SIGKILLed as a node failure would; scancel, scancel -s KILL, qdel of a running or a
 * queued job) is a technical failure in the cluster's words: the admin is mailed, the user's
 * page says what happened.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  clusterJobsNamed,
  clusterRecord,
  clusterSections,
  endedAs,
  ENGINES,
  engineSkip,
  SGE_ENV,
} from './cluster-engines.js';
import {
  browserView,
  idFromRedirect,
  JOBDIR_BIN,
  postFrom,
  submitForm,
  waitFor,
} from './helpers.js';
import { mailsAbout, mailsDelivered, type MailingTestServer, startTestServer } from './server.js';

/** Cancel like a browser: the results page's form (CSRF token + cookie), then POST. */
async function cancelViaForm(url: string, id: string): Promise<number> {
  const page = await browserView(await fetch(`${url}/jobs/${id}`), { anyPage: true });
  return (await postFrom(page, `${url}/jobs/${id}/cancel`)).status;
}

for (const kind of ENGINES) {
  describe(`the ${kind} runner when a job is stopped`, { skip: engineSkip(kind) }, () => {
    let root: string;
    let svc: MailingTestServer;
    before(async () => {
      svc = await startTestServer(clusterSections(kind), { prefix: `jobdir-${kind}-`, mail: true });
      root = svc.root;
    });
    after(() => svc.close());

    /** A sleep job of this user's, once its wrapper runs on the cluster: its id, directory and cluster record. */
    const runningJob = async () => {
      const id = idFromRedirect(
        await submitForm(svc.url, { type: 'sleep', seconds: '300', email: 'user@example.test' }),
      );
      const dir = join(root, 'jobs/running', id);
      await waitFor(() => existsSync(join(dir, 'RUNNING')), 60_000, 'job running on the cluster');
      return { id, dir, rec: await clusterRecord(dir) };
    };
    /** A job of this user's held in the cluster's queue (it never starts by itself): its id and cluster record. */
    const heldJob = async () => {
      const id = idFromRedirect(
        await submitForm(svc.url, { type: 'held', email: 'user@example.test' }),
      );
      const dir = join(root, 'jobs/running', id);
      const rec = await waitFor(
        async () => {
          const r = await clusterRecord(dir);
          return r.phase === 'submitted' ? r : null;
        },
        60_000,
        'job held in the cluster queue',
      );
      assert.equal(existsSync(join(dir, 'RUNNING')), false);
      return { id, rec };
    };
    const recipients = (id: string) =>
      mailsAbout(svc, id)
        .map((m) => (m.to && 'text' in m.to ? m.to.text : ''))
        .sort();
    const active =
      kind === 'slurm'
        ? (cid: string) =>
            /PENDING|RUNNING|COMPLETING/.test(
              execFileSync('squeue', ['-h', '-t', 'all', '-j', cid, '-o', '%T'], {
                encoding: 'utf8',
              }),
            )
        : (cid: string) => {
            try {
              execFileSync('qstat', ['-j', cid], { stdio: 'pipe', env: SGE_ENV });
              return true;
            } catch {
              return false;
            }
          };

    /** A cancel from jobdir: the job ended as cancelled, its cluster job `cid` is gone, and only the user was mailed. */
    const endedCancelled = async (id: string, cid: string) => {
      const c = await endedAs(root, id, 'failed', 60_000, 'job cancelled');
      assert.equal(c.result?.failure_kind, 'cancelled', c.result?.failure);
      await waitFor(() => !active(cid), 30_000, 'cluster job gone');
      await mailsDelivered(svc, id);
      assert.deepEqual(recipients(id), ['user@example.test']);
    };

    const ownCancels: [string, (id: string) => Promise<void>][] = [
      ['the results page', async (id) => assert.equal(await cancelViaForm(svc.url, id), 303)],
      [
        'jobdir cancel',
        async (id) =>
          void execFileSync(
            process.execPath,
            [JOBDIR_BIN, 'cancel', id, '--config', svc.configFile],
            {
              stdio: 'pipe',
            },
          ),
      ],
      [
        'the API',
        async (id) =>
          assert.equal(
            (await fetch(`${svc.url}/api/jobs/${id}/cancel`, { method: 'POST' })).status,
            202,
          ),
      ],
    ];
    for (const [via, cancel] of ownCancels) {
      test(`a cancel from ${via} stops the cluster job; it ends as cancelled and the admin is not mailed`, async () => {
        const { id, rec } = await runningJob();
        await cancel(id);
        await endedCancelled(id, rec.id!);
      });
    }

    test('a cancel from the results page of a job still queued on the cluster ends it as cancelled; the admin is not mailed', async () => {
      const { id, rec } = await heldJob();
      assert.equal(await cancelViaForm(svc.url, id), 303);
      await endedCancelled(id, rec.id!);
    });

    test("a cluster job killed outside jobdir (no marker) fails after the grace period with the cluster's report", async () => {
      const id = idFromRedirect(await submitForm(svc.url, { type: 'sleep', seconds: '300' }));
      const dir = join(root, 'jobs/running', id);
      // The wrapper creates RUNNING, then writes its pid there: wait for the pid, not the file.
      const pid = await waitFor(
        async () =>
          /^pid=(\d+)$/m.exec(await fs.readFile(join(dir, 'RUNNING'), 'utf8').catch(() => ''))?.[1],
        60_000,
        'job running on the cluster',
      );
      const rec = await clusterRecord(dir);
      // Slurm: SIGKILL the wrapper itself (pid in RUNNING; this is a single-node cluster), as a node failure would.
      // Grid Engine: qdel, which KILLs a running job (no TERM first).
      if (kind === 'slurm') process.kill(Number(pid), 'SIGKILL');
      else execFileSync('qdel', [rec.id!], { env: SGE_ENV, stdio: 'pipe' });
      const c = await endedAs(root, id, 'failed', 60_000, 'job failed');
      assert.equal(c.result?.failure_kind, 'technical');
      if (kind === 'slurm') {
        assert.match(
          c.result?.failure ?? '',
          /The cluster job ended without a result: node failure, time or memory limit\?/,
        );
        assert.match(c.result?.failure ?? '', new RegExp(`Slurm job ${rec.id}: FAILED`));
      } else {
        // What Grid Engine reported, not a guess at node failure or limits.
        assert.match(
          c.result?.failure ?? '',
          /^The cluster killed the job before it could leave a result, as qdel or a limit the cluster enforces does/,
        );
        assert.match(
          c.result?.failure ?? '',
          new RegExp(
            `Grid Engine job ${rec.id}: failed 100 : assumedly after job, exit status 137`,
          ),
        );
      }
      assert.equal(clusterJobsNamed(kind, `jd-${id}-2`), 0);
      // The admin's mail (technical failure, the program wrote no stderr) has no empty stderr section.
      const admin = await waitFor(
        () =>
          svc.smtp.messages.find(
            (m) => m.subject?.includes(id) && m.subject.includes('(technical)'),
          ),
        15_000,
        'admin mail',
      );
      assert.doesNotMatch(admin.text ?? '', /\n\n\n/);
      assert.match(admin.text ?? '', /Error: .*\n\nJob directory: /);
      assert.ok((admin.text ?? '').includes(`Error: ${c.result!.failure!}`), admin.text);
      const page = await (await fetch(`${svc.url}/jobs/${id}`)).text();
      assert.match(page, /The job did not complete/);
      assert.ok(page.includes(c.result!.failure!), 'the failure on the results page');
    });

    /**
     * The job ended as a technical failure in the cluster's words `said`: the admin was mailed
     * that, and the user, whose results page says it too.
     */
    const failedOnCluster = async (id: string, said: RegExp) => {
      const c = await endedAs(root, id, 'failed', 60_000, 'job failed');
      assert.equal(c.result?.failure_kind, 'technical', c.result?.failure);
      assert.match(c.result?.failure ?? '', said);
      await mailsDelivered(svc, id);
      assert.deepEqual(recipients(id), ['admin@example.test', 'user@example.test']);
      const admin = mailsAbout(svc, id).find(
        (m) => m.to && 'text' in m.to && m.to.text === 'admin@example.test',
      )!;
      assert.match(admin.subject ?? '', new RegExp(`job ${id} failed \\(technical\\)`));
      assert.ok((admin.text ?? '').includes(`Error: ${c.result!.failure!}`), admin.text);
      const page = await (await fetch(`${svc.url}/jobs/${id}`)).text();
      assert.match(page, /The job did not complete/);
      assert.ok(page.includes(c.result!.failure!), 'the failure on the results page');
    };

    if (kind === 'slurm') {
      for (const how of [[], ['-s', 'KILL']]) {
        test(
          `a running job cancelled with scancel ${how.join(' ')} outside jobdir is a technical failure in Slurm's words; the admin is mailed`.replace(
            '  ',
            ' ',
          ),
          async () => {
            const { id, rec } = await runningJob();
            execFileSync('scancel', [...how, rec.id!], { stdio: 'pipe' });
            await failedOnCluster(
              id,
              new RegExp(
                `^The job was cancelled on the cluster, outside jobdir \\(Slurm job ${rec.id}: CANCELLED, exit code`,
              ),
            );
          },
        );
      }
    }

    test(`a job still queued on the cluster and deleted there (${kind === 'slurm' ? 'scancel' : 'qdel'}) is a technical failure; the admin is mailed`, async () => {
      const { id, rec } = await heldJob();
      if (kind === 'slurm') execFileSync('scancel', [rec.id!], { stdio: 'pipe' });
      else execFileSync('qdel', [rec.id!], { env: SGE_ENV, stdio: 'pipe' });
      await failedOnCluster(
        id,
        kind === 'slurm'
          ? new RegExp(
              `^The job was cancelled on the cluster, outside jobdir \\(Slurm job ${rec.id}: CANCELLED`,
            )
          : new RegExp(
              `^The cluster job left the queue before it started: deleted on the cluster \\(scancel, qdel\\) outside jobdir, or the cluster could not start it \\(Grid Engine has no accounting record of job ${rec.id}\\)`,
            ),
      );
    });
  });
}
