import { NotFoundError } from '../errors.js';
import type { Admitted } from '../scheduler/index.js';
import { STATES, type State } from '../states.js';
import {
  type Job,
  type JobRef,
  jobWith,
  moveJob,
  type Seen,
  updateJobConfig,
} from '../store/index.js';
import { queueFromDisk } from './children.js';
import type { Core } from './core.js';
import type { Failure } from './failure.js';
import { finalizeStep, postprocessStep, restStep } from './finish.js';
import { judgeRun, preprocessStep, type RunSpec, startStep } from './launch.js';

/**
 * The one driver of a job's life. Each state has a step: it does that state's work and
 * says where the job goes next (or that it rests there until an event: a wrapper's exit,
 * a child's end, a slot). The driver makes each move by its declared transition
 * (src/store/transitions.ts: moveJob refuses any other), records a failure before the move
 * that carries it, and gives back the run slot when a job leaves the states that hold one.
 * Steps never call each other: a job's path is a loop here, not a chain of calls.
 */

/**
 * Where a step sends the job: a state (its failure recorded first), or null to rest here.
 * `seen`: what the step read of the job under its lock that the move's requirement asks
 * for (its markers, its config), so that moveJob checks that instead of reading again.
 */
export type Next = { to: State; failure?: Failure | null; spec?: RunSpec; seen?: Seen } | null;

/** What one drive carries from step to step: the run spec decided in PREPROCESSING. */
export interface Carry {
  spec?: RunSpec;
  /** The job just entered its state by this drive (false: found there by a rescan or an event). */
  entered: boolean;
  /** Mail was queued while finalizing: send it once the job rests. */
  flushMail?: boolean;
  /**
   * The job's record as the last step left it (its config as last written), for the step
   * of the state it enters, which then need not read config.ini again (finish.ts's takeJob).
   */
  job?: Job;
}

type Step = (core: Core, ref: JobRef, carry: Carry) => Promise<Next>;

/** COMPLETED or FAILED: the work of having ended, once, when the drive itself brought the job there. */
const ended: Step = (core, ref, carry) =>
  carry.entered ? restStep(core, ref, carry) : Promise.resolve(null);

const STEPS: Partial<Record<State, Step>> = {
  [STATES.INCOMING]: async (core, ref, carry) => {
    // Back in the queue (requeued, rerun): queued again in its place (submission order).
    if (carry.entered) await queueFromDisk(core, ref.id);
    core.pump();
    return null;
  },
  [STATES.PREPROCESSING]: preprocessStep,
  [STATES.RUNNING]: (core, ref, carry) =>
    carry.entered && carry.spec ? startStep(core, ref, carry.spec) : judgeRun(core, ref),
  [STATES.POSTPROCESSING]: postprocessStep,
  [STATES.FINALIZING]: finalizeStep,
  [STATES.COMPLETED]: ended,
  [STATES.FAILED]: ended,
};

/** States whose jobs hold a run slot of the scheduler. */
const HOLDS_SLOT: ReadonlySet<State> = new Set([STATES.PREPROCESSING, STATES.RUNNING]);

/**
 * Advance job `ref` from where it is until it rests; `first`: a move to make before the
 * first step (a cancel, a slot given by the scheduler). The caller holds the job's lock.
 */
export async function drive(core: Core, ref: JobRef, first: Next = null): Promise<void> {
  const carry: Carry = { entered: false };
  for (let next = first; ;) {
    if (next) {
      let seen = next.seen;
      if (next.failure) {
        const f = next.failure;
        const config = await updateJobConfig(
          ref,
          (c) => void (c.result = { failure: f.message, failure_kind: f.kind }),
        );
        seen = { ...seen, config };
        if (carry.job) carry.job = jobWith(carry.job, config);
      }
      const from = ref.state;
      // The slot this job holds as it leaves the states that hold one, named before the
      // move: once the job is in incoming/ it may be queued and granted a new slot (the
      // watcher sees it arrive), and that slot is not this drive's to give back.
      const slot =
        HOLDS_SLOT.has(from) && !HOLDS_SLOT.has(next.to) ? core.scheduler.slotOf(ref.id) : null;
      ref = await moveJob(core.store, ref.id, from, next.to, seen);
      if (slot !== null && core.scheduler.release(ref.id, slot)) core.pump();
      carry.entered = true;
      carry.spec = next.spec;
    }
    const step = STEPS[ref.state];
    next = step ? await step(core, ref, carry) : null;
    if (!next) return;
  }
}

/** The scheduler gave queued job `q` slot `q.slot`: INCOMING → PREPROCESSING, then on. */
export async function launchQueued(core: Core, q: Admitted): Promise<void> {
  try {
    await drive(core, { id: q.id, state: STATES.INCOMING, dir: '' }, { to: STATES.PREPROCESSING });
  } catch (err) {
    // Taken from incoming/ by someone else (cancelled, deleted): the slot it was given is free again.
    if (!(err instanceof NotFoundError)) throw err;
    if (core.scheduler.release(q.id, q.slot)) core.pump();
  }
}
