/**
 * The job record: the fields of config.ini as typed values, each key named (and parsed)
 * here once. config.ini stays the truth and keeps its string sections; a reader takes
 * `job.settings.type`, `job.run.attempts` (a number), `job.result.failure` instead of
 * spelling `config.settings?.type ?? ''` again.
 */
import type { JobConfig } from './jobs.js';

/** [settings]: what was submitted, by whom and when. Absent strings read as ''. */
export interface JobSettings {
  type: string;
  email: string;
  /** ISO time of submission. */
  submitted: string;
  /** Who the job counts against in the fair share, as recorded ('' for a job from before fair share). */
  submitter: string;
  /** The parent's id, for a child or follow-on job. */
  parent: string;
  /** How deep under its first ancestor a child is (0 for a top-level job). */
  depth: number;
  /** A child that runs only after its parent has ended. */
  afterParent: boolean;
}

/** [run]: what the backend recorded about running the job. */
export interface JobRun {
  /** The runner kind it was started with ('' before its first start). */
  runner: string;
  /** Attempts of the current submission (0 when none is recorded). */
  attempts: number;
  /** Attempts before its resubmits. */
  totalAttempts: number;
  /** How often postprocess asked to run it again. */
  reschedules: number;
  /** Rounds of children started by postprocess. */
  childRounds: number;
  /** Preprocess said there is nothing to run. */
  skipped: boolean;
}

/** [result]: how it ended. */
export interface JobResult {
  /** The state it ended in (kept in [result] when archived). '' while it has not ended. */
  state: string;
  /** The message for the user; null when none is recorded. */
  failure: string | null;
  /** The kind of failure (user, technical, cancelled, …); '' when it did not fail. */
  failureKind: string;
  /** ISO times; '' when not (yet) there. */
  finished: string;
  archived: string;
}

/** The [settings] of a config.ini, typed. */
export function jobSettings(config: JobConfig): JobSettings {
  const s = config.settings ?? {};
  return {
    type: s.type ?? '',
    email: s.email ?? '',
    submitted: s.submitted ?? '',
    submitter: s.submitter ?? '',
    parent: s.parent ?? '',
    depth: Number(s.depth ?? 0),
    afterParent: s.after_parent === 'true',
  };
}

/** The [run] of a config.ini, typed. */
export function jobRun(config: JobConfig): JobRun {
  const r = config.run ?? {};
  return {
    runner: r.runner ?? '',
    attempts: Number(r.attempts ?? 0),
    totalAttempts: Number(r.total_attempts ?? 0),
    reschedules: Number(r.reschedules ?? 0),
    childRounds: Number(r.child_rounds ?? 0),
    skipped: r.skipped === 'true',
  };
}

/** The [result] of a config.ini, typed. */
export function jobResult(config: JobConfig): JobResult {
  const r = config.result ?? {};
  return {
    state: r.state ?? '',
    failure: r.failure ?? null,
    failureKind: r.failure_kind ?? '',
    finished: r.finished ?? '',
    archived: r.archived ?? '',
  };
}

/** The [inputs] of a config.ini: the submitted values by field name (a copy). */
export function jobInputs(config: JobConfig): Record<string, string> {
  return { ...config.inputs };
}

/** The typed record of a config.ini (what readJob adds to a Job). */
export function jobRecord(config: JobConfig): {
  settings: JobSettings;
  run: JobRun;
  result: JobResult;
  inputs: Record<string, string>;
} {
  return {
    settings: jobSettings(config),
    run: jobRun(config),
    result: jobResult(config),
    inputs: jobInputs(config),
  };
}
