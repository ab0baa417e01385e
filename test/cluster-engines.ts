/**
 * Helpers for the tests of the Slurm and Grid Engine runners against the real single-node
 * engines started by scripts/start-slurm.sh and scripts/start-sge.sh (npm test starts
 * them): is an engine up, what the cluster knows of a job, what jobdir recorded of it, and
 * a config whose job types run on the cluster.
 */
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { decodeJobConfig } from '../src/store/jobs.js';
import { ALL_STATES } from '../src/states.js';
import { idsIn, inState, ROOT, type Sections, waitFor } from './helpers.js';

/** The engines, by the name a job type's `runner` gives them. */
export const ENGINES = ['slurm', 'sge'] as const;
export type Kind = (typeof ENGINES)[number];

const SERVICE = join(ROOT, 'test/fixtures/cluster-service.ts');
/** The environment Grid Engine's clients need (Debian's SGE_ROOT and SGE_CELL unless set). */
export const SGE_ENV = {
  ...process.env,
  SGE_ROOT: process.env.SGE_ROOT ?? '/var/lib/gridengine',
  SGE_CELL: process.env.SGE_CELL ?? 'default',
};

/** Under `npm test` (which starts both engines) a missing engine fails the run instead of skipping. */
export const REQUIRED = process.env.JOBDIR_REQUIRE_ENGINES === '1';

/** Is the engine's submit client installed and its daemon answering? (else the suite skips, saying why) */
export function engineMissing(kind: Kind): string | false {
  try {
    if (kind === 'slurm')
      execFileSync('squeue', ['-h', '-o', '%i'], { stdio: 'pipe', timeout: 10_000 });
    else execFileSync('qstat', [], { stdio: 'pipe', env: SGE_ENV, timeout: 10_000 });
    return false;
  } catch (err) {
    return `${kind === 'slurm' ? 'sbatch/squeue' : 'qsub/qstat'} missing or the daemon is not running (run scripts/start-${kind}.sh): ${(err as Error).message.split('\n')[0]}`;
  }
}

/** The `skip` of a suite on `kind`: why the engine is missing, or false (also when npm test requires it). */
export function engineSkip(kind: Kind): string | false {
  return REQUIRED ? false : engineMissing(kind);
}

/** How many jobs named `name` the cluster knows (queued, running or finished). */
export function clusterJobsNamed(kind: Kind, name: string): number {
  const out = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: SGE_ENV,
      });
    } catch {
      return '';
    }
  };
  if (kind === 'slurm')
    return out('squeue', ['-h', '-t', 'all', '-n', name, '-o', '%i']).split('\n').filter(Boolean)
      .length;
  return (
    (out('qstat', ['-j', name]).match(/^job_number:/gm) ?? []).length +
    (out('qacct', ['-j', name]).match(/^jobnumber/gm) ?? []).length
  );
}

/** Exactly one job of this name, once the cluster's records settle (SGE's accounting lags ~1 s behind qstat). */
export async function oneClusterJob(kind: Kind, name: string): Promise<void> {
  await waitFor(
    () => clusterJobsNamed(kind, name) === 1,
    30_000,
    `exactly one cluster job named ${name} (now ${clusterJobsNamed(kind, name)})`,
  );
}

/** The config.ini of job `id` in `state`. */
export async function jobConfig(root: string, state: string, id: string) {
  return decodeJobConfig(await fs.readFile(join(root, 'jobs', state, id, 'config.ini'), 'utf8'));
}

/** Wait up to `ms` until job `id` is in `state` (completed or failed), then read its config.ini. */
export async function endedAs(root: string, id: string, state: string, ms: number, what: string) {
  await waitFor(inState(root, state, id), ms, what);
  return jobConfig(root, state, id);
}

/** The CLUSTER record jobdir keeps in a job directory (phase, kind, name, id). */
export async function clusterRecord(dir: string): Promise<Record<string, string>> {
  const text = await fs.readFile(join(dir, 'CLUSTER'), 'utf8').catch(() => '');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/** The state folder job `id` is in, or null. */
export async function stateOf(root: string, id: string): Promise<string | null> {
  for (const s of ALL_STATES) if ((await idsIn(root, s)).includes(id)) return s;
  return null;
}

/** Config sections for the cluster fixture service, every job type on `kind`. */
export function clusterSections(kind: Kind, extra: Sections = {}): Sections {
  const job = (more: Record<string, string> = {}) => ({ runner: kind, ...more });
  return {
    general: { service: SERVICE },
    backend: { cluster_poll: '0.5s', cluster_grace: '1s' },
    'job capped': job({ time_limit: '2s' }),
    'job ok': job(),
    'job exit1': job(),
    'job refused': job(),
    'job sleep': job(),
    // running_tasks from the config (not run()): the throttle test checks it reaches the cluster.
    'job tasks': job({ running_tasks: '1' }),
    // the cluster's own limit, below the program's 600 s: Slurm's minimum is 1 minute
    'job long': job({ time: kind === 'slurm' ? '1' : '0:0:3' }),
    // held in the queue until someone releases (or deletes) it
    'job held': job({ options: kind === 'slurm' ? '-H' : '-h' }),
    ...extra,
  };
}
