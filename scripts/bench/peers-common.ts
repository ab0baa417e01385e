/**
 * What every system of `npm run bench peers` reports, and the probes they share: CPU of a
 * process by pid (/proc/PID/stat), the whole machine's (/proc/stat), a free port, and
 * a fresh small Node process spawning /bin/true (the baseline every ratio is taken to).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { machineTicks, TICK_MS } from './machine.js';
import { pct } from './util.js';

export const JOBS = Number(process.env.BENCH_JOBS ?? 1000);
export const CONCURRENCY = 4;

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
  /** Busy CPU of the whole machine (core-ms per job), neighbours included. */
  machineMs: number;
}

/** User and system clock ticks a live process has spent (all its threads; not its children). */
export function procTicks(pid: number): { user: number; sys: number } {
  const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]), sys: Number(f[12]) };
}

/** Measure `run` with the CPU of `pids` and of the machine around it. */
export async function measured(
  pids: number[],
  run: () => Promise<Omit<Result, 'serverMs' | 'serverSysMs' | 'machineMs'>>,
): Promise<Result> {
  const p0 = pids.map(procTicks);
  const m0 = machineTicks();
  const r = await run();
  const m1 = machineTicks();
  const p1 = pids.map(procTicks);
  const sum = (k: 'user' | 'sys') => p1.reduce((s, t, i) => s + t[k] - p0[i]![k], 0);
  return {
    ...r,
    serverMs: pids.length ? ((sum('user') + sum('sys')) * TICK_MS) / JOBS : null,
    serverSysMs: pids.length ? (sum('sys') * TICK_MS) / JOBS : null,
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
export async function rawSpawn(): Promise<Result> {
  const code = `const {spawn}=require('child_process');let next=0;const t=performance.now();
const w=async()=>{while(next<${JOBS}){next++;await new Promise(r=>spawn('/bin/true',[],{stdio:'ignore'}).once('exit',r));}};
Promise.all(Array.from({length:${CONCURRENCY}},w)).then(()=>console.log(${JOBS}/((performance.now()-t)/1000)));`;
  return measured([], async () => {
    const out = await new Promise<string>((resolve, reject) => {
      const c = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
      let o = '';
      c.stdout!.on('data', (d: Buffer) => void (o += d.toString()));
      c.once('exit', (st) => (st === 0 ? resolve(o) : reject(new Error(`raw spawn exited ${st}`))));
    });
    return { rate: Number(out.trim()), submit: [], starts: [] };
  });
}

/** min / median / max of a list, for the summary. */
export function spread(xs: number[]): { min: number; med: number; max: number } {
  return { min: Math.min(...xs), med: pct(xs, 50), max: Math.max(...xs) };
}
