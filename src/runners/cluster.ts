import type { Config } from '../config/index.js';
import { readClusterRecord, writeClusterRecord, type ClusterRecord } from '../store/cluster.js';
import { readJob, readMarkers, type JobRef } from '../store/index.js';
import { positiveInt, run } from './exec.js';
import { jobWrapper } from './scripts.js';
import type { ClusterEnd, ClusterReport, Liveness, Runner, StartOptions } from './types.js';

/** What one submission asks of the cluster. */
export interface SubmitPlan {
  job: JobRef;
  /** Cluster job name: `jd-<id>-<run number, counting resubmitted runs>`, how a restarted backend finds the job. */
  name: string;
  attempt: number;
  /** Array tasks 1..tasks (0: a plain job) and how many may run at once. */
  tasks: number;
  throttle: number;
  /** Limit for the cluster (a backstop: the wrapper enforces the job type's own limit). */
  timeLimitMs: number | null;
  killGraceMs: number;
  options: Record<string, string>;
  /** Environment the wrapper needs on the node (time limit, array size). */
  wrapperEnv: Record<string, string>;
  /** The wrapper script and its arguments. */
  script: string;
  scriptArgs: string[];
}

/** The parts that differ between Slurm and Grid Engine. */
export interface ClusterEngine {
  readonly kind: 'slurm' | 'sge';
  /** For people: "Slurm", "Grid Engine". */
  readonly label: string;
  /** Environment for every client command. */
  readonly env: NodeJS.ProcessEnv;
  /** The submit command (sbatch / qsub) and its arguments, plus extra environment for it. */
  submitCommand(plan: SubmitPlan): { cmd: string; args: string[]; env?: Record<string, string> };
  /** The cluster id from the submit command's stdout, or null. */
  parseId(stdout: string): string | null;
  /** The id of the job named `name` if the cluster knows it; throws when it cannot be asked. */
  findByName(name: string): Promise<string | null>;
  /** Is the job queued or running; null when the cluster cannot be asked. */
  isActive(id: string): Promise<boolean | null>;
  /** Ids of every queued or running job of this user, in one command (the poll's snapshot). */
  listActive(): Promise<Set<string>>;
  /** The cluster's account of the job. */
  report(id: string): Promise<ClusterReport>;
  /** Ask the cluster to stop the job (by id, or by name while the id is unknown). */
  cancel(id: string | null, name: string): Promise<void>;
}

/** The end that speaks for several tasks: the first of these that any task reports. */
export function firstEnd(ends: ClusterEnd[]): ClusterEnd {
  const order: ClusterEnd[] = [
    'time_limit',
    'cancelled',
    'out_of_memory',
    'node_failure',
    'killed',
  ];
  return order.find((e) => ends.includes(e)) ?? 'other';
}

/** How long one listing of the cluster's jobs answers for every job polled. */
const SNAPSHOT_MS = 1000;

/** Slurm-style time limit for a cluster: the job type's limit plus the kill grace plus a minute. */
export function backstopSeconds(
  plan: Pick<SubmitPlan, 'timeLimitMs' | 'killGraceMs'>,
): number | null {
  return plan.timeLimitMs === null
    ? null
    : Math.ceil((plan.timeLimitMs + plan.killGraceMs) / 1000) + 60;
}

/**
 * A Runner over a cluster engine, with the write-ahead CLUSTER record: `submitting` (with
 * the job's cluster name) is durable before sbatch/qsub runs, `submitted` with the id
 * after. A record still `submitting` (the backend died in between) is resolved by asking
 * the cluster for the name before anything else: found → recorded; not found → the job
 * never reached the cluster and may safely be started again.
 */
export function clusterRunner(engine: ClusterEngine, cfg: Config): Runner {
  const submitting = new Set<string>();
  let snap: { at: number; ids: Set<string> } | null = null;
  let listing: Promise<void> | null = null;

  /**
   * Is the job active, from one listing of all the user's jobs shared by every job polled
   * within SNAPSHOT_MS (qstat costs ~150 ms a call); a job recorded after the listing was
   * taken, or a failed listing, is asked about on its own.
   */
  async function isActive(id: string, recordedAt: number): Promise<boolean | null> {
    if (!snap || Date.now() - snap.at > SNAPSHOT_MS) {
      listing ??= (async () => {
        const at = Date.now();
        const ids = await engine.listActive().catch(() => null);
        snap = ids ? { at, ids } : null;
      })().finally(() => void (listing = null));
      await listing;
    }
    if (snap && snap.at > recordedAt) return snap.ids.has(id);
    return engine.isActive(id);
  }

  /** The job's record and cluster id (null: never reached the cluster). Throws when the cluster cannot be asked. */
  async function resolve(job: JobRef): Promise<{ rec: ClusterRecord | null; id: string | null }> {
    const rec = await readClusterRecord(job.dir);
    if (!rec) return { rec: null, id: null };
    if (rec.phase === 'submitted' && rec.clusterId) return { rec, id: rec.clusterId };
    const id = await engine.findByName(rec.name);
    if (id) await writeClusterRecord(job.dir, { ...rec, phase: 'submitted', clusterId: id });
    return { rec, id };
  }

  return {
    kind: engine.kind,
    async start(job: JobRef, opts: StartOptions) {
      const tasks = positiveInt(opts.runnerOptions, 'array_tasks') ?? 0;
      const throttle = positiveInt(opts.runnerOptions, 'running_tasks') ?? cfg.limits.runningTasks;
      const wrapperEnv: Record<string, string> = {};
      if (opts.timeLimitMs !== null) {
        wrapperEnv.JOBDIR_TIME_LIMIT = String(Math.max(1, Math.ceil(opts.timeLimitMs / 1000)));
        wrapperEnv.JOBDIR_KILL_GRACE = String(Math.max(1, Math.ceil(opts.killGraceMs / 1000)));
      }
      if (tasks > 0) wrapperEnv.JOBDIR_ARRAY_TASKS = String(tasks);
      // Unique across resubmits too (they restart `attempts` at 0), so a name found after a crash is this run's.
      const before = (await readJob(job)).run.totalAttempts;
      const plan: SubmitPlan = {
        job,
        name: `jd-${job.id}-${before + opts.attempt}`,
        attempt: opts.attempt,
        tasks,
        throttle,
        timeLimitMs: opts.timeLimitMs,
        killGraceMs: opts.killGraceMs,
        options: opts.runnerOptions,
        wrapperEnv,
        script: await jobWrapper(cfg.directories.data),
        scriptArgs: [job.dir, String(opts.attempt)],
      };
      const rec: Omit<ClusterRecord, 'at'> = {
        phase: 'submitting',
        kind: engine.kind,
        name: plan.name,
        attempt: opts.attempt,
        clusterId: null,
        tasks,
      };
      const { cmd, args, env } = engine.submitCommand(plan);
      submitting.add(job.id);
      try {
        await writeClusterRecord(job.dir, rec);
        let id: string | null = null;
        let why = '';
        try {
          const res = await run(cmd, args, { ...engine.env, ...env });
          id = res.code === 0 ? engine.parseId(res.stdout) : null;
          why = (res.stderr.trim() || res.stdout.trim()).replace(/\s*\n\s*/g, ' ').slice(0, 500);
        } catch (err) {
          why = (err as Error).message;
        }
        // An unclear answer (timeout, unparsable output) may still have queued the job.
        id ??= await engine.findByName(plan.name).catch(() => null);
        if (!id)
          throw new Error(
            `${engine.label} did not accept the job: ${why || `${cmd} gave no job id`}`,
          );
        await writeClusterRecord(job.dir, { ...rec, phase: 'submitted', clusterId: id });
        // A cancel that arrived while sbatch/qsub ran found no id to cancel: do it now.
        if ((await readMarkers(job.dir)).cancel) await engine.cancel(id, plan.name);
      } finally {
        submitting.delete(job.id);
      }
    },
    async liveness(job): Promise<Liveness> {
      if (submitting.has(job.id)) return 'alive';
      try {
        const { rec, id } = await resolve(job);
        if (!id) return 'dead';
        const active = await isActive(id, rec?.at ?? Date.now());
        return active === null ? 'unknown' : active ? 'alive' : 'dead';
      } catch {
        return 'unknown';
      }
    },
    async cancel(job) {
      const { rec, id } = await resolve(job).catch(async () => ({
        rec: await readClusterRecord(job.dir),
        id: null,
      }));
      if (rec) await engine.cancel(id, rec.name);
    },
    async where(job) {
      const rec = await readClusterRecord(job.dir);
      if (!rec) return `${engine.label} (not submitted)`;
      return rec.clusterId
        ? `${engine.label} job ${rec.clusterId} (${rec.name})`
        : `${engine.label} (submitting ${rec.name})`;
    },
    async report(job) {
      const { id } = await resolve(job);
      return id ? engine.report(id) : null;
    },
  };
}
