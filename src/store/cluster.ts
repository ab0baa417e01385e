import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { JOB_FILES, parseMarker } from './files.js';
import { readIfExists, writeDurable } from './fsutil.js';

/**
 * The CLUSTER write-ahead record of a job sent to Slurm or Grid Engine. The runner writes
 * `submitting` (with the cluster job name) durably *before* calling sbatch/qsub, then
 * `submitted` with the cluster's id. A backend that crashed in between finds the job by
 * its name in the cluster before deciding anything, so a job is never submitted twice.
 */
export interface ClusterRecord {
  phase: 'submitting' | 'submitted';
  kind: 'slurm' | 'sge';
  /** Cluster job name, unique per job and run, resubmits included (`jd-<id>-<run>`). */
  name: string;
  attempt: number;
  /** The cluster's job id (array jobs: the array's id); null while submitting. */
  clusterId: string | null;
  /** Number of array tasks (1..tasks); 0 for a plain job. */
  tasks: number;
  /** When the phase was recorded (ms since the epoch). */
  at: number;
}

/** Write the CLUSTER record durably (tmp + fsync + rename + directory fsync). */
export async function writeClusterRecord(dir: string, r: Omit<ClusterRecord, 'at'>): Promise<void> {
  const lines = [
    `phase=${r.phase}`,
    `kind=${r.kind}`,
    `name=${r.name}`,
    `attempt=${r.attempt}`,
    `tasks=${r.tasks}`,
  ];
  if (r.clusterId !== null) lines.push(`id=${r.clusterId}`);
  await writeDurable(join(dir, JOB_FILES.CLUSTER), lines.join('\n') + '\n');
}

/** Read the CLUSTER record, or null when the job was never handed to a cluster. */
export async function readClusterRecord(dir: string): Promise<ClusterRecord | null> {
  const text = await readIfExists(join(dir, JOB_FILES.CLUSTER));
  if (text === null) return null;
  const f = parseMarker(text);
  const st = await fs.stat(join(dir, JOB_FILES.CLUSTER)).catch(() => null);
  return {
    phase: f.phase === 'submitted' ? 'submitted' : 'submitting',
    kind: f.kind === 'sge' ? 'sge' : 'slurm',
    name: f.name ?? '',
    attempt: Number(f.attempt ?? 1),
    clusterId: f.id ?? null,
    tasks: Number(f.tasks ?? 0),
    at: st?.mtimeMs ?? 0,
  };
}
