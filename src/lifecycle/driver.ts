import { NotFoundError } from '../errors.js';
import type { Admitted } from '../scheduler/index.js';
import { POLICY, STATES, type State } from '../states.js';
import { typeOfJob } from '../service/context.js';
import {
  declared,
  findJob,
  type Job,
  type JobConfig,
  jobDir,
  type JobRef,
  jobWith,
  type Markers,
  moveJob,
  readJob,
  type Seen,
  type To,
  TRANSITIONS,
  updateJobConfig,
} from '../store/index.js';
import { isENOENT } from '../store/fsutil.js';
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
 * that carries it, takes a job that leaves the queue out of it, and gives back the run slot
 * when a job leaves the states that hold one. Steps never call each other: a job's path is a
 * loop here, not a chain of calls. The moves made from outside a step (a stop's claim of a
 * queued job, the administrator's resubmit and fail, an archive) come here too, as the
 * first move of a drive (the backend's `move` and `drive`): there is one mover.
 */

/**
 * Where a step of state `From` sends the job: a state a transition from `From` is declared
 * to (src/store/transitions.ts; any other fails to compile), its failure recorded first; or
 * null to rest here. `seen`: what the step read of the job under its lock that the move's
 * requirement asks for (its markers, its config), so that moveJob checks that instead of
 * reading again. `record`: what else to write in config.ini before the move, with the failure.
 */
export type Next<From extends State = State> = {
  to: To<From>;
  failure?: Failure | null;
  record?: (c: JobConfig) => void;
  spec?: RunSpec;
  seen?: Seen;
} | null;

/** What one drive carries from step to step: the run spec, whether it entered the state, mail to flush, the job's record. */
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
  /**
   * The markers the run's verdict was taken on (judgeRun), for the steps after it: markers
   * are written once by the wrapper and never taken back, so they need not be read again.
   */
  markers?: Markers;
  /** The state the drive's last move left (set with entered). */
  left?: State;
}

/** The step of state `S`: its work, and where the job goes from `S` (or null: it rests). */
export type Step<S extends State> = (core: Core, ref: JobRef, carry: Carry) => Promise<Next<S>>;

/**
 * COMPLETED or FAILED: the work of having ended, once, when the drive itself brought the job
 * there from a state that had not ended (not the administrator's fail of a completed job).
 */
const ended = (core: Core, ref: JobRef, carry: Carry): Promise<null> =>
  carry.entered && carry.left && !POLICY[carry.left].ended
    ? restStep(core, ref, carry)
    : Promise.resolve(null);

/** Each state's step (null: none, the job rests there). */
const STEPS: { readonly [S in State]: Step<S> | null } = {
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
  [STATES.ARCHIVED]: null,
};

/**
 * May job `ref` (in the folder of ref.state) go through `to`'s step without entering its
 * folder? Only when a declared transition from where it is runs over `to`, the job's type
 * has no hook of that state (nor children or follow-on jobs to wait for), and the service
 * did not ask for every state ([backend] visit_all_states). Leaves the record it read in
 * carry.job, for that step.
 */
async function passes(core: Core, ref: JobRef, to: State, carry: Carry): Promise<boolean> {
  if (core.cfg.backend.visitAllStates) return false;
  if (!TRANSITIONS.some((x) => x.from === ref.state && x.over.includes(to))) return false;
  if (carry.job?.id !== ref.id) {
    try {
      carry.job = await readJob(ref);
    } catch (err) {
      if (isENOENT(err)) throw new NotFoundError(`Job ${ref.id} is not in ${ref.state}.`);
      throw err;
    }
  }
  const job = carry.job;
  const type = typeOfJob(core.service, job);
  if (!type) return false;
  if (to === STATES.PREPROCESSING) return !type.preprocess;
  if (job.config.children) return false;
  if (to === STATES.POSTPROCESSING) return !type.postprocess;
  return !type.finalize && !core.cfg.jobs[type.name]?.followOn.length;
}

/**
 * Advance job `ref` from where it is until it rests; `first`: a move to make before the
 * first step (a cancel, a slot given by the scheduler). The caller holds the job's lock.
 * `at` is the state whose step runs; the job's folder (ref.state) may lag behind it while
 * it passes through states it does not need (passes): the next move then goes by a
 * transition declared over them, else it first catches up by the declared one into `at`.
 */
export async function drive(core: Core, ref: JobRef, first: Next = null): Promise<JobRef> {
  const carry: Carry = { entered: false };
  if (!ref.dir) ref = { ...ref, dir: jobDir(core.store, ref.state, ref.id) };
  let at: State = ref.state;
  let passSeen: Seen = {};
  for (let next = first; ;) {
    if (next) {
      let seen: Seen = { ...passSeen, ...next.seen };
      if (next.seen?.markers) carry.markers = next.seen.markers;
      if (next.failure || next.record) {
        const { failure: f, record } = next;
        const config = await updateJobConfig(ref, (c) => {
          if (f) c.result = { failure: f.message, failure_kind: f.kind };
          record?.(c);
        });
        seen = { ...seen, config };
        if (carry.job) carry.job = jobWith(carry.job, config);
      }
      // The slot this job holds as it leaves the states that hold one, named before the
      // move: once the job is in incoming/ it may be queued and granted a new slot (the
      // watcher sees it arrive), and that slot is not this drive's to give back.
      const slot =
        POLICY[at].holdsSlot && !POLICY[next.to].holdsSlot ? core.scheduler.slotOf(ref.id) : null;
      if (await passes(core, ref, next.to, carry)) {
        passSeen = seen;
      } else {
        const direct = declared(ref.state, next.to);
        if (at !== ref.state && !direct?.over.includes(at))
          ref = await moveJob(core.store, ref.id, ref.state, at, passSeen);
        ref = await moveJob(core.store, ref.id, ref.state, next.to, seen);
        passSeen = {};
      }
      // Out of the queue (a claim by a stop): no longer this scheduler's to admit.
      if (POLICY[at].found === 'queue') core.scheduler.dequeue(ref.id);
      carry.left = at;
      at = next.to;
      if (slot !== null && core.scheduler.release(ref.id, slot)) core.pump();
      carry.entered = true;
      carry.spec = next.spec;
    }
    const step = STEPS[at];
    next = step ? await step(core, ref, carry) : null;
    if (!next) {
      // A step that rests the job where it has not gone (none does today) must not leave it behind.
      if (at !== ref.state) ref = await moveJob(core.store, ref.id, ref.state, at, passSeen);
      return ref;
    }
  }
}

/**
 * The scheduler gave queued job `q` slot `q.slot`: INCOMING → PREPROCESSING, then on. The
 * slot follows the folder: a drive that stops with the job in neither preprocessing/ nor
 * running/ gives it back. Another process (a cancel or delete with no backend socket to ask)
 * may take the job from incoming/ while this drive still works on it there (it passes
 * PREPROCESSING without moving when no hook needs the folder): that shows as the move that
 * loses (NotFoundError) or as whatever read or write of the departed folder came first
 * (ENOENT) with the job gone from the folders it waits in or only the backend moves it to,
 * and is no failure of this backend. A job left in incoming/ by a real failure is queued
 * again by the next rescan.
 */
export async function launchQueued(core: Core, q: Admitted): Promise<void> {
  try {
    await drive(core, { id: q.id, state: STATES.INCOMING, dir: '' }, { to: STATES.PREPROCESSING });
  } catch (err) {
    const now = await findJob(core.store, q.id).catch(() => null);
    if (!now || !POLICY[now.state].holdsSlot) {
      if (core.scheduler.release(q.id, q.slot)) core.pump();
    }
    if (err instanceof NotFoundError || (isENOENT(err) && takenAway(now))) return;
    throw err;
  }
}

/**
 * Gone, or where another process's stop put it (its claim moves a queued job on to
 * finalizing/, past the states a stop still acts on): not where this backend's drive from
 * incoming/ leaves a job it failed on.
 */
function takenAway(now: JobRef | null): boolean {
  return !now || POLICY[now.state].stop === 'finishing' || POLICY[now.state].ended;
}
