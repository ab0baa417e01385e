import type { Config } from '../config/index.js';
import { localRunner } from './local.js';
import { sgeRunner } from './sge.js';
import { slurmRunner } from './slurm.js';
import type { Runner } from './types.js';

export type * from './types.js';
export { WRAPPER, scanWrappers } from './local.js';

/** The runners a backend uses, one per kind, created on first use. */
export function runnerRegistry(cfg: Config): (kind: Runner['kind']) => Runner {
  const made = new Map<string, Runner>();
  return (kind) => {
    let r = made.get(kind);
    if (!r) {
      r = kind === 'slurm' ? slurmRunner(cfg) : kind === 'sge' ? sgeRunner(cfg) : localRunner();
      made.set(kind, r);
    }
    return r;
  };
}
