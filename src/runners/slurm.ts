import { join } from 'node:path';
import { clusterClientEnv } from '../config/env.js';
import type { Config } from '../config/index.js';
import { JOB_FILES } from '../store/files.js';
import {
  backstopSeconds,
  clusterRunner,
  firstEnd,
  type ClusterEngine,
  type SubmitPlan,
} from './cluster.js';
import { positiveInt, run, splitOptions } from './exec.js';
import type { ClusterEnd, ClusterReport, Runner } from './types.js';

/** Slurm states in which a job (or task) may still run or is still being cleaned up. */
const ACTIVE = new Set([
  'PENDING',
  'RUNNING',
  'COMPLETING',
  'CONFIGURING',
  'SUSPENDED',
  'REQUEUED',
  'REQUEUE_HOLD',
  'REQUEUE_FED',
  'RESIZING',
  'SIGNALING',
  'STAGE_OUT',
  'STOPPED',
  'RESV_DEL_HOLD',
]);

/** sbatch arguments for a plan (exported for tests of the option mapping). */
export function sbatchArgs(plan: SubmitPlan): string[] {
  const o = plan.options;
  const out =
    plan.tasks > 0
      ? join(plan.job.dir, 'cluster.%a.log')
      : join(plan.job.dir, JOB_FILES.CLUSTER_LOG);
  const args = ['--parsable', '-J', plan.name, '-D', plan.job.dir, '-o', out];
  if (o.partition || o.queue) args.push('-p', (o.partition || o.queue)!);
  const backstop = backstopSeconds(plan);
  if (o.time) args.push(`--time=${o.time}`);
  else if (backstop !== null) args.push(`--time=${Math.ceil(backstop / 60)}`);
  if (o.memory) args.push(`--mem=${o.memory}`);
  const cpus = positiveInt(o, 'cpus');
  if (cpus !== null) args.push(`--cpus-per-task=${cpus}`);
  if (plan.tasks > 0) args.push(`--array=1-${plan.tasks}%${plan.throttle}`);
  if (o.options) args.push(...splitOptions(o.options));
  args.push(plan.script, ...plan.scriptArgs);
  return args;
}

/** What a Slurm job state says ended the job (Reason=TimeLimit is set while a timed-out job is still COMPLETING). */
function slurmEnd(state: string, reason: string): ClusterEnd {
  const s = state.split(/[\s+]/)[0]!;
  if (s === 'TIMEOUT' || s === 'DEADLINE' || reason === 'TimeLimit') return 'time_limit';
  if (s === 'CANCELLED') return 'cancelled';
  if (s === 'OUT_OF_MEMORY') return 'out_of_memory';
  if (s === 'NODE_FAIL' || s === 'BOOT_FAIL') return 'node_failure';
  return 'other';
}

/** `Key=Value` fields of one `scontrol show job -o` line. */
function fields(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/(\w+)=(\S*)/g)) out[m[1]!] ??= m[2]!;
  return out;
}

/**
 * Slurm through sbatch / squeue / scontrol / scancel (sacct -c once a finished job has
 * left slurmctld's memory, MinJobAge later). Arrays: `--array=1-N%K`, one id for all tasks.
 */
export function slurmEngine(): ClusterEngine {
  const env = clusterClientEnv();
  /**
   * A job that ended more than MinJobAge ago has left squeue: ask the accounting (slurmdbd),
   * else the jobcomp file (`sacct -c`, which cannot filter by name), over the last week.
   */
  const finishedByName = async (name: string): Promise<string | null> => {
    const db = await run(
      'sacct',
      ['-X', '-n', '-P', '-S', 'now-7days', '--name', name, '-o', 'jobid'],
      env,
    );
    if (db.code === 0) return /^(\d+)/m.exec(db.stdout)?.[1] ?? null;
    const c = await run('sacct', ['-c', '-n', '-P', '-S', 'now-7days', '-o', 'jobid,jobname'], env);
    if (c.code !== 0) throw new Error(`sacct failed: ${(db.stderr || c.stderr).trim()}`);
    for (const line of c.stdout.split('\n')) {
      const [id, jobName] = line.split('|');
      if (jobName === name && id && /^\d+$/.test(id)) return id;
    }
    return null;
  };
  const engine: ClusterEngine = {
    kind: 'slurm',
    label: 'Slurm',
    env,
    submitCommand: (plan) => ({ cmd: 'sbatch', args: sbatchArgs(plan), env: plan.wrapperEnv }),
    parseId: (stdout) => /^(\d+)/.exec(stdout.trim())?.[1] ?? null,
    async findByName(name) {
      const r = await run('squeue', ['-h', '-t', 'all', '-n', name, '-o', '%F'], env);
      if (r.code !== 0) throw new Error(`squeue failed: ${r.stderr.trim()}`);
      const id = r.stdout
        .split('\n')
        .map((s) => s.trim())
        .find((s) => /^\d+$/.test(s));
      return id ?? (await finishedByName(name));
    },
    async isActive(id) {
      const r = await run('squeue', ['-h', '-t', 'all', '-j', id, '-o', '%T'], env).catch(
        () => null,
      );
      if (!r) return null;
      if (r.code !== 0) return /invalid job id/i.test(r.stderr) ? false : null;
      return r.stdout.split('\n').some((s) => ACTIVE.has(s.trim()));
    },
    async listActive() {
      const r = await run('squeue', ['-h', '--me', '-t', 'all', '-o', '%F|%T'], env);
      if (r.code !== 0) throw new Error(`squeue failed: ${r.stderr.trim()}`);
      const ids = new Set<string>();
      for (const line of r.stdout.split('\n')) {
        const [id, state] = line.trim().split('|');
        if (id && state && ACTIVE.has(state)) ids.add(id);
      }
      return ids;
    },
    async report(id): Promise<ClusterReport> {
      const r = await run('scontrol', ['show', 'job', '-o', id], env);
      let rows: { task: string; state: string; reason: string; exit: string }[] = [];
      if (r.code === 0) {
        rows = r.stdout
          .split('\n')
          .filter((l) => l.includes('JobState='))
          .map((l) => {
            const f = fields(l);
            return {
              task: f.ArrayTaskId ?? '',
              state: f.JobState ?? '?',
              reason: f.Reason ?? '',
              exit: f.ExitCode ?? '?',
            };
          });
      } else {
        const a = await run(
          'sacct',
          ['-c', '-j', id, '-P', '-n', '-o', 'jobid,state,exitcode'],
          env,
        );
        rows = a.stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => {
            const [, state = '?', exit = '?'] = l.split('|');
            return { task: '', state, reason: '', exit };
          });
      }
      if (rows.length === 0)
        return { text: `Slurm has no record of job ${id}`, end: null, active: false };
      const one = (x: (typeof rows)[number]) =>
        `${x.state}${x.reason && x.reason !== 'None' ? ` (${x.reason})` : ''}, exit code ${x.exit}`;
      const text =
        rows.length === 1 && !rows[0]!.task
          ? `Slurm job ${id}: ${one(rows[0]!)}`
          : `Slurm array job ${id}: ${rows.map((x) => `task ${x.task}: ${one(x)}`).join('; ')}`;
      // While the job's processes are being killed the state reads COMPLETING (active): the caller waits for the final state.
      return {
        text,
        end: firstEnd(rows.map((x) => slurmEnd(x.state, x.reason))),
        active: rows.some((x) => ACTIVE.has(x.state)),
      };
    },
    async cancel(id, name) {
      await run('scancel', id ? [id] : ['-n', name], env);
    },
  };
  return engine;
}

/** The Slurm runner. */
export function slurmRunner(cfg: Config): Runner {
  return clusterRunner(slurmEngine(), cfg);
}
