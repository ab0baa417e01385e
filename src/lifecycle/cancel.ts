import type { Config } from '../config/index.js';
import { ConflictError, messageOf, NotFoundError } from '../errors.js';
import type { Log } from '../log.js';
import { runnerKind, runnerRegistry, type Runner } from '../runners/index.js';
import { POLICY, STATES, type State } from '../states.js';
import {
  appendJobLog,
  findJob,
  findJobIn,
  type Job,
  type JobRef,
  readJob,
  readMarkers,
  type Store,
  updateJobConfig,
  writeCancel,
} from '../store/index.js';
import { childStates, unfinishedWaited } from '../store/deps.js';
import type { Next } from './driver.js';
import { cancelFailure } from './failure.js';

/**
 * The one way a job is stopped: cancel (by a user, the API, the dashboard, the CLI, the
 * socket) and the administrator's fail. It works with the backend in this process or from
 * another process while a backend runs elsewhere (or none runs): every step that takes a
 * job away from where it is starts with a rename, and a rename has one winner. A queued
 * job is claimed from incoming/ and finished at once; a running one gets a durable CANCEL
 * marker (write-ahead), then TERM, and KILL after kill_grace, to its wrapper's process
 * group; a parent waiting for its children has them stopped. Ended jobs: ConflictError.
 */

/** What stopping needs: the store and config, and the driver (to move a claimed queued job). */
export interface StopEnv {
  cfg: Config;
  store: Store;
  log: Log;
  /**
   * Advance job `ref` by the driver after the declared move `first`, the caller holding its
   * lock (a claimed queued job: moved to FINALIZING, out of the queue, finished at once).
   */
  drive(ref: JobRef, first: Next): Promise<JobRef>;
  /** Look at a running job again now (its wrapper was just signalled). */
  look?(id: string): void;
  /** The runners of the backend in this process (it knows the wrappers it started). */
  runners?: (kind: Runner['kind']) => Runner;
  /**
   * The backend's per-job lock, when the backend runs in this process: every writer of a
   * job's config.ini holds it (startAfter records a dependent in its parent's [children]
   * under it, so a cancel rewriting the parent's config.ini at the same moment must too).
   */
  lock?: <T>(id: string, fn: () => Promise<T>) => Promise<T>;
}

/** Who asks, how (cancel, or the admin's fail) and whether to wait for the job to move. */
export interface StopRequest {
  by: string;
  mode: 'cancel' | 'fail';
  notify: boolean;
  /** false: return once the request is durable and the stop begun (web, API, socket); default true. */
  wait?: boolean;
}

/** What a stop did, in words for people. */
export type StopOutcome = { state: State; message: string };

/** Stop job `id` as `req` says; see the module header. */
export async function stopJob(env: StopEnv, id: string, req: StopRequest): Promise<StopOutcome> {
  const verb = req.mode === 'fail' ? 'marked as failed' : 'cancelled';
  let wrote = false; // this request's CANCEL marker is in the job's directory
  for (let round = 0; round < 100; round++) {
    const ref = await requireJob(env, id);
    try {
      const stop = POLICY[ref.state].stop;
      switch (stop) {
        case 'claim': {
          // The claim, under the job's lock. Still queued once the lock is ours, or look again.
          const done = await (env.lock ?? unlocked)(id, async () => {
            if (!findJobIn(env.store, id, STATES.INCOMING)) return null;
            await writeCancel(ref.dir, req.by, req);
            wrote = true;
            const f = cancelFailure({ at: Date.now(), ...req }, true);
            const config = await updateJobConfig(
              ref,
              (c) => void (c.result = { failure: f.message, failure_kind: f.kind }),
              { pause: 'cancel:config' },
            );
            // The driver moves it, takes it out of the queue and finishes it at once.
            const first: Next<typeof STATES.INCOMING> = {
              to: STATES.FINALIZING,
              seen: { config },
            };
            return (await env.drive(ref, first)).state;
          });
          if (done === null) continue;
          return { state: done, message: `Job ${id} was queued and is now ${verb} (${done}).` };
        }
        case 'mark':
        case 'signal': {
          await writeCancel(ref.dir, req.by, req);
          wrote = true;
          if (stop === 'mark' && req.wait === false) {
            return {
              state: ref.state,
              message: `Job ${id} is being prepared; the ${verb === 'cancelled' ? 'cancel' : 'fail'} request is recorded and it will stop before it runs.`,
            };
          }
          if (stop === 'mark') {
            // The backend checks for CANCEL before it starts the wrapper; wait to see where the job goes.
            const moved = await waitUntilMoved(env, id, STATES.PREPROCESSING, 5000);
            let now = moved ? await findJob(env.store, id) : null;
            if (
              now?.state === STATES.FINALIZING &&
              (await waitUntilMoved(env, id, STATES.FINALIZING, 5000))
            )
              now = await findJob(env.store, id);
            // A job prepared and waiting for a run slot ends at once, as a queued one does.
            if (now && (now.state === STATES.FAILED || now.state === STATES.COMPLETED)) {
              return {
                state: now.state,
                message: `Job ${id} was queued and is now ${verb} (${now.state}).`,
              };
            }
            if (moved) continue;
            return {
              state: ref.state,
              message: `Job ${id} is being prepared; the ${verb === 'cancelled' ? 'cancel' : 'fail'} request is recorded and it will stop before it runs.`,
            };
          }
          await appendJobLog(ref.dir, req.mode === 'fail' ? 'fail_requested' : 'cancel_requested', {
            by: req.by,
          });
          const kill = async () => {
            const job = await readJob(ref);
            await runnerOf(env, job).cancel(
              ref,
              await readMarkers(ref.dir),
              env.cfg.backend.killGraceMs,
            );
            env.look?.(id);
          };
          if (req.wait === false) {
            // The request is durable; TERM, then KILL after kill_grace, go on without the caller.
            void kill().catch((err: unknown) =>
              env.log('cancel_failed', { job: id, error: messageOf(err) }),
            );
            return { state: ref.state, message: `Job ${id} is being stopped.` };
          }
          await kill();
          const ended = await waitUntilMoved(env, id, STATES.RUNNING, 3000);
          const now = ended ? await findJob(env.store, id) : ref;
          return {
            state: now?.state ?? ref.state,
            message: ended
              ? `Job ${id} was stopped and is now ${now?.state ?? 'gone'}.`
              : `Job ${id} was stopped; the backend ends it as ${verb} when it sees the wrapper gone (if no backend is running, when it starts).`,
          };
        }
        case 'children': {
          // A parent waiting for its children: the request is recorded and its children stopped.
          const kids = unfinishedWaited(await childStates(env.store, (await readJob(ref)).config));
          if (kids.length) {
            await writeCancel(ref.dir, req.by, req);
            const said = await Promise.all(
              kids.map((k) =>
                stopJob(env, k, req).then(
                  (o) => `${k} ${o.state}`,
                  (e: unknown) => `${k}: ${(e as Error).message}`,
                ),
              ),
            );
            return {
              state: ref.state,
              message: `Job ${id} was waiting for ${kids.length} job(s) it started (${said.join('; ')}); they were ${verb}, and it ends as ${verb} once they have stopped.`,
            };
          }
          throw new ConflictError(
            `Job ${id} has finished running and is ${ref.state}; wait until it has ended${req.mode === 'fail' ? ', then run jobdir fail again' : ''}.`,
          );
        }
        case 'finishing':
          // A stop already under way (a CANCEL the backend honoured, e.g. this request's,
          // written while the job was queued, as the backend admitted it): not a conflict.
          if ((await readMarkers(ref.dir)).cancel)
            return { state: ref.state, message: `Job ${id} is being ${verb}.` };
          throw new ConflictError(
            `Job ${id} has finished running and is ${ref.state}; wait until it has ended${req.mode === 'fail' ? ', then run jobdir fail again' : ''}.`,
          );
        case 'ended':
          // This request's CANCEL went with the job as the backend took it on and ended it.
          if (wrote && (await readMarkers(ref.dir)).cancel)
            return { state: ref.state, message: `Job ${id} was ${verb} (${ref.state}).` };
          throw new ConflictError(
            `Job ${id} has already ended (${ref.state}); only queued or running jobs can be ${verb}.`,
          );
      }
    } catch (err) {
      // The job moved under us (the backend took it a step further): look again.
      if (err instanceof NotFoundError || (err as NodeJS.ErrnoException).code === 'ENOENT')
        continue;
      throw err;
    }
  }
  throw new ConflictError(`Job ${id} kept moving while it was being ${verb}; try again.`);
}

/** No lock: no backend runs in this process (see StopEnv.lock). */
const unlocked = <T>(_id: string, fn: () => Promise<T>): Promise<T> => fn();

/** Wait up to `ms` for job `id` to leave `from` (one stat a look); false when it is still there. */
async function waitUntilMoved(env: StopEnv, id: string, from: State, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (!findJobIn(env.store, id, from)) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function runnerOf(env: StopEnv, job: Job): Runner {
  return (env.runners ?? runnerRegistry(env.cfg))(runnerKind(env.cfg, job));
}

/** The job, or a NotFoundError naming the id and how to list jobs. */
export async function requireJob(env: { store: Store }, id: string): Promise<JobRef> {
  const ref = await findJob(env.store, id);
  if (!ref)
    throw new NotFoundError(
      `No job with id "${id}" was found (check the id; \`jobdir list\` shows the jobs).`,
    );
  return ref;
}
