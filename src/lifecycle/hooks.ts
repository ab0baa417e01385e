/** Running a service's hooks: each with a time limit, its failure its own job's. */
/** How many times postprocess may ask for a rerun of one job before the job fails (a loop guard). */
export const MAX_RERUNS = 50;

/** Thrown when a hook does not return within its time. */
export class HookTimeout extends Error {
  override name = 'HookTimeout';
}

/** Run a service hook with a time limit; its failure is the caller's to attribute to one job. */
export async function runHook<T>(
  name: string,
  timeoutMs: number,
  fn: () => T | Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(fn),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new HookTimeout(
                `the ${name} hook did not finish within ${Math.round(timeoutMs / 1000)} s`,
              ),
            ),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
