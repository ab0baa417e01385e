/**
 * Dashboard scenario: what the census (and so /admin, /admin/events and /metrics) costs
 * with many ended jobs on disk (JOBDIR_BENCH_JOBS, default 100,000 in completed/ and
 * failed/; config.ini says they finished over 60 days, but their directories are all new,
 * as a directory's birth time cannot be set). Baseline in the same run: reading every
 * config.ini once, which is what a naive dashboard would do on each refresh.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { dashboardSource } from '../../src/ops/dashboard.js';
import { ALL_STATES, STATES } from '../../src/states.js';
import {
  createCensus,
  encodeJobConfig,
  newJobId,
  openStore,
  readJob,
  readJobTimes,
} from '../../src/store/index.js';
import { tempDir, writeConfig } from '../../test/helpers.js';
import { figure, pct } from './util.js';

export default async function dashboard(): Promise<void> {
  const n = Number(process.env.JOBDIR_BENCH_JOBS ?? 100_000);
  const root = tempDir('jobdir-bench-dash-');
  const cfg = loadConfig(await writeConfig(root));
  const store = await openStore(cfg);
  const now = Date.now();
  let t0 = performance.now();
  const ids: { id: string; state: string }[] = [];
  for (let i = 0; i < n; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, n - i) }, async (_, k) => {
        const id = newJobId(store.idLength);
        const state = (i + k) % 10 === 0 ? STATES.FAILED : STATES.COMPLETED;
        const dir = join(store.states[state], id);
        const finished = new Date(now - ((i + k) / n) * 60 * 86_400_000);
        await fs.mkdir(dir);
        await fs.writeFile(
          join(dir, 'config.ini'),
          encodeJobConfig({
            settings: { job_id: id, type: 'divide', submitted: finished.toISOString() },
            result: { state, finished: finished.toISOString() },
          }),
        );
        ids.push({ id, state });
      }),
    );
  }
  figure(`setup: ${n} ended job directories`, (performance.now() - t0) / 1000, 's');

  const census = createCensus(store);
  const rss0 = process.memoryUsage().rss;
  t0 = performance.now();
  const first = await census.snapshot();
  figure(
    'census, first scan (readdir + one stat each)',
    performance.now() - t0,
    'ms',
    `${first.statted} stats`,
  );
  figure('census cache size (RSS growth)', (process.memoryUsage().rss - rss0) / 2 ** 20, 'MiB');
  const again: number[] = [];
  for (let i = 0; i < 5; i++) {
    t0 = performance.now();
    const s = await census.snapshot();
    again.push(performance.now() - t0);
    if (s.statted !== 0) throw new Error('a rescan stat-ed directories it had seen');
  }
  figure(
    'census, later scans, nothing moved (median of 5)',
    pct(again, 50),
    'ms',
    'one stat per state folder',
  );
  const moved: number[] = [];
  for (let i = 0; i < 5; i++) {
    const id = newJobId(store.idLength);
    await fs.mkdir(join(store.states.completed, id));
    await fs.writeFile(
      join(store.states.completed, id, 'config.ini'),
      encodeJobConfig({
        settings: { job_id: id, type: 'divide', submitted: new Date().toISOString() },
      }),
    );
    t0 = performance.now();
    const s = await census.snapshot();
    moved.push(performance.now() - t0);
    if (s.statted !== 1) throw new Error(`expected one new directory, stat-ed ${s.statted}`);
  }
  figure(
    'census, later scans, one job ended (median of 5)',
    pct(moved, 50),
    'ms',
    'readdir of completed/ + one stat',
  );
  const source = dashboardSource({ cfg, store, census, inProcessBackend: false });
  const gathers: number[] = [];
  for (let i = 0; i < 5; i++) {
    t0 = performance.now();
    await source(0);
    gathers.push(performance.now() - t0);
  }
  figure('dashboard data (census + rows + charts; median)', pct(gathers, 50), 'ms');

  const sample = ids.slice(0, 2000);
  t0 = performance.now();
  for (const { id, state } of sample)
    await readJobTimes(store, {
      id,
      state: state as 'failed',
      dir: join(store.states[state as 'failed'], id),
    });
  figure(
    'times lookup per ended job (/metrics histograms)',
    ((performance.now() - t0) * 1000) / sample.length,
    'µs',
    '4 stats, after the job_completed/job_failed log line',
  );

  t0 = performance.now();
  for (const { id, state } of ids)
    await readJob({
      id,
      state: state as (typeof ALL_STATES)[number],
      dir: join(store.states[state as 'failed'], id),
    });
  figure('baseline: read every config.ini once', performance.now() - t0, 'ms');
}
