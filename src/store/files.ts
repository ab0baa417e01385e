/**
 * Names of the files jobdir itself keeps in a job directory. Everything else in it was
 * written by the program or uploaded by the user. The wrapper writes each marker in place
 * in one write that ends with a newline; a marker without its final newline is not there yet.
 */
export const JOB_FILES = {
  /** Everything the job needs: [settings], [inputs], [run], [result], [history]. */
  CONFIG: 'config.ini',
  /** The program's argv, one per line; a line with a backslash is decoded as printf %b. */
  ARGV: 'argv',
  /** Written by the wrapper when the program starts: pid, host, started, attempt. */
  RUNNING: 'RUNNING',
  /** Written by the wrapper when the program exits 0: exit, ended. */
  SUCCESS: 'SUCCESS',
  /** Written by the wrapper when the program fails: exit or signal, ended, reason. */
  ERROR: 'ERROR',
  /** Progress reported by the program: `current total message` or `N% message`. */
  PROGRESS: 'PROGRESS',
  /** A request to stop the job, written by cancel (write-ahead, before any kill). */
  CANCEL: 'CANCEL',
  /** Cluster submission record (write-ahead): phase=submitting|submitted, cluster id. */
  CLUSTER: 'CLUSTER',
  /** What the cluster itself printed for the job script (sbatch -o / qsub -o; arrays: cluster.<task>.log). */
  CLUSTER_LOG: 'cluster.log',
  STDOUT: 'stdout.txt',
  STDERR: 'stderr.txt',
  /** The framework's own log of this job: one line per event. */
  LOG: 'jobdir.log',
} as const;

/** Framework files a user never downloads (stdout/stderr are results, so not listed). */
export const PRIVATE_FILES: ReadonlySet<string> = new Set([
  JOB_FILES.CONFIG,
  JOB_FILES.ARGV,
  JOB_FILES.RUNNING,
  JOB_FILES.SUCCESS,
  JOB_FILES.ERROR,
  JOB_FILES.PROGRESS,
  JOB_FILES.CANCEL,
  JOB_FILES.CLUSTER,
  JOB_FILES.CLUSTER_LOG,
  JOB_FILES.LOG,
]);

/** True for jobdir's own files, including array jobs' per-task markers and cluster logs. */
export function isPrivateFile(name: string): boolean {
  return PRIVATE_FILES.has(name) || /^(?:(?:SUCCESS|ERROR)\.\d+|cluster\.\d+\.log)$/.test(name);
}

/** Parse a marker file's `key=value` lines. */
export function parseMarker(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** Encode one argv entry for the wrapper's `argv` file (see JOB_FILES.ARGV). */
export function encodeArg(arg: string): string {
  if (arg.includes('\0')) throw new Error('an argument may not contain a NUL byte');
  return arg.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Decode one line of the `argv` file (encodeArg's inverse; the wrapper's printf %b). */
export function decodeArg(line: string): string {
  return line.replace(/\\([\\n])/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}
