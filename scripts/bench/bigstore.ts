/**
 * Issue 3's figures with a big store: 100,000 completed jobs on disk (100 per user) and
 * 1,000 queued. Backend start → ready, resident memory and inotify watches of a real
 * `jobdir serve` process (beside the same process on an empty store), `list` time, one
 * user's job list, submit latency beside an empty store, and recovery of 1,000 interrupted
 * jobs (half with no result, half finished while nothing watched) beside a store with none.
 * BENCH_COMPLETED / BENCH_QUEUED override the sizes.
 */
import { spawn } from 'node:child_process';
import {
  mkdirSync,
  promises as fs,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { listJobs } from '../../src/ops/admin.js';
import { createBackend } from '../../src/lifecycle/backend.js';
import { silentLog } from '../../src/log.js';
import { loadService } from '../../src/service/load.js';
import {
  createJob,
  encodeEmail,
  encodeJobConfig,
  listUserJobs,
  newJobId,
  openStore,
  type Store,
} from '../../src/store/index.js';
import { FIXTURE_SERVICE, tempDir, waitFor, writeConfig, JOBDIR_BIN } from '../../test/helpers.js';
import { figure, pct } from './util.js';

const COMPLETED = Number(process.env.BENCH_COMPLETED ?? 100_000);
const QUEUED = Number(process.env.BENCH_QUEUED ?? 1000);
const INTERRUPTED = 1000;

async function setup(name: string, limits = 4) {
  const root = tempDir(`jobdir-bench-${name}-`);
  const cfgFile = await writeConfig(root, {
    general: { service: FIXTURE_SERVICE },
    limits: { running: limits },
    backend: { check_minutes: 60 },
  });
  const cfg = loadConfig(cfgFile);
  return { root, cfgFile, cfg, store: await openStore(cfg) };
}

/** Write `n` finished jobs straight into completed/ with their by-id and users links (sync calls: fastest). */
function generateCompleted(store: Store, n: number): void {
  const finished = new Date(Date.now() - 3600_000).toISOString();
  for (let i = 0; i < n; i++) {
    const id = newJobId(store.idLength);
    const email = `user${i % Math.max(1, n / 100)}@example.test`;
    const dir = join(store.states.completed, id);
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'config.ini'),
      encodeJobConfig({
        settings: { job_id: id, service: 'fixtures', type: 'true', email, submitted: finished },
        inputs: {},
        run: { attempts: '1' },
        result: { state: 'completed', finished },
      }),
    );
    symlinkSync(join('..', 'completed', id), join(store.byId, id));
    const u = join(store.users, encodeEmail(email));
    if (!made.has(u)) {
      mkdirSync(u, { recursive: true });
      made.add(u);
    }
    symlinkSync(join('..', '..', 'by-id', id), join(u, id));
  }
}
const made = new Set<string>();

function generateQueued(store: Store, n: number): void {
  const now = new Date().toISOString();
  for (let i = 0; i < n; i++) {
    const id = newJobId(store.idLength);
    const dir = join(store.states.incoming, id);
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'config.ini'),
      encodeJobConfig({
        settings: { job_id: id, service: 'fixtures', type: 'true', email: '', submitted: now },
        inputs: {},
      }),
    );
    symlinkSync(join('..', 'incoming', id), join(store.byId, id));
  }
}

/** Start `jobdir serve`; returns ms to "serving", its RSS and inotify watches once ready, and a stop function. */
async function serveProcess(cfgFile: string) {
  const t0 = performance.now();
  const p = spawn(process.execPath, [JOBDIR_BIN, 'serve', '--config', cfgFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, JOBDIR_LOG: 'silent' },
  });
  let out = '';
  p.stdout.on('data', (d: Buffer) => void (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => void (out += d.toString()));
  await waitFor(() => out.includes('is serving on') || p.exitCode !== null, 300_000, 'serve');
  const ready = performance.now() - t0;
  const readyEvent = /"event":"backend_ready"/.test(out);
  if (!readyEvent && p.exitCode !== null) throw new Error(`serve failed:\n${out}`);
  const sample = () => ({ rssMb: rss(p.pid!), watches: inotifyWatches(p.pid!) });
  return {
    ready,
    sample,
    stop: async () => {
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
    },
  };
}

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function inotifyWatches(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    try {
      n += readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('inotify wd:')).length;
    } catch {
      /* closed */
    }
  }
  return n;
}

async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function submitLatencies(store: Store, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      await timeMs(() =>
        createJob(store, {
          service: 'fixtures',
          type: 'true',
          email: 'bench@example.test',
          inputs: {},
        }),
      ),
    );
  }
  return out;
}

/** 1,000 jobs in running/: half without a result (wrapper gone), half with SUCCESS (ended unseen). */
async function interrupted(store: Store, n: number): Promise<void> {
  const now = new Date().toISOString();
  for (let i = 0; i < n; i++) {
    const id = newJobId(store.idLength);
    const dir = join(store.states.running, id);
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'config.ini'),
      encodeJobConfig({
        settings: { job_id: id, service: 'fixtures', type: 'true', email: '', submitted: now },
        inputs: {},
        run: { attempts: '1', runner: 'local' },
      }),
    );
    writeFileSync(join(dir, 'argv'), '/bin/true\n');
    writeFileSync(join(dir, 'RUNNING'), `pid=999999\nhost=x\nattempt=1\n`);
    if (i % 2 === 0) writeFileSync(join(dir, 'SUCCESS'), 'exit=0\n');
    symlinkSync(join('..', 'running', id), join(store.byId, id));
  }
}

async function recover(cfgFile: string): Promise<number> {
  const cfg = loadConfig(cfgFile);
  const b = createBackend({
    cfg,
    service: await loadService(cfg),
    store: await openStore(cfg),
    log: silentLog,
    launch: false,
  });
  const ms = await timeMs(() => b.rescan());
  b.mailer.close();
  return ms;
}

export default async function (): Promise<void> {
  const empty = await setup('empty');
  const big = await setup('big');
  let t = performance.now();
  generateCompleted(big.store, COMPLETED);
  generateQueued(big.store, QUEUED);
  figure(
    `generate ${COMPLETED} completed + ${QUEUED} queued job dirs`,
    (performance.now() - t) / 1000,
    's',
    '(mkdir + config.ini + index links, sync calls)',
  );

  const e = await serveProcess(empty.cfgFile);
  const eS = e.sample();
  await e.stop();
  const b = await serveProcess(big.cfgFile);
  const bS = b.sample();
  figure(
    'backend start → serving (process spawn to ready)',
    b.ready,
    'ms',
    `empty store: ${e.ready.toFixed(0)} ms (target < 3000)`,
  );
  figure(
    'resident memory once ready',
    bS.rssMb,
    'MB',
    `empty store: ${eS.rssMb.toFixed(1)} MB (target < 200)`,
  );
  figure(
    'inotify watches once ready',
    bS.watches,
    '',
    `empty store: ${eS.watches}; active jobs ≤ 4 (target < 100 + active)`,
  );
  const bigStore = await openStore(loadConfig(big.cfgFile));
  await waitFor(
    async () => (await fs.readdir(bigStore.states.incoming)).length === 0,
    600_000,
    'queue drained',
  );
  const after = b.sample();
  figure(
    'resident memory after running the 1,000 queued',
    after.rssMb,
    'MB',
    `inotify watches then: ${after.watches}`,
  );
  await b.stop();

  const cfg = loadConfig(big.cfgFile);
  const env = { cfg, service: await loadService(cfg), store: bigStore, log: silentLog };
  const listDefault = await timeMs(() => listJobs(env));
  const listEmpty = await timeMs(() => listJobs({ ...env, store: empty.store }));
  figure(
    'list (default: all but completed/archived)',
    listDefault,
    'ms',
    `empty store: ${listEmpty.toFixed(1)} ms`,
  );
  t = performance.now();
  const all = await listJobs(env, ['completed']);
  figure(`list completed (${all.length} config.ini read)`, performance.now() - t, 'ms');
  const userTimes: number[] = [];
  for (let i = 0; i < 50; i++)
    userTimes.push(await timeMs(() => listUserJobs(bigStore, `user${i}@example.test`)));
  figure(
    "one user's job list (100 jobs), p50",
    pct(userTimes, 50),
    'ms',
    `p95 ${pct(userTimes, 95).toFixed(2)} ms (target < 10)`,
  );

  await submitLatencies(empty.store, 20);
  await submitLatencies(bigStore, 20);
  const le = await submitLatencies(empty.store, 200);
  const lb = await submitLatencies(bigStore, 200);
  figure(
    'submit (createJob, durable) p50, 100k store',
    pct(lb, 50),
    'ms',
    `empty store: ${pct(le, 50).toFixed(2)} ms; ratio ${(pct(lb, 50) / pct(le, 50)).toFixed(2)} (target < 1.2)`,
  );

  const r0 = await setup('recover0');
  const r1 = await setup('recover1');
  await interrupted(r1.store, INTERRUPTED);
  const base = await recover(r0.cfgFile);
  const rec = await recover(r1.cfgFile);
  figure(
    `recovery of ${INTERRUPTED} interrupted jobs`,
    rec,
    'ms',
    `(half requeued, half finished to completed); no jobs: ${base.toFixed(1)} ms`,
  );
}
