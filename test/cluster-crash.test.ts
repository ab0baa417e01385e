/**
 * The cluster runners across crashes of a real `jobdir serve` process (SIGKILL, also from
 * inside the submit command): a running cluster job is recovered, a submission the
 * cluster never had is made again, and one it had is found by name; each runs once.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, promises as fs, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type BackendProcess, kill9, startBackend, urlOf } from './backend-process.js';
import {
  clusterJobsNamed,
  clusterRecord,
  clusterSections,
  endedAs,
  ENGINES,
  type Kind,
  engineSkip,
  oneClusterJob,
  stateOf,
} from './cluster-engines.js';
import { idFromRedirect, submitForm, tempDir, waitFor, writeConfig } from './helpers.js';

/** A fresh data root whose job types run on `kind`, its config file and its state file. */
async function clusterRoot(kind: Kind, tag: string) {
  const root = tempDir(`jobdir-${kind}-${tag}-`);
  const config = await writeConfig(root, clusterSections(kind));
  return { root, config, stateFile: join(root, 'jobs/backend.state') };
}

/** `jobdir serve` with the submit command (sbatch or qsub) replaced by `script(real)`, `real` the command's path. */
async function serveWithSubmitShim(
  kind: Kind,
  root: string,
  config: string,
  script: (real: string) => string,
): Promise<BackendProcess> {
  const shim = join(root, 'shim');
  await fs.mkdir(shim);
  const cmd = kind === 'slurm' ? 'sbatch' : 'qsub';
  const real = execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim();
  writeFileSync(join(shim, cmd), script(real));
  chmodSync(join(shim, cmd), 0o755);
  return startBackend(config, { PATH: `${shim}:${process.env.PATH}` });
}

/** Resolves once the submit shim has killed the backend. */
const killedByShim = (b: BackendProcess) =>
  waitFor(
    () => b.proc.exitCode !== null || b.proc.signalCode !== null,
    60_000,
    'the backend killed by the submit shim',
  );

for (const kind of ENGINES) {
  describe(`the ${kind} runner across backend crashes`, { skip: engineSkip(kind) }, () => {
    test('a backend killed while a cluster job runs is restarted: the job is recovered, not resubmitted', async () => {
      const { root, config, stateFile } = await clusterRoot(kind, 'crash');
      let b = await startBackend(config);
      try {
        const id = idFromRedirect(await submitForm(urlOf(b), { type: 'sleep', seconds: '4' }));
        await waitFor(
          () => existsSync(join(root, 'jobs/running', id, 'RUNNING')),
          60_000,
          'job running on the cluster',
        );
        const before = await clusterRecord(join(root, 'jobs/running', id));
        await kill9(b, stateFile);
        b = await startBackend(config);
        const c = await endedAs(root, id, 'completed', 60_000, 'job completed after the restart');
        const after = await clusterRecord(join(root, 'jobs/completed', id));
        assert.equal(after.id, before.id);
        assert.equal(c.run?.attempts, '1');
        await oneClusterJob(kind, `jd-${id}-1`);
        assert.equal(clusterJobsNamed(kind, `jd-${id}-2`), 0);
      } finally {
        await kill9(b, stateFile);
      }
    });

    test('a backend killed after recording "submitting" but before the cluster had the job starts it again, once', async () => {
      const { root, config, stateFile } = await clusterRoot(kind, 'pre');
      let b = await serveWithSubmitShim(
        kind,
        root,
        config,
        () => '#!/bin/sh\nkill -KILL $PPID\nexit 1\n',
      );
      try {
        const id = idFromRedirect(await submitForm(urlOf(b), { type: 'sleep', seconds: '1' }));
        await killedByShim(b);
        assert.equal((await clusterRecord(join(root, 'jobs/running', id))).phase, 'submitting');
        b = await startBackend(config);
        const c = await endedAs(root, id, 'completed', 60_000, 'job completed after the restart');
        assert.equal(c.run?.attempts, '2');
        assert.equal(clusterJobsNamed(kind, `jd-${id}-1`), 0);
        await oneClusterJob(kind, `jd-${id}-2`);
      } finally {
        await kill9(b, stateFile);
      }
    });

    test('a backend killed between submitting and recording the cluster id finds the job by name and runs it once', async () => {
      const { root, config, stateFile } = await clusterRoot(kind, 'wal');
      // A real submit command that kills its caller (the backend) the moment the cluster has the job.
      let b = await serveWithSubmitShim(
        kind,
        root,
        config,
        (real) => `#!/bin/sh\n"${real}" "$@"\nkill -KILL $PPID\n`,
      );
      try {
        const id = idFromRedirect(await submitForm(urlOf(b), { type: 'sleep', seconds: '2' }));
        await killedByShim(b);
        const dir = join(root, 'jobs/running', id);
        assert.equal((await clusterRecord(dir)).phase, 'submitting');
        b = await startBackend(config);
        const c = await endedAs(root, id, 'completed', 60_000, 'job completed after the restart');
        // If the job was still running at the restart its id is now recorded; if it had already
        // left SUCCESS, the marker alone ended it. Either way it ran exactly once:
        const rec = await clusterRecord(join(root, 'jobs/completed', id));
        if (rec.phase === 'submitted') assert.match(rec.id ?? '', /^\d+$/);
        assert.equal(c.run?.attempts, '1');
        await oneClusterJob(kind, `jd-${id}-1`);
        assert.equal(clusterJobsNamed(kind, `jd-${id}-2`), 0);
        assert.equal(await stateOf(root, id), 'completed');
      } finally {
        await kill9(b, stateFile);
      }
    });
  });
}
