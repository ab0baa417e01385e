import type { Runner } from '../runners/index.js';
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

/**
 * The cluster side of a running job's life in the backend: the fast liveness poll's set of
 * jobs, the grace period for jobs the cluster has forgotten (saliweb waits 8 × 8 s for
 * NFS), and the cluster's words when a job ends badly. Never reruns a job that reached
 * the cluster: after the grace it fails with what the cluster says.
 */
export function clusterTracker(graceMs: number) {
  const goneSince = new Map<string, number>();
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
    },
    /** The cluster still has the job: a later disappearance starts a fresh grace. */
    seen(id: string): void {
      goneSince.delete(id);
    },
    /** The cluster says the job is gone and there is no SUCCESS/ERROR: requeue, wait or fail. */
    async whenGone(ref: JobRef, runner: Runner, now = Date.now()): Promise<GoneVerdict> {
      const rec = await readClusterRecord(ref.dir);
      if (!rec || !rec.clusterId) return { action: 'requeue' };
      const since = goneSince.get(ref.id) ?? now;
      goneSince.set(ref.id, since);
      if (now - since < graceMs) return { action: 'wait', remainingMs: graceMs - (now - since) };
      const rep = await runner.report?.(ref).catch((err: Error) => ({ text: `the cluster could not be asked: ${err.message}`, timeLimit: false, active: false }));
      if (rep?.active) {
        // The listing missed it but the cluster still has it: keep waiting.
        goneSince.delete(ref.id);
        return { action: 'wait', remainingMs: graceMs };
      }
      const what = rep?.text ?? `cluster job ${rec.clusterId}`;
      return {
        action: 'fail',
        failure: rep?.timeLimit
          ? { kind: 'time_limit', message: `The cluster stopped the job at its time limit (${what}).` }
          : { kind: 'technical', message: `The cluster job ended without a result: node failure, time or memory limit? (${what})` },
      };
    },
    /**
     * A cluster run left ERROR after a signal: when the cluster's time limit sent it, say so
     * (the wrapper on the node cannot tell). Null: the markers tell the story.
     */
    async explainEnd(ref: JobRef, m: Markers, runner: Runner): Promise<Failure | null> {
      if (!m.error?.signal || m.cancel || !runner.report) return null;
      const rep = await runner.report(ref).catch(() => null);
      return rep?.timeLimit ? { kind: 'time_limit', message: `The cluster stopped the job at its time limit (${rep.text}).` } : null;
    },
  };
}
