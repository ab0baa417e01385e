import { promises as fs } from 'node:fs';
import { join, relative } from 'node:path';
import { ALL_STATES } from '../states.js';
import { isENOENT } from './fsutil.js';
import { isJobId } from './ids.js';
import { addUserIndex } from './indexes.js';
import { readJob } from './jobs.js';
import { jobDir, type Store } from './layout.js';

/** What a rebuild of the derived indexes changed. */
export interface ReindexReport {
  /** by-id links (and users links) added for jobs that had none. */
  added: number;
  /** by-id and users links removed because their job no longer exists. */
  removed: number;
}

/**
 * Rebuild by-id/ and users/ from the state folders, the truth (the indexes are derived and never hold it). Costs one readdir
 * per state folder, by-id/ and each users/ folder — no config.ini is read except for a job
 * that has no link yet (its email is needed) — so it is cheap with 100k jobs. Links that
 * point at a job's old state are left: findJob probes the folders and the next move fixes them.
 */
export async function rebuildIndexes(store: Store): Promise<ReindexReport> {
  const report: ReindexReport = { added: 0, removed: 0 };
  const where = new Map<string, (typeof ALL_STATES)[number]>();
  for (const state of ALL_STATES) {
    for (const name of await fs.readdir(store.states[state]).catch(() => [] as string[]))
      if (isJobId(name)) where.set(name, state);
  }
  const linked = new Set((await fs.readdir(store.byId)).filter(isJobId));
  for (const [id, state] of where) {
    if (linked.has(id)) continue;
    const dir = jobDir(store, state, id);
    try {
      await fs.symlink(relative(store.byId, dir), join(store.byId, id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const email = await readJob({ id, state, dir }).then(
      (j) => j.settings.email,
      () => undefined,
    );
    if (email) await addUserIndex(store, email, id);
    report.added++;
  }
  // A link without a job: a crash between deleting a job and its links, or a stale reservation.
  // A fresh reservation (createJob between its symlink and its rename) is younger than a minute: kept.
  for (const id of linked) {
    if (where.has(id)) continue;
    const st = await fs.lstat(join(store.byId, id)).catch(() => null);
    if (!st || Date.now() - st.mtimeMs < 60_000) continue;
    if (
      await fs.stat(join(store.byId, id)).then(
        () => true,
        () => false,
      )
    )
      continue;
    await fs.rm(join(store.byId, id), { force: true });
    report.removed++;
  }
  for (const user of await fs.readdir(store.users).catch(() => [] as string[])) {
    let names: string[];
    try {
      names = await fs.readdir(join(store.users, user));
    } catch (err) {
      if (isENOENT(err)) continue;
      throw err;
    }
    for (const id of names) {
      if (!isJobId(id) || where.has(id)) continue;
      const link = join(store.users, user, id);
      const st = await fs.lstat(link).catch(() => null);
      if (
        !st ||
        Date.now() - st.mtimeMs < 60_000 ||
        (await fs.stat(link).then(
          () => true,
          () => false,
        ))
      )
        continue;
      await fs.rm(link, { force: true });
      report.removed++;
    }
  }
  return report;
}
