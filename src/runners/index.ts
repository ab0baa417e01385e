import type { Config } from '../config/index.js';
import type { Job } from '../store/index.js';
import { localRunner } from './local.js';
import { sgeRunner } from './sge.js';
import { slurmRunner } from './slurm.js';
import type { Runner } from './types.js';

export type * from './types.js';
export { scanWrappers } from './local.js';
export { jobWrapper, WRAPPER } from './scripts.js';

/**
 * The runners a backend uses, one per kind, created on first use. `onLocalLost` gets the
 * job folders whose exit report the local launcher can no longer give (it died).
 */
export function runnerRegistry(
  cfg: Config,
  onLocalLost?: (dirs: string[]) => void,
): ((kind: Runner['kind']) => Runner) & { closeAll(): void } {
  const made = new Map<string, Runner & { close?(): void }>();
  const get = (kind: Runner['kind']) => {
    let r = made.get(kind);
    if (!r) {
      r =
        kind === 'slurm'
          ? slurmRunner(cfg)
          : kind === 'sge'
            ? sgeRunner(cfg)
            : localRunner(cfg.directories.data, onLocalLost);
      made.set(kind, r);
    }
    return r;
  };
  return Object.assign(get, { closeAll: () => made.forEach((r) => r.close?.()) });
}

/** The kind of runner job `job` was started with, else its type's ([job NAME] runner), else local. */
export function runnerKind(cfg: Config, job: Pick<Job, 'run' | 'settings'>): Runner['kind'] {
  return (
    ((job.run.runner as Runner['kind']) || undefined) ??
    cfg.jobs[job.settings.type]?.runner ??
    'local'
  );
}
