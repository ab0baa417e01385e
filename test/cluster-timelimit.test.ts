/**
 * A job killed by the cluster's own time limit fails as a time limit, with what the cluster
 * reports. Its own file: Slurm's smallest limit is a minute, checked every ~30 s, so this
 * test runs beside the other files instead of after them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clusterSections, endedAs, ENGINES, engineSkip, stateOf } from './cluster-engines.js';
import { idFromRedirect, submitForm, waitFor } from './helpers.js';
import { startTestServer, type TestServer } from './server.js';

for (const kind of ENGINES) {
  describe(`the ${kind} cluster's time limit`, { skip: engineSkip(kind) }, () => {
    let svc: TestServer;
    let longId = '';
    before(async () => {
      svc = await startTestServer(clusterSections(kind), { prefix: `jobdir-${kind}-limit-` });
      longId = idFromRedirect(await submitForm(svc.url, { type: 'long' }));
    });
    after(async () => {
      // A failed test must not leave the long job on the cluster.
      if (longId && (await stateOf(svc.root, longId)) === 'running') {
        await svc.backend?.cancel(longId, 'the test').catch(() => {});
        await waitFor(
          async () => (await stateOf(svc.root, longId)) === 'failed',
          60_000,
          'long job cancelled',
        ).catch(() => {});
      }
      await svc.close();
    });

    test("a job killed by the cluster's time limit fails as a time limit, with what the cluster reports", async () => {
      const c = await endedAs(
        svc.root,
        longId,
        'failed',
        180_000,
        'long job stopped by the cluster',
      );
      assert.equal(c.result?.failure_kind, 'time_limit', c.result?.failure);
      // Slurm's final state, not the COMPLETING it shows while it kills the job's processes.
      assert.match(
        c.result?.failure ?? '',
        kind === 'slurm' ? new RegExp(`Slurm job \\d+: TIMEOUT \\(TimeLimit\\)`) : /failed 37/,
      );
    });
  });
}
