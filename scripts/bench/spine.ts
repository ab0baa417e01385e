/**
 * Issue 2's figures for trivial jobs (/bin/true, running = 4): HTTP submit latency,
 * submit → program start, program end → job in completed, and end-to-end throughput of
 * 1,000 jobs beside Node spawning the same program with the same concurrency.
 * Start = mtime of RUNNING (the wrapper writes it just before exec), end = mtime of
 * SUCCESS, completed = the time in jobdir.log's "completed" line (written after the rename).
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { startService } from '../../src/cli/serve.js';
import { silentLog } from '../../src/log.js';
import { FIXTURE_SERVICE, tempDir, writeConfig } from '../../test/helpers.js';
import {
  fileCreateCost,
  launcherDelta,
  launcherTicks,
  machineTicks,
  nodeSpawnRate,
  TICK_MS,
  wrapperPathRate,
} from './machine.js';
import { figure, pct } from './util.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 1000);
const CONCURRENCY = 4;

/** Run scripts/bench/submitter.mjs: n form submissions by c keep-alive clients; its JSON output. */
function runSubmitter(
  url: string,
  cookie: string,
  csrf: string,
  n: number,
  c: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const script = fileURLToPath(new URL('./submitter.mjs', import.meta.url));
    const p = spawn(process.execPath, [script, url, cookie, csrf, String(n), String(c)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let o = '';
    p.stdout!.on('data', (d: Buffer) => void (o += d.toString()));
    p.once('exit', (code) =>
      code === 0 ? resolve(o) : reject(new Error(`submitter exited ${code}`)),
    );
  });
}

/** The same loop inside this (large) process: Node's fork cost grows with its memory. */
async function rawSpawnRate(n: number): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      await new Promise<void>((resolve, reject) => {
        const c = spawn('/bin/true', [], { stdio: 'ignore' });
        c.once('exit', () => resolve());
        c.once('error', reject);
      });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return n / ((performance.now() - t0) / 1000);
}

export default async function (): Promise<void> {
  const root = tempDir('jobdir-bench-');
  const cfgFile = await writeConfig(root, {
    general: { service: FIXTURE_SERVICE },
    limits: { running: CONCURRENCY },
  });
  const svc = await startService(cfgFile, { port: 0, log: silentLog });
  const page = await fetch(`${svc.url}/`);
  const cookie = page.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const csrf = /name="csrf" value="([a-f0-9]+)"/.exec(await page.text())![1]!;
  const submitted = new Map<string, number>();
  const latencies: number[] = [];
  const submitOne = async () => {
    const t = Date.now();
    const p0 = performance.now();
    const res = await fetch(`${svc.url}/jobs`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ csrf, type: 'true' }),
    });
    latencies.push(performance.now() - p0);
    const id = /\/jobs\/([a-z]+)$/.exec(res.headers.get('location') ?? '')?.[1];
    if (res.status !== 303 || !id) throw new Error(`submit failed: ${res.status}`);
    submitted.set(id, t);
  };

  const completedDir = join(root, 'jobs', 'completed');
  const waitCompleted = async (n: number, since: number) => {
    for (;;) {
      const have = (await fs.readdir(completedDir)).length;
      if (have >= n) return;
      if (Date.now() - since > 600_000)
        throw new Error(`only ${have} of ${n} jobs completed in 10 min`);
      // Not sooner: this listing of up to 1,200 entries runs in the server's process, and
      // the figures come from the jobs' own times, not from when this loop notices.
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const timesOf = async (ids: string[]) => {
    const starts: number[] = [];
    const ends: number[] = [];
    let lastDone = 0;
    for (const id of ids) {
      const dir = join(completedDir, id);
      const [run, ok, log] = await Promise.all([
        fs.stat(join(dir, 'RUNNING')),
        fs.stat(join(dir, 'SUCCESS')),
        fs.readFile(join(dir, 'jobdir.log'), 'utf8'),
      ]);
      const done = Date.parse(JSON.parse(log.trim().split('\n').pop()!).t);
      starts.push(run.mtimeMs - submitted.get(id)!);
      ends.push(done - ok.mtimeMs);
      lastDone = Math.max(lastDone, done);
    }
    return { starts, ends, lastDone };
  };

  // Latency: 200 jobs one after another, 25 ms apart, so the 4 slots are rarely all busy.
  const LAT = 200;
  const tl = Date.now();
  for (let i = 0; i < LAT; i++) {
    await submitOne();
    await new Promise((r) => setTimeout(r, 25));
  }
  await waitCompleted(LAT, tl);
  const lat = await timesOf([...submitted.keys()]);
  const submitLat = latencies.splice(0);
  submitted.clear();

  // Throughput: JOBS jobs submitted at once by 8 clients, until the last is completed.
  const plainBefore = await nodeSpawnRate(JOBS, CONCURRENCY);
  const rawBefore = await rawSpawnRate(JOBS);
  const createBefore = fileCreateCost(root);
  // The 8 clients run in a process of their own, as real clients do (in this process
  // they would take the server's event loop for themselves).
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  const m0 = machineTicks();
  const l0 = launcherTicks();
  const elu0 = performance.eventLoopUtilization();
  const sent = JSON.parse(await runSubmitter(svc.url, cookie, csrf, JOBS, 8)) as [string, number][];
  for (const [id, t] of sent) submitted.set(id, t);
  await waitCompleted(LAT + JOBS, t0);
  const cpu = process.cpuUsage(cpu0);
  const m1 = machineTicks();
  const l1 = launcherTicks();
  const elu = performance.eventLoopUtilization(elu0).utilization;
  const burst = await timesOf([...submitted.keys()]);
  const rate = JOBS / ((burst.lastDone - t0) / 1000);
  const createAfter = fileCreateCost(root);
  const rawAfter = await rawSpawnRate(JOBS);
  const plainAfter = await nodeSpawnRate(JOBS, CONCURRENCY);
  // Last: it leaves ~5,000 files (removed by `npm run bench` once every scenario has run).
  const wrapAlone = await wrapperPathRate(root, JOBS, CONCURRENCY);
  const raw = (rawBefore + rawAfter) / 2;
  const plain = (plainBefore + plainAfter) / 2;
  await svc.close();
  const { starts, ends } = lat;

  console.log(
    `/bin/true jobs, running = ${CONCURRENCY}, every job durable; latencies from ${LAT} jobs submitted 25 ms apart`,
  );
  figure('HTTP submit latency p50', pct(submitLat, 50), 'ms', '(target p99 < 20 ms)');
  figure('HTTP submit latency p99', pct(submitLat, 99), 'ms');
  figure('submit → program start p50', pct(starts, 50), 'ms', '(target p50 < 15 ms)');
  figure('submit → program start p99', pct(starts, 99), 'ms');
  figure('program end → job in completed p50', pct(ends, 50), 'ms', '(target p50 < 50 ms)');
  figure('program end → job in completed p99', pct(ends, 99), 'ms');
  figure('  same, during the burst: p50', pct(burst.ends, 50), 'ms');
  const serverMs = (cpu.user + cpu.system) / 1000 / JOBS;
  figure(
    '  server CPU per job during the burst',
    serverMs,
    'ms',
    `(user ${(cpu.user / 1000 / JOBS).toFixed(2)}, system ${(cpu.system / 1000 / JOBS).toFixed(2)}; all threads of the web + backend process; event loop busy ${(elu * 100).toFixed(0)}% of the time)`,
  );
  figure(
    'Node alone spawning /bin/true (baseline)',
    plain,
    'jobs/s',
    `(a fresh node process; before ${plainBefore.toFixed(0)}, after ${plainAfter.toFixed(0)})`,
  );
  figure(
    '  same loop inside this bench process',
    raw,
    'jobs/s',
    `(before ${rawBefore.toFixed(0)}, after ${rawAfter.toFixed(0)}; a large process forks slower)`,
  );
  const perJob = (ticks: number) => (ticks * TICK_MS) / JOBS;
  const wrapMs = perJob(launcherDelta(l0, l1));
  const machineMs = perJob(m1.busy - m0.busy);
  figure(
    '  whole machine CPU per job during the burst',
    machineMs,
    'ms',
    `(server ${serverMs.toFixed(1)}, launcher + wrappers + programs ${wrapMs.toFixed(1)}, the rest ${(machineMs - serverMs - wrapMs).toFixed(1)}: clients, kernel threads, neighbours; idle ${perJob(m1.idle - m0.idle).toFixed(1)})`,
  );
  figure(
    '  creating one small file in the data root',
    createBefore,
    'µs CPU',
    `before the burst; ${createAfter} after it (a job creates ~12 inodes and frees 3; see scripts/bench/machine.ts)`,
  );
  figure(
    'launcher + wrapper alone, no server (ceiling)',
    wrapAlone.rate,
    'jobs/s',
    `ratio ${(wrapAlone.rate / plain).toFixed(2)} of Node alone; ${wrapAlone.coreMs.toFixed(1)} machine core-ms per job`,
  );
  figure(
    `jobdir throughput, ${JOBS} jobs by 8 HTTP clients (own process)`,
    rate,
    'jobs/s',
    `ratio ${(rate / plain).toFixed(2)} of Node alone (target ≥ 0.3); ${(rate / raw).toFixed(2)} of the in-process loop`,
  );
}
