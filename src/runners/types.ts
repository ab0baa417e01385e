import type { JobRef, Markers } from '../store/index.js';

/** How to start one run of a job. */
export interface StartOptions {
  attempt: number;
  /** Wall-clock limit of the run in ms (TERM, grace, KILL); null for none. */
  timeLimitMs: number | null;
  killGraceMs: number;
  /** The [job NAME] runner options merged with the service's overrides. */
  runnerOptions: Record<string, string>;
  /** Called once when the run is over as far as this process can tell (local: wrapper exit). */
  onExit?: () => void;
}

/** Is the run alive: the OS (or the cluster) says so, never a file. */
export type Liveness = 'alive' | 'dead' | 'unknown';

/** A way to run the wrapper: on this machine, or through a cluster's scheduler. */
export interface Runner {
  readonly kind: 'local' | 'slurm' | 'sge';
  /** Start the wrapper for a job in RUNNING whose argv file is written. */
  start(job: JobRef, opts: StartOptions): Promise<void>;
  /** Whether the job's wrapper is still alive. */
  liveness(job: JobRef, markers: Markers): Promise<Liveness>;
  /** Stop the run: TERM, then KILL after the grace. Safe on a dead run. */
  cancel(job: JobRef, markers: Markers, graceMs: number): Promise<void>;
  /** What is known about where the run is (pid, cluster id), for admins. */
  where?(job: JobRef, markers: Markers): Promise<string>;
  /**
   * Cluster runners: what the cluster says about the job's end (state, exit code), or null
   * when the job never reached the cluster (so starting it again cannot run it twice).
   */
  report?(job: JobRef): Promise<ClusterReport | null>;
}

/**
 * What the cluster says ended a job: its time limit, a cancel (scancel), a SIGKILL after
 * the start (Grid Engine's `failed 100`, which is what qdel does to a running job), memory,
 * a failed node; `other` when the cluster did not end it (the program's own exit, or unknown).
 */
export type ClusterEnd =
  'time_limit' | 'cancelled' | 'killed' | 'out_of_memory' | 'node_failure' | 'other';

/** The cluster's account of a job, for the failure message and for admins. */
export interface ClusterReport {
  /** One line for people, e.g. "Slurm job 12: TIMEOUT (TimeLimit), exit code 0:15". */
  text: string;
  /** What ended the job, as far as the cluster has said yet; null when it has no record of the job. */
  end: ClusterEnd | null;
  /** The cluster still has the job queued, running or being cleaned up (Slurm COMPLETING): its word is not final. */
  active: boolean;
}
