/**
 * Old jobs, per [oldjobs]: a COMPLETED or FAILED job is ARCHIVED `archive` after it
 * finished (the service's archive hook runs first, e.g. to delete bulky files) and
 * EXPIRED — deleted, index links included — `expire` after it finished. NEVER turns a
 * step off (saliweb crashes when expire is NEVER; here it simply never sweeps). The
 * sweeper runs at start and every 10% of the shorter of the two ages; `now` is injectable.
 */
import type { Config } from '../config/index.js';
import { messageOf } from '../errors.js';
import type { Log } from '../log.js';
import type { Service } from '../service/types.js';
import { STATES, type State } from '../states.js';
import {
  appendJobLog,
  expireJob,
  listOldJobs,
  readJob,
  type JobRef,
  type Store,
} from '../store/index.js';
import { jobContext, typeOfJob } from '../service/context.js';
import { type Backend, withBackend } from '../lifecycle/backend.js';
import { runHook } from '../lifecycle/hooks.js';

/** What a sweep needs; `backend` when one runs in this process (its driver archives, under its locks). */
export interface SweepEnv {
  cfg: Config;
  service: Service;
  store: Store;
  log: Log;
  backend?: Backend | null;
}

/** What one sweep did. */
export interface SweepReport {
  archived: string[];
  expired: string[];
  /** Jobs left where they were because a hook or a move failed (tried again next sweep). */
  failed: { id: string; error: string }[];
}

/** Archive and expire what is due at `now`. A failing job is reported and skipped; it never stops the sweep. */
export async function sweepOldJobs(env: SweepEnv, now = Date.now()): Promise<SweepReport> {
  const { cfg, store, log } = env;
  const report: SweepReport = { archived: [], expired: [], failed: [] };
  const { archiveMs, expireMs } = cfg.oldjobs;
  const step = async (
    ref: JobRef,
    hook: 'archive' | 'expire',
    act: () => Promise<unknown>,
    into: string[],
  ) => {
    try {
      const job = await readJob(ref);
      const type = typeOfJob(env.service, job);
      const fn = type?.[hook];
      if (fn) await runHook(hook, cfg.backend.hookTimeoutMs, () => fn(jobContext(job, cfg)));
      await act();
      into.push(ref.id);
      log(hook === 'archive' ? 'job_archived' : 'job_expired', { job: ref.id });
    } catch (err) {
      report.failed.push({ id: ref.id, error: messageOf(err) });
      log('sweep_failed', { job: ref.id, step: hook, error: messageOf(err) });
    }
  };
  if (expireMs !== null) {
    for (const state of [STATES.ARCHIVED, STATES.COMPLETED, STATES.FAILED] as State[]) {
      for (const ref of await listOldJobs(store, state, expireMs, now))
        await step(ref, 'expire', () => expireJob(store, ref), report.expired);
    }
  }
  if (archiveMs !== null) {
    const archived = new Date(now).toISOString();
    // ARCHIVE: COMPLETED or FAILED → ARCHIVED by the driver, `[result] archived=ISO` recorded
    // first (the results page shows that date with its 410); NotFoundError when the job moved.
    await withBackend(env, async (b) => {
      for (const state of [STATES.COMPLETED, STATES.FAILED] as const) {
        for (const ref of await listOldJobs(store, state, archiveMs, now)) {
          const archive = async () => {
            const moved = await b.move(ref.id, state, {
              to: STATES.ARCHIVED,
              record: (c) => void (c.result = { ...c.result, archived }),
            });
            await appendJobLog(moved.dir, 'archived');
          };
          await step(ref, 'archive', archive, report.archived);
        }
      }
    });
  }
  return report;
}

/** How often to sweep: 10% of the shorter of archive and expire (1 min to 1 day); null when both are NEVER. */
export function sweepIntervalMs(cfg: Config): number | null {
  const ages = [cfg.oldjobs.archiveMs, cfg.oldjobs.expireMs].filter((x): x is number => x !== null);
  if (ages.length === 0) return null;
  return Math.min(86_400_000, Math.max(60_000, Math.min(...ages) / 10));
}

/** Sweep now and then periodically; `clock` is injectable for tests. */
export function startSweeper(
  env: SweepEnv,
  { clock = Date.now }: { clock?: () => number } = {},
): { stop(): Promise<void> } {
  const every = sweepIntervalMs(env.cfg);
  if (every === null) return { stop: async () => {} };
  let current: Promise<unknown> = Promise.resolve();
  const run = () => {
    current = current
      .then(() => sweepOldJobs(env, clock()))
      .catch((err) => env.log('sweep_failed', { error: messageOf(err) }));
  };
  run();
  const timer = setInterval(run, every);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await current;
    },
  };
}
