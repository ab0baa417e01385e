/**
 * What every system of `npm run bench peers` reports, and the probes they share (built on
 * scripts/bench/machine.ts): CPU of a process and of its children by pid, the whole
 * machine's, a free port, and Node alone spawning /bin/true (the baseline every ratio is
 * taken to).
 */
import { createServer } from 'node:net';
import { childTicks, machineTicks, nodeSpawnRate, procStat, TICK_MS } from './machine.js';
import { pct } from './util.js';

export const JOBS = Number(process.env.BENCH_JOBS ?? 1000);
export const CONCURRENCY = 4;
/**
 * Jobs each queue system runs before the measured ones (BENCH_WARMUP, 200 by default), one
 * at a time, not counted: a service answers warm, and in a run of 1,000 jobs the servers'
 * just-in-time compilers (V8's threads in jobdir's node and BullMQ's worker) would
 * otherwise add their start-up work to every job's CPU.
 */
export const WARMUP = Number(process.env.BENCH_WARMUP ?? 200);

/** One system's figures over one run of JOBS jobs. */
export interface Result {
  /** Jobs per second, first submission to last completion. */
  rate: number;
  /** Submission latencies (ms): one per request, one in all for a bulk call. */
  submit: number[];
  /** Submission → program start (ms), per job. */
  starts: number[];
  /** CPU (ms per job) of the system's own processes: the server(s), the broker and the worker. */
  serverMs: number | null;
  /** Of which in the kernel (system time): ms per job. */
  serverSysMs: number | null;
  /** CPU (ms per job) of each server process, in the order given (jobdir split: backend, web). */
  serverEachMs: number[];
  /**
   * CPU (ms per job) of the processes that run the jobs, below the server: jobdir's
   * launcher with its subshells, wrappers and programs; BullMQ's worker's /bin/true children.
   */
  jobsMs: number | null;
  /** CPU (ms per job) of the client: this bench process (its HTTP client, or BullMQ's Queue). */
  clientMs: number;
  /** Busy CPU of the whole machine (core-ms per job), neighbours included. */
  machineMs: number;
}

/** User and system clock ticks a live process has spent (all its threads; not its children). */
function procTicks(pid: number): { user: number; sys: number } {
  const f = procStat(pid);
  return { user: f[11]!, sys: f[12]! };
}

/**
 * Clock ticks spent by the live children of `parent` whose command line holds `marker`,
 * with every process they have reaped (jobdir's launcher: its subshells, wrappers and
 * programs); `marker` null: by the children `parent` has reaped itself (BullMQ's worker
 * reaps each /bin/true at once).
 */
export function treeTicks(parent: number, marker: string | null): number {
  if (marker === null) {
    const f = procStat(parent);
    return f[13]! + f[14]!;
  }
  let sum = 0;
  for (const ticks of childTicks(parent, marker).values()) sum += ticks;
  return sum;
}

/** What to measure around a run: the servers' pids, and how to read the job processes' ticks. */
export interface Probes {
  server: number[];
  /** Ticks of the processes running the jobs so far (treeTicks), or null when unknown. */
  jobs?: () => number;
}

/** Measure `run` with the CPU of the servers, the job processes, this client and the machine around it. */
export async function measured(
  probes: Probes,
  run: () => Promise<
    Omit<Result, 'serverMs' | 'serverSysMs' | 'serverEachMs' | 'jobsMs' | 'clientMs' | 'machineMs'>
  >,
): Promise<Result> {
  const pids = probes.server;
  const p0 = pids.map(procTicks);
  const j0 = probes.jobs?.() ?? 0;
  const c0 = process.cpuUsage();
  const m0 = machineTicks();
  const r = await run();
  const m1 = machineTicks();
  const c = process.cpuUsage(c0);
  const j1 = probes.jobs?.() ?? 0;
  const p1 = pids.map(procTicks);
  const sum = (k: 'user' | 'sys') => p1.reduce((s, t, i) => s + t[k] - p0[i]![k], 0);
  return {
    ...r,
    serverMs: pids.length ? ((sum('user') + sum('sys')) * TICK_MS) / JOBS : null,
    serverSysMs: pids.length ? (sum('sys') * TICK_MS) / JOBS : null,
    serverEachMs: p1.map((t, i) => ((t.user + t.sys - p0[i]!.user - p0[i]!.sys) * TICK_MS) / JOBS),
    jobsMs: probes.jobs ? ((j1 - j0) * TICK_MS) / JOBS : null,
    clientMs: (c.user + c.system) / 1000 / JOBS,
    machineMs: ((m1.busy - m0.busy) * TICK_MS) / JOBS,
  };
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Raw Node spawn, no queue: a fresh small node process spawning /bin/true JOBS times, 4 at once. */
export function rawSpawn(): Promise<Result> {
  return measured({ server: [] }, async () => ({
    rate: await nodeSpawnRate(JOBS, CONCURRENCY),
    submit: [],
    starts: [],
  }));
}

/** min / median / max of a list, for the summary. */
export function spread(xs: number[]): { min: number; med: number; max: number } {
  return { min: Math.min(...xs), med: pct(xs, 50), max: Math.max(...xs) };
}
