import type { Runner } from '../runners/index.js';
import type { ClusterReport } from '../runners/types.js';
import { readClusterRecord } from '../store/cluster.js';
import type { JobRef, Markers } from '../store/index.js';
import type { Failure } from './failure.js';

/** What to do with a cluster job that the cluster says is gone and that left no marker. */
export type GoneVerdict =
  /** It never reached the cluster (crash before sbatch/qsub): starting it again runs it once. */
  | { action: 'requeue' }
  /** Within the grace period: a slow network filesystem may still deliver the marker. */
  | { action: 'wait'; remainingMs: number }
  /** Grace over, no marker: the job failed; the message carries the cluster's report. */
  | { action: 'fail'; failure: Failure };

/** What a settled ERROR after a signal comes to: wait for the cluster's final word, or end (null: the markers tell). */
export type EndVerdict = { action: 'wait' } | { action: 'end'; failure: Failure | null };

/** How long a run that left ERROR waits, at most, for the cluster to settle (Slurm COMPLETING, SGE's accounting). */
const SETTLE_MS = 60_000;

/**
 * The failure the cluster's own words describe, when the cluster ended the job; null
 * otherwise. Asked only about a run without jobdir's CANCEL request (explainEnd sees to
 * that, and judgeRun ends a run with CANCEL before whenGone): jobdir writes CANCEL before it calls scancel or qdel, so a
 * cancel the cluster reports here is one nobody in jobdir asked for (a cluster
 * administrator, a preemption, a limit), a technical failure the administrator hears of.
 */
export function clusterFailure(rep: ClusterReport): Failure | null {
  switch (rep.end) {
    case 'time_limit':
      return {
        kind: 'time_limit',
        message: `The cluster stopped the job at its time limit (${rep.text}).`,
      };
    case 'cancelled':
      return {
        kind: 'technical',
        message: `The job was cancelled on the cluster, outside jobdir (${rep.text}).`,
      };
    case 'killed':
      return {
        kind: 'technical',
        message: `The cluster killed the job before it could leave a result, as qdel or a limit the cluster enforces does (${rep.text}).`,
      };
    case 'out_of_memory':
      return {
        kind: 'technical',
        message: `The cluster stopped the job: it ran out of memory (${rep.text}).`,
      };
    case 'node_failure':
      return {
        kind: 'technical',
        message: `The cluster job ended without a result: its node failed (${rep.text}).`,
      };
    default:
      return null;
  }
}

/**
 * The cluster side of a running job's life in the backend: the fast liveness poll's set of
 * jobs, the grace period for jobs the cluster has forgotten (saliweb waits 8 × 8 s for
 * NFS), and the cluster's words when a job ends badly. Never reruns a job that reached
 * the cluster: after the grace it fails with what the cluster says.
 */
export function clusterTracker(graceMs: number) {
  const goneSince = new Map<string, number>();
  const settlingSince = new Map<string, number>();
  const active = new Set<string>();
  return {
    /** Ids of running cluster jobs this process polls. */
    active,
    /** Poll this job until its run ends. */
    track(id: string): void {
      active.add(id);
    },
    /** The run ended (or left RUNNING): stop polling it. */
    forget(id: string): void {
      active.delete(id);
      goneSince.delete(id);
      settlingSince.delete(id);
    },
    /** The cluster still has the job: a later disappearance starts a fresh grace. */
    seen(id: string): void {
      goneSince.delete(id);
    },
    /**
     * The cluster says the job is gone and there is no SUCCESS/ERROR nor CANCEL (judgeRun
     * ends jobdir's own stop as a cancel before asking): requeue, wait or fail.
     */
    async whenGone(
      ref: JobRef,
      m: Markers,
      runner: Runner,
      now = Date.now(),
    ): Promise<GoneVerdict> {
      const rec = await readClusterRecord(ref.dir);
      if (!rec || !rec.clusterId) return { action: 'requeue' };
      const since = goneSince.get(ref.id) ?? now;
      goneSince.set(ref.id, since);
      if (now - since < graceMs) return { action: 'wait', remainingMs: graceMs - (now - since) };
      let asked = true;
      const rep = await runner.report?.(ref).catch((err: Error): ClusterReport => {
        asked = false;
        return { text: `the cluster could not be asked: ${err.message}`, end: null, active: false };
      });
      if (rep?.active) {
        // The listing missed it but the cluster still has it: keep waiting.
        goneSince.delete(ref.id);
        return { action: 'wait', remainingMs: graceMs };
      }
      const what = rep?.text ?? `cluster job ${rec.clusterId}`;
      // Never started (no RUNNING) and the cluster has no record of it (Grid Engine keeps none of a job deleted while queued).
      const unstarted = asked && !m.running && rep?.end === null;
      return {
        action: 'fail',
        failure: (rep && clusterFailure(rep)) ?? {
          kind: 'technical',
          message: unstarted
            ? `The cluster job left the queue before it started: deleted on the cluster (scancel, qdel) outside jobdir, or the cluster could not start it (${what}).`
            : `The cluster job ended without a result: node failure, time or memory limit? (${what})`,
        },
      };
    },
    /**
     * A cluster run left ERROR after a signal: when the cluster sent it (its time limit, a
     * cancel outside jobdir), say what the cluster reported; the wrapper on the node cannot
     * tell. While the cluster still cleans the job up (Slurm COMPLETING) or has not written
     * its record (SGE's accounting lags), wait for its final word, at most SETTLE_MS (then
     * its last word). End with null: the markers tell the story.
     */
    async explainEnd(
      ref: JobRef,
      m: Markers,
      runner: Runner,
      now = Date.now(),
    ): Promise<EndVerdict> {
      if (!m.error?.signal || m.cancel || !runner.report) return { action: 'end', failure: null };
      const rep = await runner.report(ref).catch(() => null);
      const since = settlingSince.get(ref.id) ?? now;
      if (rep && (rep.active || rep.end === null) && now - since < SETTLE_MS) {
        settlingSince.set(ref.id, since);
        return { action: 'wait' };
      }
      settlingSince.delete(ref.id);
      return { action: 'end', failure: rep && clusterFailure(rep) };
    },
  };
}
