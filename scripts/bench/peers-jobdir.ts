/**
 * jobdir in `npm run bench peers`: `jobdir serve` in a process of its own (or, `split`, a
 * `--web-only` process beside a backend told over the socket), a fresh data root per run,
 * and one client in this process: POST /api/jobs one job at a time (each answered before
 * the next is sent), or one request carrying all the jobs (an array body).
 * Start = mtime of the job's RUNNING marker (the wrapper writes it just before exec);
 * done = the time of the last job's "completed" line in its jobdir.log.
 */
import http from 'node:http';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startBackend, urlOf, type BackendProcess } from '../../test/backend-process.js';
import { FIXTURE_SERVICE, tempDir, writeConfig } from '../../test/helpers.js';
import { CONCURRENCY, JOBS, measured, type Result, treeTicks, WARMUP } from './peers-common.js';

/**
 * BENCH_JOBDIR_ROOT=DIR: run the jobdir built in another checkout (its dist/ and its fixture
 * service), to set two builds side by side in one run; this checkout by default.
 */
const OTHER = process.env.BENCH_JOBDIR_ROOT;
const BIN = OTHER ? join(OTHER, 'dist/src/cli/bin.cjs') : undefined;
const SERVICE = OTHER ? join(OTHER, 'test/fixtures/service.ts') : FIXTURE_SERVICE;

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** POST `body` as JSON to `url`; status and parsed answer. */
function post(url: string, body: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => void (text += d));
        res.once('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) });
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

async function serve(root: string, split: boolean, visitAll: boolean) {
  const cfg = await writeConfig(root, {
    general: { service: SERVICE, ...(split ? { socket: join(root, 'backend.sock') } : {}) },
    limits: { running: CONCURRENCY },
    backend: { check_minutes: 10, visit_all_states: String(visitAll) },
  });
  const env = {}; // logging on, as deployed (one JSON line per event on stderr)
  // BENCH_CPU_PROF=DIR: each server process writes a V8 CPU profile there when it stops;
  // BENCH_SERVER_NODE_ARGS: more options for the servers' node (--perf-basic-prof for perf).
  const prof = process.env.BENCH_CPU_PROF;
  const nodeArgs = [
    ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []),
    ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean),
  ];
  const procs: BackendProcess[] = [await startBackend(cfg, env, { nodeArgs, bin: BIN })];
  // Split: the client talks to a web-only process, which tells the backend over the socket.
  if (split) procs.push(await startBackend(cfg, env, { args: ['--web-only'], nodeArgs, bin: BIN }));
  return { procs, url: urlOf(procs[procs.length - 1]!) };
}

/** Poll completed/ until `n` jobs are there; then the start and end times of those `of` names. */
async function finished(root: string, n: number, of: ReadonlyMap<string, number>) {
  const dir = join(root, 'jobs', 'completed');
  const since = Date.now();
  for (;;) {
    const have = (await fs.readdir(dir)).filter((x) => !x.startsWith('.')).length;
    if (have >= n) break;
    if (Date.now() - since > 600_000)
      throw new Error(`only ${have} of ${n} jobs completed in 10 min`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const ids = (await fs.readdir(dir)).filter((x) => of.has(x));
  let done = 0;
  const started = new Map<string, number>();
  for (const id of ids) {
    const [run, log] = await Promise.all([
      fs.stat(join(dir, id, 'RUNNING')),
      fs.readFile(join(dir, id, 'jobdir.log'), 'utf8'),
    ]);
    done = Math.max(
      done,
      Date.parse((JSON.parse(log.trim().split('\n').pop()!) as { t: string }).t),
    );
    started.set(id, run.mtimeMs);
  }
  return { done, started };
}

/**
 * JOBS /bin/true jobs through jobdir, after WARMUP not measured: `one` POST per job, or
 * `bulk` (one request); `split`: web and backend in two processes. Null when the server refuses a bulk body (no such feature).
 */
export async function jobdir(
  mode: 'one' | 'bulk',
  { split = false, visitAll = false } = {},
): Promise<Result | null> {
  const root = tempDir('jobdir-peers-');
  const { procs, url } = await serve(root, split, visitAll);
  const api = `${url}/api/jobs`;
  try {
    // Warm-up (not measured): WARMUP jobs one at a time, all completed before the measure.
    const warm = new Map<string, number>();
    for (let i = 0; i < WARMUP; i++) {
      const r = await post(api, JSON.stringify({ type: 'true' }));
      if (r.status !== 201) throw new Error(`warm-up POST answered ${r.status}`);
      warm.set((r.json as { id: string }).id, 0);
    }
    if (WARMUP) await finished(root, WARMUP, warm);
    // The backend (the first process) starts the jobs through its launcher sh (any build's).
    const backend = procs[0]!.proc.pid!;
    return await measured(
      { server: procs.map((p) => p.proc.pid!), jobs: () => treeTicks(backend, 'jobdir-launcher') },
      async () => {
        const submit: number[] = [];
        const sentAt = new Map<string, number>();
        const t0 = Date.now();
        if (mode === 'one') {
          const body = JSON.stringify({ type: 'true' });
          for (let i = 0; i < JOBS; i++) {
            const t = Date.now();
            const p0 = performance.now();
            const r = await post(api, body);
            submit.push(performance.now() - p0);
            if (r.status !== 201)
              throw new Error(`POST /api/jobs answered ${r.status}: ${JSON.stringify(r.json)}`);
            sentAt.set((r.json as { id: string }).id, t);
          }
        } else {
          const p0 = performance.now();
          const r = await post(
            api,
            JSON.stringify(Array.from({ length: JOBS }, () => ({ type: 'true' }))),
          );
          submit.push(performance.now() - p0);
          if (r.status !== 201) throw Object.assign(new Error('bulk refused'), { refused: r });
          for (const j of (r.json as { jobs: { id: string }[] }).jobs) sentAt.set(j.id, t0);
        }
        const { done, started } = await finished(root, WARMUP + JOBS, sentAt);
        const starts = [...started].map(([id, t]) => t - sentAt.get(id)!);
        return { rate: JOBS / ((done - t0) / 1000), submit, starts };
      },
    );
  } catch (err) {
    if ((err as { refused?: unknown }).refused) return null;
    throw err;
  } finally {
    for (const p of procs.reverse()) {
      p.proc.kill('SIGTERM');
      await p.exited;
    }
    // BENCH_SERVER_LOG=FILE: the servers' log lines, for a look at where time went.
    if (process.env.BENCH_SERVER_LOG)
      await fs.writeFile(process.env.BENCH_SERVER_LOG, procs.map((p) => p.output()).join(''));
  }
}
