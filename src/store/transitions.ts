import * as fsc from 'node:fs';
import { join } from 'node:path';
import { decode } from 'ini';
import { TransitionError } from '../errors.js';
import { STATES, type State } from '../states.js';
import { JOB_FILES } from './files.js';
import type { JobConfig } from './jobs.js';
import { jobResult, jobRun } from './record.js';
import type { Markers } from './run.js';

/**
 * The job state machine, declared once. Every move of a job directory between
 * state folders is one row here: its verb, the folders, what must be on disk before the
 * rename, and whether the rename is made durable (both folders fsynced) before the mover
 * goes on. moveJob refuses any move that is not a row (TransitionError) and any move whose
 * requirement does not hold; each row has the failpoints `move:FROM>TO:before|renamed|after`.
 *
 * Not durable means a power cut may undo the rename: every such row leads to a state the
 * backend's start-up reconcile handles from either side (the job is found again one step
 * back and redone, never twice forward), so the run slot is not held waiting for the disk.
 */

/** What must be on disk in the job directory before a move. */
export type Requirement =
  /** config.ini is there: checked where a job enters the machine from a folder others may write (incoming/) or comes back to it. */
  | 'config'
  /** No complete SUCCESS or ERROR: the run gave no result, so running it again cannot run it twice. */
  | 'no-result'
  /** The run is over on disk: SUCCESS, ERROR or CANCEL, or an outcome recorded in config.ini [result] or [run] skipped. */
  | 'run-over'
  /** config.ini [result] state names the destination (recorded before the final rename). */
  | 'outcome';

/** One declared transition (from `F` to `T`: the table keeps each row's states in its type). */
export interface Transition<F extends State = State, T extends State = State> {
  /** The verb, as in moveToX: names it in logs, tests and errors. */
  readonly verb: string;
  readonly from: F;
  readonly to: T;
  readonly requires: readonly Requirement[];
  readonly durable: boolean;
  /** Why the move happens, for readers and error messages. */
  readonly why: string;
  /**
   * The states whose steps the job goes through without entering their folders (a type
   * without the hooks of those states): its directory stays in `from` meanwhile, and a
   * crash there finds it in `from`, one step back, as for any move not yet made.
   */
  readonly over: readonly State[];
}

const S = STATES;
const t = <F extends State, T extends State>(
  verb: string,
  from: F,
  to: T,
  durable: boolean,
  requires: Requirement[],
  why: string,
  over: State[] = [],
): Transition<F, T> => ({
  verb,
  from,
  to,
  durable,
  over,
  // Every other folder is entered only by a move from one of these: config.ini came with it.
  requires: from === S.INCOMING || to === S.INCOMING ? ['config', ...requires] : requires,
  why,
});

/** Every transition a job may make. */
export const TRANSITIONS = [
  t('admit', S.INCOMING, S.PREPROCESSING, false, [], 'the scheduler gave it a run slot'),
  t(
    'cancelQueued',
    S.INCOMING,
    S.FINALIZING,
    false,
    [],
    'cancelled or failed before it started (a dependency failed)',
  ),
  t(
    'startRun',
    S.PREPROCESSING,
    S.RUNNING,
    false,
    [],
    'its wrapper or cluster job is about to start',
  ),
  t(
    'skipRun',
    S.PREPROCESSING,
    S.POSTPROCESSING,
    false,
    [],
    'preprocess skipped the run, or its children are the work',
  ),
  t(
    'failStart',
    S.PREPROCESSING,
    S.FINALIZING,
    false,
    [],
    'it could not be started (no such type, a hook failed, cancelled)',
  ),
  t(
    'unprepare',
    S.PREPROCESSING,
    S.INCOMING,
    true,
    [],
    'a backend died while preparing it: it never ran',
  ),
  t('endRun', S.RUNNING, S.POSTPROCESSING, false, ['run-over'], 'the run is over'),
  t(
    'requeueLost',
    S.RUNNING,
    S.INCOMING,
    true,
    ['no-result'],
    'its wrapper is gone without a result (crash, reboot)',
  ),
  t('failRunning', S.RUNNING, S.FINALIZING, false, [], 'the runner could not start it'),
  t('rerun', S.POSTPROCESSING, S.INCOMING, true, [], 'postprocess asked for another run'),
  t('finishRun', S.POSTPROCESSING, S.FINALIZING, false, [], 'postprocessing is over'),
  t('complete', S.FINALIZING, S.COMPLETED, true, ['outcome'], 'it succeeded'),
  t('fail', S.FINALIZING, S.FAILED, true, ['outcome'], 'it failed'),
  t(
    'failCompleted',
    S.COMPLETED,
    S.FAILED,
    true,
    ['outcome'],
    'the administrator marked a completed job as failed',
  ),
  t('resubmit', S.FAILED, S.INCOMING, true, [], 'the administrator resubmitted it'),
  // A type without preprocess, postprocess and finalize hooks visits only the states it needs
  // (unless [backend] visit_all_states): its steps for the others run where it is.
  t(
    'startDirect',
    S.INCOMING,
    S.RUNNING,
    false,
    [],
    'the scheduler gave it a run slot and it has no preprocess hook: its wrapper is about to start',
    [S.PREPROCESSING],
  ),
  t(
    'completeDirect',
    S.RUNNING,
    S.COMPLETED,
    true,
    ['outcome'],
    'it succeeded, and it has no postprocess or finalize hook',
    [S.POSTPROCESSING, S.FINALIZING],
  ),
  t(
    'failDirect',
    S.RUNNING,
    S.FAILED,
    true,
    ['outcome'],
    'it failed, and it has no postprocess or finalize hook',
    [S.POSTPROCESSING, S.FINALIZING],
  ),
  t(
    'archiveCompleted',
    S.COMPLETED,
    S.ARCHIVED,
    true,
    [],
    'its results are older than [oldjobs] archive',
  ),
  t(
    'archiveFailed',
    S.FAILED,
    S.ARCHIVED,
    true,
    [],
    'its results are older than [oldjobs] archive',
  ),
] as const;

/** A declared move, as its row's type. */
export type Move = (typeof TRANSITIONS)[number];

/** The states a job in `F` may move to by a declared transition (never: none is declared). */
export type To<F extends State> = Extract<Move, { readonly from: F }>['to'];

const byMove = new Map<string, Transition>(TRANSITIONS.map((x) => [`${x.from}>${x.to}`, x]));

/** The declared transition from `from` to `to`, if any. */
export function declared(from: State, to: State): Transition | undefined {
  return byMove.get(`${from}>${to}`);
}

/** The declared transition from `from` to `to`, or a TransitionError naming the states. */
export function transition(from: State, to: State): Transition {
  const x = byMove.get(`${from}>${to}`);
  if (!x)
    throw new TransitionError(
      `A job cannot move from ${from} to ${to}: no such transition is declared (src/store/transitions.ts).`,
    );
  return x;
}

/**
 * What the mover has just read of the job under its lock, given so that a requirement it
 * already knows is checked against that instead of read again: markers are written once
 * by the wrapper and never taken back, and config.ini changes only under the job's lock.
 */
export interface Seen {
  markers?: Markers;
  config?: JobConfig;
}

/** A marker the wrapper finished writing (it ends with its newline). */
function complete(dir: string, name: string): boolean {
  try {
    return fsc.readFileSync(join(dir, name), 'utf8').endsWith('\n');
  } catch {
    return false;
  }
}

function recorded(dir: string): JobConfig {
  try {
    return decode(fsc.readFileSync(join(dir, JOB_FILES.CONFIG), 'utf8')) as JobConfig;
  } catch {
    return {};
  }
}

/** The run gave a result, or was cancelled, or its outcome is recorded ('run-over'). */
function runIsOver(dir: string, seen: Seen): boolean {
  const m = seen.markers;
  const marked = m
    ? m.success !== null || m.error !== null || m.cancel !== null
    : complete(dir, JOB_FILES.SUCCESS) ||
      complete(dir, JOB_FILES.ERROR) ||
      fsc.existsSync(join(dir, JOB_FILES.CANCEL));
  if (marked) return true;
  const c = seen.config ?? recorded(dir);
  return !!jobResult(c).failureKind || jobRun(c).skipped;
}

/**
 * Throw a TransitionError unless what `x` requires holds for the job in `dir` (its folder
 * in x.from): as `seen` says when the mover gives it, else as read from disk.
 */
export function checkRequirements(x: Transition, id: string, dir: string, seen: Seen = {}): void {
  for (const r of x.requires) {
    let ok: boolean;
    if (r === 'config') ok = !!seen.config || fsc.existsSync(join(dir, JOB_FILES.CONFIG));
    else if (r === 'no-result')
      ok = seen.markers
        ? seen.markers.success === null && seen.markers.error === null
        : !complete(dir, JOB_FILES.SUCCESS) && !complete(dir, JOB_FILES.ERROR);
    else if (r === 'run-over') ok = runIsOver(dir, seen);
    else ok = jobResult(seen.config ?? recorded(dir)).state === x.to;
    if (!ok)
      throw new TransitionError(
        `Job ${id} cannot ${x.verb} (${x.from} → ${x.to}): the rule "${r}" does not hold on disk.`,
      );
  }
}
