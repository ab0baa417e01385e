import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installWrapper, WRAPPER_NAME } from '../store/index.js';

/**
 * The package's wrapper/ folder, found upward from this module: src/runners/ in a
 * checkout run from source, dist/src/runners/ once built.
 */
function wrapperFolder(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'wrapper/jobdir-wrapper.sh'))) return join(dir, 'wrapper');
    if (dirname(dir) === dir)
      throw new Error(
        `jobdir's wrapper/ folder is missing above ${fileURLToPath(import.meta.url)}`,
      );
  }
}
const folder = wrapperFolder();

/** The package's POSIX sh wrapper: the source of the copy each backend runs (jobWrapper). */
export const WRAPPER = join(folder, 'jobdir-wrapper.sh');
/** The sh launcher script (see its header for the protocol). */
export const LAUNCHER = join(folder, 'jobdir-launcher.sh');

/** Is `arg` (of a process's command line) a jobdir wrapper: the package's, or a copy of any version? */
export const isWrapperPath = (arg: string): boolean => WRAPPER_NAME.test(basename(arg));

const installed = new Map<string, Promise<string>>();

/**
 * The wrapper this process's jobs run: the package's, copied into the data root under its
 * content's hash (store/wrappers.ts) once per process, so an upgrade that replaces the
 * package never changes a running job's script.
 */
export function jobWrapper(data: string): Promise<string> {
  let p = installed.get(data);
  if (!p) {
    p = installWrapper(data, WRAPPER);
    installed.set(data, p);
    p.catch(() => installed.delete(data));
  }
  return p;
}
