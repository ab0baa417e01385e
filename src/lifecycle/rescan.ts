import { submitterOf, type QueuedJob } from '../scheduler/index.js';
import { ALL_STATES, POLICY, STATES, type State } from '../states.js';
import { listState, readJob } from '../store/index.js';
import { queueableFromDisk } from './children.js';
import { type Core, here, safely } from './core.js';
import { drive } from './driver.js';

/**
 * The backend finding jobs on disk rather than hearing of them: the count of running jobs
 * before anything is admitted, the rescan of every folder (at start and every
 * check_minutes), and the drive of a job found in a state (an event, a poll, the rescan).
 */

/** Drive job `id` if it is in `state` now (the caller holds its lock); false when it moved on. */
export async function driveFound(core: Core, id: string, state: State): Promise<boolean> {
  const ref = here(core, id, state);
  if (ref) return (await drive(core, ref)).state === state; // where the drive left it
  if (state === STATES.RUNNING) core.runWatch.unwatch(id); // moved on: its watch with it
  return false;
}

/**
 * Before anything is admitted (start): every job in running/ holds a run slot of its type
 * until the driver has judged it, so jobs that ended while no backend ran never free slots
 * that live ones still hold (count, then admit).
 */
export async function countRunning(core: Core): Promise<void> {
  for (const id of await listState(core.store, STATES.RUNNING)) {
    const ref = here(core, id, STATES.RUNNING);
    const job = ref && (await readJob(ref).catch(() => null));
    if (job) core.scheduler.activate(id, job.settings.type, submitterOf(job.settings));
  }
}

/** Look at every job of every folder, as its state's policy says (src/states.ts), then admit. */
export async function rescanJobs(core: Core): Promise<void> {
  const { store, scheduler, lock } = core;
  // Up to 16 jobs at once (each under its own lock): their fsyncs overlap, so recovering
  // 1,000 interrupted jobs takes a fraction of doing them one after another.
  const each = async (state: State, fn: (id: string) => Promise<void>) => {
    const ids = await listState(store, state);
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        if (POLICY[state].found !== 'queue' && lock.busy(id)) continue;
        await safely(
          core,
          `rescan ${state}`,
          id,
          lock.run(id, () => fn(id)),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(16, ids.length) }, worker));
  };
  // Each state's folder in lifecycle order, as its policy says (src/states.ts).
  for (const state of ALL_STATES) {
    const found = POLICY[state].found;
    if (found === 'queue') {
      // The waiting jobs are queued in submission order, as if they had just arrived one by
      // one: the fair share's turns are derived from that (scheduler/turns.ts), ties included.
      const waiting: QueuedJob[] = [];
      await each(state, async (id) => {
        const q = await queueableFromDisk(core, id);
        if (q) waiting.push(q);
      });
      waiting.sort((a, b) => a.submitted - b.submitted);
      // In one tick: a job moved out of incoming/ since it was read is not queued (a cancel dequeues after its move).
      for (const q of waiting) if (here(core, q.id, state)) scheduler.enqueue(q);
    } else if (found === 'unprepare') {
      // A job this backend is not preparing (it holds no slot here) never ran: the driver
      // puts it back in the queue. It may be admitted before the running jobs are judged:
      // each of them holds its slot already (count, then admit).
      await each(state, async (id) => {
        const ref = here(core, id, state);
        if (ref && !scheduler.isActive(id)) await drive(core, ref, { to: STATES.INCOMING });
      });
    } else if (found === 'drive') {
      // The driver's step for the state, as found.
      await each(state, (id) => driveFound(core, id, state).then(() => {}));
    }
  }
  core.pump();
  await core.mailer.flush();
}
