import type { Config } from '../config/index.js';
import { localRunner } from './local.js';
import type { Runner } from './types.js';

export type * from './types.js';
export { WRAPPER, scanWrappers } from './local.js';

/** The runners a backend uses, one per kind, created on first use. */
export function runnerRegistry(_cfg: Config): (kind: Runner['kind']) => Runner {
  const made = new Map<string, Runner>();
  return (kind) => {
    let r = made.get(kind);
    if (!r) {
      if (kind !== 'local') throw new Error(`the ${kind} runner is not available in this build`);
      r = localRunner();
      made.set(kind, r);
    }
    return r;
  };
}
