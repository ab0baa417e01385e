import * as fsc from 'node:fs';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { decodeArg, encodeArg, JOB_FILES, parseMarker } from './files.js';
import { isENOENT, writeDurable } from './fsutil.js';
import { type JobConfig, type JobRef, updateJobConfig } from './jobs.js';

/** What the markers in a job directory say. Times are ms since the epoch (file mtimes). */
export interface Markers {
  running: { pid: number; host: string; attempt: number; started: number } | null;
  success: { ended: number } | null;
  error: {
    exit: number | null;
    signal: string | null;
    reason: string | null;
    ended: number;
  } | null;
  /** A stop request: `mode` fail = the administrator forces FAILED; `notify` false = no admin mail. */
  cancel: { at: number; by: string; mode: 'cancel' | 'fail'; notify: boolean } | null;
}

/**
 * `fn` on `path` opened read-only if it is a regular file (never through a symlink, never
 * from a FIFO); null when it is absent, a symlink or not a regular file.
 */
function withRegularFile<T>(path: string, fn: (fd: number, st: fsc.Stats) => T): T | null {
  let fd: number;
  try {
    fd = fsc.openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if (isENOENT(err) || (err as NodeJS.ErrnoException).code === 'ELOOP') return null;
    throw err;
  }
  try {
    const st = fsc.fstatSync(fd);
    return st.isFile() ? fn(fd, st) : null;
  } finally {
    fsc.closeSync(fd);
  }
}

/** The names in a (small) job folder; none when it is gone. */
function namesIn(dir: string): string[] {
  try {
    return fsc.readdirSync(dir);
  } catch {
    return [];
  }
}

function readMarker(
  dir: string,
  name: string,
): { fields: Record<string, string>; mtime: number } | null {
  return withRegularFile(join(dir, name), (fd, st) => {
    // The wrapper writes a marker in place with one write; until its final newline is
    // there (an instant, or never when the wrapper died mid-write) it is not a marker yet.
    const text = fsc.readFileSync(fd, 'utf8');
    return text.endsWith('\n') ? { fields: parseMarker(text), mtime: st.mtimeMs } : null;
  });
}

/** Read RUNNING, SUCCESS, ERROR and CANCEL of a job directory. */
export async function readMarkers(dir: string): Promise<Markers> {
  // One listing of the (small) job folder, then only the markers that are there.
  const present = new Set(namesIn(dir));
  const read = (name: string) => (present.has(name) ? readMarker(dir, name) : null);
  const [r, s, e, c] = [
    read(JOB_FILES.RUNNING),
    read(JOB_FILES.SUCCESS),
    read(JOB_FILES.ERROR),
    read(JOB_FILES.CANCEL),
  ];
  return {
    cancel: c && cancelOf(c),
    running: r && {
      pid: Number(r.fields.pid),
      host: r.fields.host ?? '',
      attempt: Number(r.fields.attempt ?? 1),
      started: r.mtime,
    },
    success: s && { ended: s.mtime },
    error: e && {
      exit: e.fields.exit === undefined ? null : Number(e.fields.exit),
      signal: e.fields.signal ?? null,
      reason: e.fields.reason ?? null,
      ended: e.mtime,
    },
  };
}

const cancelOf = (c: { fields: Record<string, string>; mtime: number }): Markers['cancel'] => ({
  at: c.mtime,
  by: c.fields.by ?? 'user',
  mode: c.fields.mode === 'fail' ? 'fail' : 'cancel',
  notify: c.fields.notify !== '0',
});

/** Only the CANCEL marker (a stop request), without listing the folder: what a step checks before it goes on. */
export function readCancel(dir: string): Markers['cancel'] {
  // Almost always absent: an lstat that cannot throw (4 µs) before the open whose ENOENT does (15 µs).
  if (!fsc.lstatSync(join(dir, JOB_FILES.CANCEL), { throwIfNoEntry: false })) return null;
  const c = readMarker(dir, JOB_FILES.CANCEL);
  return c && cancelOf(c);
}

/** True when the wrapper has left SUCCESS or ERROR. */
export function hasEnded(m: Markers): boolean {
  return m.success !== null || m.error !== null;
}

/** The files the wrapper leaves that must be durable before a job is finished. */
export const JOB_OUTPUTS: readonly string[] = [
  JOB_FILES.SUCCESS,
  JOB_FILES.ERROR,
  JOB_FILES.STDOUT,
  JOB_FILES.STDERR,
];

/**
 * Prepare attempt `attempt` of a job in RUNNING: remove the last run's markers, write the
 * argv file and record the attempt in config.ini (write-ahead, before the wrapper starts).
 * `record` false, for a job's first attempt on the local runner with no [run] or [result]
 * yet (the caller knows): nothing is removed (a job never started has no run markers) and
 * config.ini is not rewritten, which spares the launch a file creation and a deletion; the
 * attempt is then in RUNNING (attempt=1) and jobdir.log, and [run] is recorded with the
 * outcome or when the job is requeued (unrecordedRun). Returns the config when it wrote one.
 */
export async function prepareRun(
  job: JobRef,
  argv: string[],
  attempt: number,
  extra: Record<string, string> = {},
  { record = true }: { record?: boolean } = {},
): Promise<JobConfig | null> {
  if (record) await clearRunMarkers(job.dir, { keepCancel: true });
  // No fsync on the launch path: a process crash cannot tear these (argv is read only
  // after this returns; config.ini is replaced by rename), and what a power cut undoes is
  // harmless: the job is found again without markers and rerun (at worst with its attempt
  // count one lower). The run slot is not held waiting on the disk.
  fsc.writeFileSync(join(job.dir, JOB_FILES.ARGV), argv.map(encodeArg).join('\n') + '\n');
  if (!record) return null;
  return updateJobConfig(
    job,
    (c) => {
      c.run = { ...c.run, attempts: String(attempt), argv: JSON.stringify(argv), ...extra };
      delete c.result;
    },
    { durable: false },
  );
}

/**
 * The [run] that prepareRun would have written for a job started without it (record
 * false): attempt 1 (or RUNNING's), on the local runner, with the argv file's arguments;
 * null when no run was prepared (no argv file). Merged under what config.ini holds by
 * whoever next rewrites it (the outcome, a requeue).
 */
export function unrecordedRun(dir: string, m: Markers | null): Record<string, string> | null {
  let text: string;
  try {
    text = fsc.readFileSync(join(dir, JOB_FILES.ARGV), 'utf8');
  } catch {
    return null;
  }
  return {
    attempts: String(m?.running?.attempt || 1),
    argv: JSON.stringify(text.replace(/\n$/, '').split('\n').map(decodeArg)),
    runner: 'local',
  };
}

/**
 * Remove the markers of a previous run (used before a rerun or a resubmit). `keepCancel`
 * (a rerun): a stop request written while the job was being prepared must survive it.
 */
export async function clearRunMarkers(
  dir: string,
  { keepCancel = false }: { keepCancel?: boolean } = {},
): Promise<void> {
  const markers = new Set<string>([
    JOB_FILES.RUNNING,
    JOB_FILES.SUCCESS,
    JOB_FILES.ERROR,
    JOB_FILES.PROGRESS,
    ...(keepCancel ? [] : [JOB_FILES.CANCEL]),
    JOB_FILES.CLUSTER,
  ]);
  // One readdir, then unlink only what is there (fs.rm per name costs an lstat each).
  for (const n of namesIn(dir)) {
    if (markers.has(n) || /^(SUCCESS|ERROR)\.\d+$/.test(n))
      fsc.rmSync(join(dir, n), { force: true });
  }
}

/** Record a request to cancel the job (durable, before anything is killed). */
export async function writeCancel(
  dir: string,
  by: string,
  { mode = 'cancel', notify = true }: { mode?: 'cancel' | 'fail'; notify?: boolean } = {},
): Promise<void> {
  await writeDurable(
    join(dir, JOB_FILES.CANCEL),
    `by=${by.replace(/[\r\n]/g, ' ')}\nmode=${mode}\nnotify=${notify ? 1 : 0}\n`,
  );
}

/** The program's progress: a fraction 0..1 (null when unknown) and a message. */
export interface Progress {
  fraction: number | null;
  message: string;
}

/**
 * Read PROGRESS: its last non-empty line, `CURRENT TOTAL [message]`, `N% [message]`
 * or just a message. Programs write it by temp + rename (or one short write). Only the
 * last 4 KiB are read (a program that appends costs nothing more), and only from a regular
 * file: a PROGRESS symlinked elsewhere (to a file of the server's) shows nothing.
 */
export async function readProgress(dir: string): Promise<Progress | null> {
  const text = readTailRegular(join(dir, JOB_FILES.PROGRESS), 4096);
  if (!text) return null;
  const line =
    text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .pop() ?? '';
  let m = /^(\d+(?:\.\d+)?)%\s*(.*)$/.exec(line);
  if (m) return { fraction: clamp(Number(m[1]) / 100), message: m[2]!.slice(0, 500) };
  m = /^(\d+(?:\.\d+)?)\s+(\d+(?:\.\d+)?)\s*(.*)$/.exec(line);
  if (m && Number(m[2]) > 0)
    return { fraction: clamp(Number(m[1]) / Number(m[2])), message: m[3]!.slice(0, 500) };
  return { fraction: null, message: line.slice(0, 500) };
}

/**
 * Read at most `max` bytes of the end of a job's output file ('' when absent). Never
 * through a symlink or from a FIFO: a program cannot make the page show a server file.
 */
export async function readTail(dir: string, name: string, max = 64 * 1024): Promise<string> {
  return readTailRegular(join(dir, name), max) ?? '';
}

/** The last `max` bytes of a regular file (never through a symlink or from a FIFO), or null. */
export function readTailRegular(path: string, max: number): string | null {
  try {
    return withRegularFile(path, (fd, st) => {
      const len = Math.min(st.size, max);
      const buf = Buffer.alloc(len);
      const bytesRead = fsc.readSync(fd, buf, 0, len, st.size - len);
      return buf.subarray(0, bytesRead).toString('utf8');
    });
  } catch {
    return null;
  }
}

function clamp(x: number): number {
  return Math.max(0, Math.min(1, x));
}

/**
 * Append one line to the job's own framework log (best effort). Synchronous, as the
 * launch's other calls: the backend logs "started" and hands the job to its runner with
 * no pause between, so a crash falls before both or after both (with a pause, a kill -9
 * logged a start whose wrapper never began, and the rerun logged a second one).
 */
export async function appendJobLog(
  dir: string,
  event: string,
  fields: Record<string, unknown> = {},
): Promise<void> {
  const line = JSON.stringify({ t: new Date().toISOString(), event, ...fields }) + '\n';
  try {
    fsc.appendFileSync(join(dir, JOB_FILES.LOG), line);
  } catch {
    /* best effort */
  }
}
