import { promises as fs } from 'node:fs';
import type { State } from '../states.js';
import { isENOENT } from './fsutil.js';
import {
  type JobConfig,
  type JobRef,
  listState,
  readJob,
  removeJob,
  updateJobConfig,
} from './jobs.js';
import { jobDir, type Store } from './layout.js';

/** A finished job old enough for a sweep, with the time it finished (ms). */
export interface OldJob extends JobRef {
  finished: number;
}

/**
 * Jobs in `state` that finished at least `ageMs` before `now`. A job's directory mtime is
 * never earlier than its finish (config.ini is rewritten in it when it ends), so one stat
 * rules out every young job and only candidates have their config.ini read: a sweep over
 * 100k completed jobs costs 100k stats, not 100k file reads.
 */
export async function listOldJobs(
  store: Store,
  state: State,
  ageMs: number,
  now: number,
): Promise<OldJob[]> {
  const out: OldJob[] = [];
  for (const id of await listState(store, state)) {
    const dir = jobDir(store, state, id);
    const st = await fs.stat(dir).catch(() => null);
    if (!st || now - st.mtimeMs < ageMs) continue;
    const job = await readJob({ id, state, dir }).catch(() => null);
    if (!job) continue;
    const finished = Date.parse(job.result.finished) || st.mtimeMs;
    if (now - finished >= ageMs) out.push({ id, state, dir, finished });
  }
  return out;
}

/** EXPIRE: delete the job's directory and its by-id and users index links. */
export async function expireJob(store: Store, ref: JobRef): Promise<void> {
  const email = await readJob(ref).then(
    (j) => j.settings.email,
    (err) => {
      if (isENOENT(err)) return undefined;
      throw err;
    },
  );
  await removeJob(store, ref, email || undefined);
}

/**
 * Append one line to the job's [history] (numbered 1, 2, …): what happened before a
 * resubmit, so the old failure and its attempts are never lost.
 */
export async function appendHistory(
  ref: JobRef,
  line: string,
  mutate?: (c: JobConfig) => void,
): Promise<JobConfig> {
  return updateJobConfig(ref, (c) => {
    const h = (c.history ??= {});
    h[String(Object.keys(h).length + 1)] = line.replace(/[\r\n]+/g, ' ');
    mutate?.(c);
  });
}
