/**
 * Cluster jobs stopped before they end: cancelled from the results page, killed on the
 * cluster outside jobdir (Slurm: the wrapper SIGKILLed, as a node failure would; Grid
 * Engine: qdel), and cancelled with scancel; each fails with what the cluster reported.
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
import { browserView, idFromRedirect, postFrom, submitForm, waitFor } from './helpers.js';
import { type MailingTestServer, startTestServer } from './server.js';

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

    test('cancel stops the cluster job and the job ends as cancelled', async () => {
      const id = idFromRedirect(await submitForm(svc.url, { type: 'sleep', seconds: '300' }));
      await waitFor(
        () => existsSync(join(root, 'jobs/running', id, 'RUNNING')),
        60_000,
        'job running on the cluster',
      );
      const rec = await clusterRecord(join(root, 'jobs/running', id));
      assert.equal(await cancelViaForm(svc.url, id), 303);
      const c = await endedAs(root, id, 'failed', 60_000, 'job cancelled');
      assert.equal(c.result?.failure_kind, 'cancelled');
      const active =
        kind === 'slurm'
          ? () =>
              /PENDING|RUNNING|COMPLETING/.test(
                execFileSync('squeue', ['-h', '-t', 'all', '-j', rec.id!, '-o', '%T'], {
                  encoding: 'utf8',
                }),
              )
          : () => {
              try {
                execFileSync('qstat', ['-j', rec.id!], { stdio: 'pipe', env: SGE_ENV });
                return true;
              } catch {
                return false;
              }
            };
      await waitFor(() => !active(), 30_000, 'cluster job gone');
    });

    test("a cluster job killed outside jobdir (no marker) fails after the grace period with the cluster's report", async () => {
      const id = idFromRedirect(await submitForm(svc.url, { type: 'sleep', seconds: '300' }));
      const dir = join(root, 'jobs/running', id);
      await waitFor(() => existsSync(join(dir, 'RUNNING')), 60_000, 'job running on the cluster');
      const rec = await clusterRecord(dir);
      // Slurm: SIGKILL the wrapper itself (pid in RUNNING; this is a single-node cluster), as a node failure would.
      // Grid Engine: qdel, which KILLs a running job (no TERM first).
      if (kind === 'slurm')
        process.kill(
          Number(/^pid=(\d+)$/m.exec(await fs.readFile(join(dir, 'RUNNING'), 'utf8'))![1]),
          'SIGKILL',
        );
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
    });

    if (kind === 'slurm') {
      for (const how of [[], ['-s', 'KILL']]) {
        test(
          `a job cancelled with scancel ${how.join(' ')} outside jobdir fails as cancelled, in Slurm's words`.replace(
            '  ',
            ' ',
          ),
          async () => {
            const id = idFromRedirect(await submitForm(svc.url, { type: 'sleep', seconds: '300' }));
            const dir = join(root, 'jobs/running', id);
            await waitFor(
              () => existsSync(join(dir, 'RUNNING')),
              60_000,
              'job running on the cluster',
            );
            const rec = await clusterRecord(dir);
            execFileSync('scancel', [...how, rec.id!], { stdio: 'pipe' });
            const c = await endedAs(root, id, 'failed', 60_000, 'job failed');
            assert.equal(c.result?.failure_kind, 'cancelled', c.result?.failure);
            assert.match(
              c.result?.failure ?? '',
              new RegExp(
                `^The job was cancelled on the cluster, outside jobdir \\(Slurm job ${rec.id}: CANCELLED, exit code`,
              ),
            );
          },
        );
      }
    }
  });
}
