import { failpoint } from '../config/failpoint.js';
import { type QueuedJob, queuedJob } from '../scheduler/index.js';
import type { ChildRequest } from '../service/types.js';
import { STATES } from '../states.js';
import { appendJobLog, type Job, type JobRef, jobWith, readJob } from '../store/index.js';
import { childrenOf, ensureChildren, parentGate, recordChildren } from '../store/deps.js';
import { type Core, here, safely } from './core.js';
import { childRecords } from './deps.js';

/**
 * Jobs that start jobs: children recorded in their parent before they exist, queued
 * when made; a parent woken when a child it waits for ends; a fired child queued once its
 * parent has completed, or failed (naming the parent) when the parent failed.
 */

/** Queue a job of incoming/ found on disk (unless queued already or waiting for its parent). */
export async function queueFromDisk(core: Core, id: string): Promise<void> {
  const q = await queueableFromDisk(core, id);
  if (q) core.scheduler.enqueue(q);
}

/** What to queue for a job of incoming/ found on disk; null: nothing (queued already, gone, waiting for its parent). */
export async function queueableFromDisk(core: Core, id: string): Promise<QueuedJob | null> {
  const { scheduler, store } = core;
  if (scheduler.isQueued(id) || scheduler.isActive(id)) return null;
  const ref = here(core, id, STATES.INCOMING);
  if (!ref) return null;
  const job = await readJob(ref).catch(() => null);
  if (job?.settings.afterParent) {
    // A fired child waits in incoming/ until its parent has completed (rare: the common path reads one key).
    const gate = await parentGate(store, job.config);
    if (gate.verdict === 'wait') return null;
    if (gate.verdict === 'fail') {
      void safely(
        core,
        'dependency',
        id,
        core.lock.run(id, () => failDependent(core, id, gate.parent)),
      );
      return null;
    }
  }
  return job ? queuedJob(id, job.config) : null;
}

/**
 * Record children of `parent` (durably, in its config.ini), then create them and queue
 * them. Asking again after a crash names the same ids, so nothing is made twice. Resolves
 * with the ids of the children asked for, in order.
 */
export async function startChildren(
  core: Core,
  parent: JobRef,
  job: Job,
  stage: string,
  requests: ChildRequest[],
): Promise<string[]> {
  const records = childRecords(core.service, core.store, job, stage, requests);
  const config = await recordChildren(parent, records);
  failpoint('children:recorded');
  const made = await ensureChildren(
    core.store,
    jobWith(parent, config),
    core.service.name,
    (id, fn) => core.lock.run(id, fn),
  );
  await appendJobLog(parent.dir, 'children_started', {
    stage,
    children: records.map((r) => `${r.id} ${r.type} ${r.mode}`),
  });
  core.log('children_started', {
    job: parent.id,
    stage,
    children: records.length,
    made: made.length,
  });
  made.forEach((id) => admitChild(core, id));
  return records.map((r) => r.id);
}

/** Queue a child just made (its own lock: never under its parent's). */
export function admitChild(core: Core, id: string): void {
  void safely(
    core,
    'child',
    id,
    core.lock.run(id, () => queueFromDisk(core, id)).then(() => core.pump()),
  );
}

/** A job ended: its parent may be waiting for it, its fired children for it. */
export function wakeRelatives(core: Core, job: Job): void {
  const parent = job.settings.parent;
  if (parent && !job.settings.afterParent) {
    core.wake(parent, STATES.POSTPROCESSING);
  }
  for (const c of childrenOf(job.config)) if (c.mode === 'after') admitChild(core, c.id);
}

/** INCOMING → FINALIZING → FAILED for a fired child whose parent failed (or is gone). */
async function failDependent(core: Core, id: string, parent: string): Promise<void> {
  const ref = here(core, id, STATES.INCOMING);
  if (!ref) return;
  // The driver takes it out of the queue as it leaves incoming/.
  await core.drive(ref, {
    to: STATES.FINALIZING,
    failure: {
      kind: 'cancelled',
      message: `This job did not run: job ${parent}, which it was to follow, failed.`,
    },
  });
}
