/**
 * Creating jobs: one (createJob) or many in one group commit (createJobs). A job is built in
 * a hidden staging folder of incoming/, made durable there, renamed into incoming/, and
 * acknowledged once incoming/ is fsynced; a bulk shares each of those rounds.
 */
import * as fsc from 'node:fs';
import { promises as fs } from 'node:fs';
import { join, relative } from 'node:path';
import { failpoint } from '../config/failpoint.js';
import { UnavailableError } from '../errors.js';
import { STATES } from '../states.js';
import { JOB_FILES } from './files.js';
import { fsyncDir, fsyncDirShared, fsyncFiles, isNoSpace, writeNewFile } from './fsutil.js';
import { newJobId } from './ids.js';
import { addUserIndex } from './indexes.js';
import { encodeJobConfig, type JobConfig, type JobRef, type NewJob } from './jobs.js';
import type { Store } from './layout.js';

/**
 * Create a job in INCOMING, durable before it is visible. The id is reserved by creating
 * its by-id symlink (atomic, EEXIST on a clash, unique across every state); the job is
 * built in a hidden staging folder, config.ini written durably, then renamed into
 * incoming/ and the folder fsynced (shared with the other creations and moves into
 * incoming/ of the same moment: fsyncDirShared). Any failure removes what was made: no
 * half job stays. Failpoint create:published: renamed, its group's fsync not yet done.
 */
export async function createJob(store: Store, input: NewJob): Promise<JobRef> {
  const staged = await stageJob(store, input);
  try {
    await syncStaged([staged]);
    publishStaged(store, staged);
    failpoint('create:published');
    await fsyncDirShared(store.states.incoming);
  } catch (err) {
    // Renamed but not durable (the folder's fsync failed): the submitter is told nothing
    // was kept, so the job must not stay in incoming/ to be found and run.
    await dropStaged(store, staged);
    throw asUnavailable(err);
  }
  if (input.email) await addUserIndex(store, input.email, staged.id).catch(() => {});
  return { id: staged.id, state: STATES.INCOMING, dir: staged.dir };
}

/** A job built in its hidden staging folder, not yet durable nor visible. */
export interface Staged {
  id: string;
  staging: string;
  dir: string;
  /** Where it is now: the staging folder, or dir once published. */
  at: string;
  files: string[];
}

/**
 * Reserve an id (its by-id link) and build the job in incoming/.ID.new: config.ini and any
 * uploads written, nothing fsynced. Throws (with nothing left behind) when it cannot.
 * The link names completed/<id>, where most jobs end: it needs no second link (a file
 * creation and a deletion) when the job gets there, and until then findJob probes.
 */
export async function stageJob(store: Store, input: NewJob): Promise<Staged> {
  const incoming = store.states.incoming;
  let id = '';
  for (let tries = 0; ; tries++) {
    id = input.id ?? newJobId(store.idLength);
    try {
      fsc.symlinkSync(relative(store.byId, join(store.states.completed, id)), join(store.byId, id));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 20 || input.id)
        throw asUnavailable(err);
    }
  }
  const staging = join(incoming, `.${id}.new`);
  const staged: Staged = { id, staging, dir: join(incoming, id), at: staging, files: [] };
  input.named?.(id);
  try {
    fsc.mkdirSync(staging, { mode: 0o777 }); // less the umask (layout.ts)
    const config: JobConfig = {
      settings: {
        job_id: id,
        service: input.service,
        type: input.type,
        email: input.email,
        submitted: new Date().toISOString(),
        ...input.settings,
      },
      inputs: input.inputs,
    };
    // The staging folder is hidden as a whole, so its files need no temp names.
    const files = [
      ...(input.files ?? []),
      { name: JOB_FILES.CONFIG, data: encodeJobConfig(config) },
    ];
    for (const f of files) {
      const path = join(staging, f.name);
      await writeNewFile(path, f.data);
      staged.files.push(path);
    }
  } catch (err) {
    fsc.rmSync(staging, { recursive: true, force: true });
    fsc.rmSync(join(store.byId, id), { force: true });
    throw asUnavailable(err);
  }
  return staged;
}

/** Make staged jobs durable in their staging folders: every file and folder fsynced at once. */
export async function syncStaged(staged: readonly Staged[]): Promise<void> {
  await Promise.all([
    fsyncFiles(staged.flatMap((s) => s.files)),
    ...staged.map((s) => fsyncDir(s.staging)),
  ]);
}

/** Rename a durable staged job into incoming/ (visible; durable once incoming/ is fsynced). */
export function publishStaged(_store: Store, s: Staged): void {
  fsc.renameSync(s.staging, s.dir);
  s.at = s.dir;
}

/** Remove a staged (or published but not acknowledged) job and its by-id link. */
export async function dropStaged(store: Store, s: Staged): Promise<void> {
  await fs.rm(s.at, { recursive: true, force: true }).catch(() => {});
  await fs.unlink(join(store.byId, s.id)).catch(() => {});
}

export function asUnavailable(err: unknown): unknown {
  if (isNoSpace(err)) {
    return new UnavailableError(
      'The server is out of disk space and cannot accept jobs right now; nothing was kept. Please try again later.',
      { cause: err },
    );
  }
  return err;
}

/**
 * Create many jobs in one group commit: each staged (its own id, or its own error), all made
 * durable in one fsync round, renamed into incoming/, then one fsync of incoming/ for all.
 * Returns, in order, each job's ref or the error that kept it out. A failure of the shared
 * rounds fails every job of the bulk and removes them all: nothing unacknowledged is kept.
 * Failpoints: bulk:staged (all built, none visible), bulk:published (all renamed, incoming/
 * not yet fsynced), bulk:committed (durable, not yet answered).
 */
export async function createJobs(
  store: Store,
  inputs: readonly NewJob[],
): Promise<(JobRef | Error)[]> {
  const out: (JobRef | Error)[] = [];
  const staged: Staged[] = [];
  for (const input of inputs) {
    try {
      const s = await stageJob(store, input);
      staged.push(s);
      out.push({ id: s.id, state: STATES.INCOMING, dir: s.dir });
    } catch (err) {
      out.push(err instanceof Error ? err : new Error(String(err)));
    }
  }
  try {
    await syncStaged(staged);
    failpoint('bulk:staged');
    for (const s of staged) publishStaged(store, s);
    failpoint('bulk:published');
    await fsyncDirShared(store.states.incoming);
    failpoint('bulk:committed');
  } catch (err) {
    for (const s of staged) await dropStaged(store, s);
    const e = asUnavailable(err);
    return out.map((r) => (r instanceof Error ? r : e instanceof Error ? e : new Error(String(e))));
  }
  for (const [i, input] of inputs.entries()) {
    const r = out[i]!;
    if (input.email && !(r instanceof Error))
      await addUserIndex(store, input.email, r.id).catch(() => {});
  }
  return out;
}
