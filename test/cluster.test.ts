/**
 * The Slurm and Grid Engine runners against the real single-node engines started by
 * scripts/start-slurm.sh and scripts/start-sge.sh (npm test starts them). Jobs go in
 * through HTTP; the backend is a real `jobdir serve` process where a test kills it.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, promises as fs, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeJobConfig } from '../src/store/jobs.js';
import { resubmitJob } from '../src/lifecycle/admin.js';
import type { Running } from '../src/cli/serve.js';
import {
  idFromRedirect,
  idsIn,
  ROOT,
  startSmtp,
  submitForm,
  tempDir,
  waitFor,
  writeConfig,
  type SmtpReceiver,
} from './helpers.js';
import { serveForTest } from './server.js';

const SERVICE = join(ROOT, 'test/fixtures/cluster-service.ts');
const SGE_ENV = {
  ...process.env,
  SGE_ROOT: process.env.SGE_ROOT ?? '/var/lib/gridengine',
  SGE_CELL: process.env.SGE_CELL ?? 'default',
};
type Kind = 'slurm' | 'sge';

/** Is the engine's submit client installed and its daemon answering? (else the suite skips, saying why) */
function engineMissing(kind: Kind): string | false {
  try {
    if (kind === 'slurm')
      execFileSync('squeue', ['-h', '-o', '%i'], { stdio: 'pipe', timeout: 10_000 });
    else execFileSync('qstat', [], { stdio: 'pipe', env: SGE_ENV, timeout: 10_000 });
    return false;
  } catch (err) {
    return `${kind === 'slurm' ? 'sbatch/squeue' : 'qsub/qstat'} missing or the daemon is not running (run scripts/start-${kind}.sh): ${(err as Error).message.split('\n')[0]}`;
  }
}

/** How many jobs named `name` the cluster knows (queued, running or finished). */
function clusterJobsNamed(kind: Kind, name: string): number {
  const out = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: SGE_ENV,
      });
    } catch {
      return '';
    }
  };
  if (kind === 'slurm')
    return out('squeue', ['-h', '-t', 'all', '-n', name, '-o', '%i']).split('\n').filter(Boolean)
      .length;
  return (
    (out('qstat', ['-j', name]).match(/^job_number:/gm) ?? []).length +
    (out('qacct', ['-j', name]).match(/^jobnumber/gm) ?? []).length
  );
}

/** Exactly one job of this name, once the cluster's records settle (SGE's accounting lags ~1 s behind qstat). */
async function oneClusterJob(kind: Kind, name: string): Promise<void> {
  await waitFor(
    () => clusterJobsNamed(kind, name) === 1,
    30_000,
    `exactly one cluster job named ${name} (now ${clusterJobsNamed(kind, name)})`,
  );
}

async function jobConfig(root: string, state: string, id: string) {
  return decodeJobConfig(await fs.readFile(join(root, 'jobs', state, id, 'config.ini'), 'utf8'));
}
async function clusterRecord(dir: string): Promise<Record<string, string>> {
  const text = await fs.readFile(join(dir, 'CLUSTER'), 'utf8').catch(() => '');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}
async function stateOf(root: string, id: string): Promise<string | null> {
  for (const s of [
    'incoming',
    'preprocessing',
    'running',
    'postprocessing',
    'finalizing',
    'completed',
    'failed',
  ]) {
    if ((await idsIn(root, s)).includes(id)) return s;
  }
  return null;
}

function configFor(
  root: string,
  kind: Kind,
  extra: Record<string, Record<string, string | number>> = {},
) {
  const job = (more: Record<string, string> = {}) => ({ runner: kind, ...more });
  return writeConfig(root, {
    general: { service: SERVICE },
    backend: { cluster_poll: '0.5s', cluster_grace: '1s' },
    'job capped': job({ time_limit: '2s' }),
    'job ok': job(),
    'job exit1': job(),
    'job refused': job(),
    'job sleep': job(),
    // running_tasks from the config (not run()): the throttle test below checks it reaches the cluster.
    'job tasks': job({ running_tasks: '1' }),
    // the cluster's own limit, below the program's 600 s: Slurm's minimum is 1 minute
    'job long': job({ time: kind === 'slurm' ? '1' : '0:0:3' }),
    ...extra,
  });
}

/** `jobdir serve` in its own process (so a test can SIGKILL it), with its URL. */
async function serveProcess(
  config: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'scripts/jobdir.mjs'), 'serve', '--config', config, '--port', '0'],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = await waitFor(
    () =>
      /serving on (http:\/\/\S+)/.exec(out)?.[1] ??
      (child.exitCode !== null ? Promise.reject(new Error(`serve exited: ${out}`)) : null),
    30_000,
    'jobdir serve',
  );
  return { child, url };
}
async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

/** Cancel like a browser: the results page's form (CSRF token + cookie), then POST. */
async function cancelViaForm(url: string, id: string): Promise<number> {
  const page = await fetch(`${url}/jobs/${id}`);
  const cookie = page.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const csrf = /name="csrf" value="([a-f0-9]+)"/.exec(await page.text())?.[1] ?? '';
  const res = await fetch(`${url}/jobs/${id}/cancel`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ csrf }),
  });
  return res.status;
}

/** Under `npm test` (which starts both engines) a missing engine fails the run instead of skipping. */
const REQUIRED = process.env.JOBDIR_REQUIRE_ENGINES === '1';

for (const kind of ['slurm', 'sge'] as const) {
  const down = engineMissing(kind);
  test(`the ${kind} engine answers`, { skip: REQUIRED ? false : down }, () =>
    assert.equal(down, false, String(down)),
  );
  const missing = REQUIRED ? false : down;
  describe(`the ${kind} runner on the real engine`, { skip: missing }, () => {
    let root: string;
    let svc: Running;
    let smtp: SmtpReceiver;
    let longId = '';
    before(async () => {
      root = tempDir(`jobdir-${kind}-`);
      smtp = await startSmtp();
      svc = await serveForTest(
        await configFor(root, kind, { email: { host: '127.0.0.1', port: smtp.port } }),
      );
      // Submitted first: the cluster's time limit takes a while (Slurm: 1 min, checked every ~30 s).
      longId = idFromRedirect(await submitForm(svc.url, { type: 'long' }));
    });
    after(async () => {
      // Tests filtered out by name still ran before(): stop the long job rather than leave it on the cluster.
      if (longId)
        await waitFor(
          async () =>
            (await stateOf(root, longId)) !== 'incoming' &&
            (await stateOf(root, longId)) !== 'preprocessing',
          30_000,
          'long job submitted',
        ).catch(() => {});
      if (longId && (await stateOf(root, longId)) === 'running') {
        await svc.backend?.cancel(longId, 'the test').catch(() => {});
        await waitFor(
          async () => (await stateOf(root, longId)) === 'failed',
          60_000,
          'long job cancelled',
        ).catch(() => {});
      }
      await svc?.close();
      await smtp?.close();
    });

    test('a job submitted through HTTP runs under the cluster, ends with its result and its email', async () => {
      const id = idFromRedirect(
        await submitForm(svc.url, {
          type: 'ok',
          text: 'hello cluster',
          email: 'carol@example.test',
        }),
      );
      await waitFor(
        async () => (await idsIn(root, 'completed')).includes(id),
        60_000,
        'job completed',
      );
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
        () => smtp.messages.find((m) => (m.text ?? '').includes(`/jobs/${id}`)),
        15_000,
        'email',
      );
      assert.match(mail.to && 'text' in mail.to ? mail.to.text : '', /carol@example\.test/);
    });

    test("a failing program fails the job with the program's error", async () => {
      const id = idFromRedirect(await submitForm(svc.url, { type: 'exit1' }));
      await waitFor(async () => (await idsIn(root, 'failed')).includes(id), 60_000, 'job failed');
      const c = await jobConfig(root, 'failed', id);
      assert.equal(c.result?.failure_kind, 'program');
      assert.match(c.result?.failure ?? '', /the input makes no sense/);
    });

    test('a resubmitted cluster job runs under a new cluster name, so the old run can never be mistaken for it', async () => {
      const id = idFromRedirect(await submitForm(svc.url, { type: 'exit1' }));
      await waitFor(async () => (await idsIn(root, 'failed')).includes(id), 60_000, 'job failed');
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
      await waitFor(async () => (await idsIn(root, 'failed')).includes(id), 60_000, 'job failed');
      const c = await jobConfig(root, 'failed', id);
      assert.equal(c.result?.failure_kind, 'technical');
      assert.match(
        c.result?.failure ?? '',
        new RegExp(
          `${kind === 'slurm' ? 'Slurm' : 'Grid Engine'} did not accept the job: .*no-such-option`,
        ),
      );
      assert.equal(clusterJobsNamed(kind, `jd-${id}-1`), 0);
    });

    test('cancel stops the cluster job and the job ends as cancelled', async () => {
      const id = idFromRedirect(await submitForm(svc.url, { type: 'sleep', seconds: '300' }));
      await waitFor(
        () => existsSync(join(root, 'jobs/running', id, 'RUNNING')),
        60_000,
        'job running on the cluster',
      );
      const rec = await clusterRecord(join(root, 'jobs/running', id));
      assert.equal(await cancelViaForm(svc.url, id), 303);
      await waitFor(
        async () => (await idsIn(root, 'failed')).includes(id),
        60_000,
        'job cancelled',
      );
      const c = await jobConfig(root, 'failed', id);
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
      await waitFor(async () => (await idsIn(root, 'failed')).includes(id), 60_000, 'job failed');
      const c = await jobConfig(root, 'failed', id);
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
          smtp.messages.find((m) => m.subject?.includes(id) && m.subject.includes('(technical)')),
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
            await waitFor(
              async () => (await idsIn(root, 'failed')).includes(id),
              60_000,
              'job failed',
            );
            const c = await jobConfig(root, 'failed', id);
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

    test("the service's run() can send a job of a local type to the cluster", async () => {
      const id = idFromRedirect(await submitForm(svc.url, { type: 'chosen', where: kind }));
      await waitFor(
        async () => (await idsIn(root, 'completed')).includes(id),
        60_000,
        'job completed',
      );
      assert.equal((await jobConfig(root, 'completed', id)).run?.runner, kind);
      assert.equal((await clusterRecord(join(root, 'jobs/completed', id))).kind, kind);
    });

    test("the job type's time_limit is enforced by the wrapper on the node, as locally", async () => {
      const id = idFromRedirect(await submitForm(svc.url, { type: 'capped' }));
      await waitFor(
        async () => (await idsIn(root, 'failed')).includes(id),
        60_000,
        'job stopped at its limit',
      );
      const c = await jobConfig(root, 'failed', id);
      assert.equal(c.result?.failure_kind, 'time_limit');
      assert.match(c.result?.failure ?? '', /time limit exceeded \(2 s\)/);
      assert.match(
        await fs.readFile(join(root, 'jobs/failed', id, 'ERROR'), 'utf8'),
        /reason=time_limit/,
      );
    });

    test('an array job runs every task under the throttle and ends once every task has a marker', async () => {
      const id = idFromRedirect(await submitForm(svc.url, { type: 'tasks' }));
      await waitFor(
        async () => (await idsIn(root, 'completed')).includes(id),
        90_000,
        'array job completed',
      );
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
      await waitFor(
        async () => (await idsIn(root, 'failed')).includes(id),
        90_000,
        'array job failed',
      );
      const c = await jobConfig(root, 'failed', id);
      assert.match(c.result?.failure ?? '', /array tasks failed: 2 of 3/);
    });

    test("a job killed by the cluster's time limit fails as a time limit, with what the cluster reports", async () => {
      await waitFor(
        async () => (await idsIn(root, 'failed')).includes(longId),
        180_000,
        'long job stopped by the cluster',
      );
      const c = await jobConfig(root, 'failed', longId);
      assert.equal(c.result?.failure_kind, 'time_limit', c.result?.failure);
      // Slurm's final state, not the COMPLETING it shows while it kills the job's processes.
      assert.match(
        c.result?.failure ?? '',
        kind === 'slurm' ? new RegExp(`Slurm job \\d+: TIMEOUT \\(TimeLimit\\)`) : /failed 37/,
      );
    });
  });

  describe(`the ${kind} runner across backend crashes`, { skip: missing }, () => {
    test('a backend killed while a cluster job runs is restarted: the job is recovered, not resubmitted', async () => {
      const root = tempDir(`jobdir-${kind}-crash-`);
      const config = await configFor(root, kind);
      let { child, url } = await serveProcess(config);
      try {
        const id = idFromRedirect(await submitForm(url, { type: 'sleep', seconds: '4' }));
        await waitFor(
          () => existsSync(join(root, 'jobs/running', id, 'RUNNING')),
          60_000,
          'job running on the cluster',
        );
        const before = await clusterRecord(join(root, 'jobs/running', id));
        await killHard(child);
        ({ child, url } = await serveProcess(config));
        await waitFor(
          async () => (await idsIn(root, 'completed')).includes(id),
          60_000,
          'job completed after the restart',
        );
        const after = await clusterRecord(join(root, 'jobs/completed', id));
        assert.equal(after.id, before.id);
        assert.equal((await jobConfig(root, 'completed', id)).run?.attempts, '1');
        await oneClusterJob(kind, `jd-${id}-1`);
        assert.equal(clusterJobsNamed(kind, `jd-${id}-2`), 0);
      } finally {
        await killHard(child);
      }
    });

    test('a backend killed after recording "submitting" but before the cluster had the job starts it again, once', async () => {
      const root = tempDir(`jobdir-${kind}-pre-`);
      const config = await configFor(root, kind);
      const shim = join(root, 'shim');
      await fs.mkdir(shim);
      const cmd = kind === 'slurm' ? 'sbatch' : 'qsub';
      writeFileSync(join(shim, cmd), '#!/bin/sh\nkill -KILL $PPID\nexit 1\n');
      chmodSync(join(shim, cmd), 0o755);
      let { child, url } = await serveProcess(config, {
        ...process.env,
        PATH: `${shim}:${process.env.PATH}`,
      });
      try {
        const id = idFromRedirect(await submitForm(url, { type: 'sleep', seconds: '1' }));
        await waitFor(
          () => child.exitCode !== null || child.signalCode !== null,
          60_000,
          'the backend killed by the submit shim',
        );
        assert.equal((await clusterRecord(join(root, 'jobs/running', id))).phase, 'submitting');
        ({ child, url } = await serveProcess(config));
        await waitFor(
          async () => (await idsIn(root, 'completed')).includes(id),
          60_000,
          'job completed after the restart',
        );
        assert.equal((await jobConfig(root, 'completed', id)).run?.attempts, '2');
        assert.equal(clusterJobsNamed(kind, `jd-${id}-1`), 0);
        await oneClusterJob(kind, `jd-${id}-2`);
      } finally {
        await killHard(child);
      }
    });

    test('a backend killed between submitting and recording the cluster id finds the job by name and runs it once', async () => {
      const root = tempDir(`jobdir-${kind}-wal-`);
      const config = await configFor(root, kind);
      // A real submit command that kills its caller (the backend) the moment the cluster has the job.
      const shim = join(root, 'shim');
      await fs.mkdir(shim);
      const cmd = kind === 'slurm' ? 'sbatch' : 'qsub';
      const real = execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim();
      writeFileSync(join(shim, cmd), `#!/bin/sh\n"${real}" "$@"\nkill -KILL $PPID\n`);
      chmodSync(join(shim, cmd), 0o755);
      let { child, url } = await serveProcess(config, {
        ...process.env,
        PATH: `${shim}:${process.env.PATH}`,
      });
      try {
        const id = idFromRedirect(await submitForm(url, { type: 'sleep', seconds: '2' }));
        await waitFor(
          () => child.exitCode !== null || child.signalCode !== null,
          60_000,
          'the backend killed by the submit shim',
        );
        const dir = join(root, 'jobs/running', id);
        assert.equal((await clusterRecord(dir)).phase, 'submitting');
        ({ child, url } = await serveProcess(config));
        await waitFor(
          async () => (await idsIn(root, 'completed')).includes(id),
          60_000,
          'job completed after the restart',
        );
        // If the job was still running at the restart its id is now recorded; if it had already
        // left SUCCESS, the marker alone ended it. Either way it ran exactly once:
        const rec = await clusterRecord(join(root, 'jobs/completed', id));
        if (rec.phase === 'submitted') assert.match(rec.id ?? '', /^\d+$/);
        assert.equal((await jobConfig(root, 'completed', id)).run?.attempts, '1');
        await oneClusterJob(kind, `jd-${id}-1`);
        assert.equal(clusterJobsNamed(kind, `jd-${id}-2`), 0);
        assert.equal(await stateOf(root, id), 'completed');
      } finally {
        await killHard(child);
      }
    });
  });
}
