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

/** qsub arguments for a plan (exported for tests of the option mapping). */
export function qsubArgs(plan: SubmitPlan): string[] {
  const o = plan.options;
  const out =
    plan.tasks > 0
      ? join(plan.job.dir, 'cluster.$TASK_ID.log')
      : join(plan.job.dir, JOB_FILES.CLUSTER_LOG);
  const args = [
    '-terse',
    '-N',
    plan.name,
    '-wd',
    plan.job.dir,
    '-o',
    out,
    '-j',
    'y',
    '-S',
    '/bin/sh',
  ];
  if (o.queue || o.partition) args.push('-q', (o.queue || o.partition)!);
  const backstop = backstopSeconds(plan);
  if (o.time) args.push('-l', `h_rt=${o.time}`);
  else if (backstop !== null) args.push('-l', `h_rt=${backstop}`);
  if (o.memory) args.push('-l', `h_vmem=${o.memory}`);
  const cpus = positiveInt(o, 'cpus');
  if (cpus !== null && cpus > 1) args.push('-pe', o.parallel_env || 'smp', String(cpus));
  if (plan.tasks > 0) args.push('-t', `1-${plan.tasks}`, '-tc', String(plan.throttle));
  const vars = Object.entries(plan.wrapperEnv).map(([k, v]) => `${k}=${v}`);
  if (vars.length) args.push('-v', vars.join(','));
  if (o.options) args.push(...splitOptions(o.options));
  args.push(plan.script, ...plan.scriptArgs);
  return args;
}

/** The `key value` records of qacct output, one per job or task. */
function qacctRecords(text: string): Record<string, string>[] {
  return text
    .split(/^=+$/m)
    .map((block) => {
      const rec: Record<string, string> = {};
      for (const line of block.split('\n')) {
        const m = /^(\w+)\s+(.*?)\s*$/.exec(line);
        if (m) rec[m[1]!] = m[2]!.replace(/\s+/g, ' ');
      }
      return rec;
    })
    .filter((r) => r.jobnumber);
}

/** What one qacct record says ended the job: `failed 37` its limit; `failed 100` with exit 137 a SIGKILL (qdel). */
function sgeEnd(r: Record<string, string>): ClusterEnd {
  if (/^37\b|h_rt/.test(r.failed ?? '')) return 'time_limit';
  if (/^100\b/.test(r.failed ?? '') && /^137\b/.test(r.exit_status ?? '')) return 'killed';
  return 'other';
}

/**
 * Son of Grid Engine through qsub / qstat / qacct / qdel. Arrays: `-t 1-N -tc K`. A job is
 * active while `qstat -j ID` knows it; its end is read from qacct (written ~1 s later).
 */
export function sgeEngine(): ClusterEngine {
  // Grid Engine clients need SGE_ROOT and SGE_CELL: Debian's unless the environment sets them.
  const env = clusterClientEnv({ SGE_ROOT: '/var/lib/gridengine', SGE_CELL: 'default' });
  const gone = (stderr: string) => /do not exist/i.test(stderr);
  return {
    kind: 'sge',
    label: 'Grid Engine',
    env,
    submitCommand: (plan) => ({ cmd: 'qsub', args: qsubArgs(plan) }),
    parseId: (stdout) => /^(\d+)/.exec(stdout.trim())?.[1] ?? null,
    async findByName(name) {
      const q = await run('qstat', ['-j', name], env);
      if (q.code === 0) return /^job_number:\s*(\d+)/m.exec(q.stdout)?.[1] ?? null;
      if (!gone(q.stderr)) throw new Error(`qstat failed: ${q.stderr.trim()}`);
      const a = await run('qacct', ['-j', name], env);
      return a.code === 0 ? (qacctRecords(a.stdout)[0]?.jobnumber ?? null) : null;
    },
    async isActive(id) {
      const q = await run('qstat', ['-j', id], env).catch(() => null);
      if (!q) return null;
      return q.code === 0 ? true : gone(q.stderr) ? false : null;
    },
    async listActive() {
      const q = await run('qstat', [], env);
      if (q.code !== 0) throw new Error(`qstat failed: ${q.stderr.trim()}`);
      // Table rows start with the job id; the header and its dashes do not.
      return new Set(
        q.stdout
          .split('\n')
          .map((l) => /^\s*(\d+)\s/.exec(l)?.[1])
          .filter((x): x is string => !!x),
      );
    },
    async report(id): Promise<ClusterReport> {
      const active = (await run('qstat', ['-j', id], env)).code === 0;
      const a = await run('qacct', ['-j', id], env);
      const recs = a.code === 0 ? qacctRecords(a.stdout) : [];
      if (recs.length === 0)
        return {
          text: `Grid Engine has no accounting record of job ${id}${active ? ' (still queued or running)' : ''}`,
          end: null,
          active,
        };
      const one = (r: Record<string, string>) =>
        `${r.failed && r.failed !== '0' ? `failed ${r.failed}, ` : ''}exit status ${r.exit_status ?? '?'}`;
      const array = recs.length > 1 || (recs[0]!.taskid ?? 'undefined') !== 'undefined';
      const text = array
        ? `Grid Engine array job ${id}: ${recs.map((r) => `task ${r.taskid}: ${one(r)}`).join('; ')}`
        : `Grid Engine job ${id}: ${one(recs[0]!)}`;
      return { text, end: firstEnd(recs.map(sgeEnd)), active };
    },
    async cancel(id, name) {
      await run('qdel', [id ?? name], env);
    },
  };
}

/** The Grid Engine runner. */
export function sgeRunner(cfg: Config): Runner {
  return clusterRunner(sgeEngine(), cfg);
}
