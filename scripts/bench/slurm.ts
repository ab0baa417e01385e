/**
 * Issue 4's figure: 50 trivial jobs (/bin/true) on the local single-node Slurm, jobdir's
 * time from HTTP submit to the job in completed/, beside `sbatch --wait` of the same
 * wrapper script in job directories made by hand, in the same run (baseline measured
 * before and after jobdir; the mean of both is used). Both submit all 50 at once.
 * Skips with a message when Slurm is not running (scripts/start-slurm.sh).
 */
import { execFileSync, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { startService } from '../../src/cli/serve.js';
import { silentLog } from '../../src/log.js';
import { WRAPPER } from '../../src/runners/index.js';
import { FIXTURE_SERVICE, tempDir, writeConfig } from '../../test/helpers.js';
import { figure, pct } from './util.js';

const JOBS = Number(process.env.BENCH_SLURM_JOBS ?? 50);

/** `sbatch --wait` of the wrapper for `n` hand-made job dirs at once: per-job latency and wall time (ms). */
async function sbatchWait(n: number): Promise<{ lat: number[]; wall: number }> {
  const root = tempDir('jobdir-bench-sbatch-');
  const dirs = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const dir = join(root, `j${i}`);
      await fs.mkdir(dir);
      await fs.writeFile(join(dir, 'argv'), '/bin/true\n');
      return dir;
    }),
  );
  const t0 = performance.now();
  const lat = await Promise.all(
    dirs.map(
      (dir, i) =>
        new Promise<number>((resolve, reject) => {
          const p0 = performance.now();
          const c = spawn(
            'sbatch',
            [
              '--wait',
              '--parsable',
              '-J',
              `bench-${i}`,
              '-D',
              dir,
              '-o',
              join(dir, 'cluster.log'),
              WRAPPER,
              dir,
              '1',
            ],
            { stdio: 'ignore' },
          );
          c.once('error', reject);
          c.once('exit', (code) =>
            code === 0
              ? resolve(performance.now() - p0)
              : reject(new Error(`sbatch --wait exited ${code}`)),
          );
        }),
    ),
  );
  const wall = performance.now() - t0;
  return { lat, wall };
}

/** jobdir with the slurm runner: `n` HTTP submissions at once, until every job is in completed/. */
async function viaJobdir(
  n: number,
): Promise<{ lat: number[]; wall: number; detect: number[]; slurmWall: number }> {
  const root = tempDir('jobdir-bench-slurm-');
  const cfgFile = await writeConfig(root, {
    general: { service: FIXTURE_SERVICE },
    limits: { running: n },
    'job true': { runner: 'slurm' },
  });
  const svc = await startService(cfgFile, { port: 0, log: silentLog });
  try {
    const page = await fetch(`${svc.url}/`);
    const cookie = page.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const csrf = /name="csrf" value="([a-f0-9]+)"/.exec(await page.text())![1]!;
    const submitted = new Map<string, number>();
    const t0 = performance.now();
    const e0 = Date.now();
    await Promise.all(
      Array.from({ length: n }, async () => {
        const at = Date.now();
        const res = await fetch(`${svc.url}/jobs`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
          body: new URLSearchParams({ csrf, type: 'true' }),
        });
        const id = /\/jobs\/([a-z]+)$/.exec(res.headers.get('location') ?? '')?.[1];
        if (res.status !== 303 || !id) throw new Error(`submit failed: ${res.status}`);
        submitted.set(id, at);
      }),
    );
    const done = join(root, 'jobs', 'completed');
    for (;;) {
      if ((await fs.readdir(done).catch(() => [])).length >= n) break;
      if ((await fs.readdir(join(root, 'jobs', 'failed')).catch(() => [])).length > 0)
        throw new Error('a benchmark job failed');
      if (Date.now() - e0 > 600_000) throw new Error('jobs did not complete in 10 min');
      await new Promise((r) => setTimeout(r, 10));
    }
    const wall = performance.now() - t0;
    const lat: number[] = [];
    const detect: number[] = [];
    let lastEnd = 0;
    for (const [id, at] of submitted) {
      const clusterId = /^id=(\d+)$/m.exec(
        await fs.readFile(join(done, id, 'CLUSTER'), 'utf8'),
      )?.[1];
      const end = /EndTime=(\S+)/.exec(
        execFileSync('scontrol', ['show', 'job', '-o', clusterId ?? '0'], { encoding: 'utf8' }),
      )?.[1];
      lastEnd = Math.max(lastEnd, end ? Date.parse(end) : 0);
      const log = await fs.readFile(join(done, id, 'jobdir.log'), 'utf8');
      const completed = Date.parse(JSON.parse(log.trim().split('\n').pop()!).t);
      lat.push(completed - at);
      detect.push(completed - (await fs.stat(join(done, id, 'SUCCESS'))).mtimeMs);
    }
    // Slurm's own EndTime has 1 s resolution: the end of that second is an upper bound.
    return { lat, wall, detect, slurmWall: lastEnd + 1000 - e0 };
  } finally {
    await svc.close();
  }
}

export default async function (): Promise<void> {
  try {
    execFileSync('squeue', ['-h', '-o', '%i'], { stdio: 'pipe', timeout: 10_000 });
  } catch {
    console.log('skipped: Slurm is not running (bash scripts/start-slurm.sh)');
    return;
  }
  const before = await sbatchWait(JOBS);
  const jd = await viaJobdir(JOBS);
  const after = await sbatchWait(JOBS);
  const baseWall = (before.wall + after.wall) / 2;
  const baseLat = [...before.lat, ...after.lat];
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const perJob = (jd.wall - baseWall) / JOBS;
  const ratio = jd.wall / baseWall;
  const target = Math.max(0.1 * (baseWall / JOBS), 200);
  console.log(
    `${JOBS} x /bin/true through the wrapper on single-node Slurm (${execFileSync('nproc').toString().trim()} cores), all submitted at once`,
  );
  figure(
    `sbatch --wait, ${JOBS} jobs: wall time (baseline)`,
    baseWall,
    'ms',
    `(before ${before.wall.toFixed(0)}, after ${after.wall.toFixed(0)})`,
  );
  figure(
    `jobdir (HTTP → completed/), ${JOBS} jobs: wall time`,
    jd.wall,
    'ms',
    `ratio ${ratio.toFixed(2)} of sbatch --wait`,
  );
  figure(
    'jobdir overhead per job (wall difference / jobs)',
    perJob,
    'ms',
    `(target: < ${target.toFixed(0)} ms = max(10%, 200 ms))`,
  );
  figure(
    'same jobdir run: submit → last EndTime Slurm recorded',
    jd.slurmWall,
    'ms',
    `(≤, 1 s resolution; jobdir's wall is ${(jd.wall / jd.slurmWall).toFixed(2)}× it, ${((jd.wall - jd.slurmWall) / JOBS).toFixed(0)} ms/job)`,
  );
  figure(
    'sbatch --wait per-job latency p50',
    pct(baseLat, 50),
    'ms',
    `(mean ${mean(baseLat).toFixed(0)})`,
  );
  figure(
    'jobdir submit → completed per-job latency p50',
    pct(jd.lat, 50),
    'ms',
    `(mean ${mean(jd.lat).toFixed(0)})`,
  );
  figure(
    'jobdir: wrapper wrote SUCCESS → job in completed p50',
    pct(jd.detect, 50),
    'ms',
    `(p99 ${pct(jd.detect, 99).toFixed(0)}; sbatch --wait polls slurmctld instead)`,
  );
}
