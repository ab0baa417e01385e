import { basename, dirname } from 'node:path';
import { watch as fsWatch } from 'node:fs';
import { watch, type FSWatcher } from 'chokidar';
import { isJobId } from '../store/index.js';

/** What the watcher reports. */
export interface WatchEvents {
  /** A job directory appeared in incoming/ (e.g. made by a separate web process). */
  incoming(id: string): void;
  /** A file appeared or changed in running/<id>/ (a marker, maybe). */
  runningFile(id: string, name: string): void;
}

/**
 * chokidar on incoming/ (depth 0) and running/ (depth 1): only the folders where things
 * move, never completed/ or archived/. `pollMs` > 0 makes chokidar poll, for network
 * filesystems where cluster nodes write and inotify sees nothing. The periodic rescan
 * in the backend remains the fallback either way.
 */
export function watchJobs(
  dirs: { incoming: string; running: string }, ev: WatchEvents, pollMs = 0,
  selfReported: (id: string) => boolean = () => false,
): { close(): Promise<void> } {
  const opts = (depth: number) => ({
    ignoreInitial: true,
    depth,
    usePolling: pollMs > 0,
    interval: pollMs || undefined,
    binaryInterval: pollMs || undefined,
    // Dot-names are temp files; a running job whose runner reports its own end (a local
    // wrapper is our child) costs no watch.
    ignored: (path: string) => basename(path).startsWith('.') || (dirname(path) === dirs.running && selfReported(basename(path))),
    persistent: true,
  });
  // incoming/ can hold thousands of queued jobs, and chokidar re-reads (readdir + lstat of
  // every entry) a watched folder on each change: O(n²) over a burst, 1.3 s of CPU per 500
  // jobs in the bench. inotify names the entry that appeared, so incoming/ uses fs.watch;
  // chokidar keeps running/ (few entries) and the polling mode for network filesystems.
  const inc: { close(): Promise<void> | void } = pollMs > 0 ? watch(dirs.incoming, opts(0)).on('addDir', (path: string) => {
    const id = basename(path);
    if (dirname(path) === dirs.incoming && isJobId(id)) ev.incoming(id);
  }) : watchNames(dirs.incoming, (name) => {
    if (isJobId(name)) ev.incoming(name);
  });
  const run: FSWatcher = watch(dirs.running, opts(1));
  const onRunFile = (path: string) => {
    const id = basename(dirname(path));
    if (dirname(dirname(path)) === dirs.running && isJobId(id)) ev.runningFile(id, basename(path));
  };
  run.on('add', onRunFile);
  run.on('change', onRunFile);
  // Errors (e.g. a folder vanishing under a poll) are covered by the periodic rescan.
  run.on('error', () => {});
  return { close: async () => void (await Promise.all([inc.close(), run.close()])) };
}

/** inotify on one folder: `onName` for each entry created or renamed into it. */
function watchNames(dir: string, onName: (name: string) => void): { close(): void } {
  const w = fsWatch(dir, { persistent: true }, (event, name) => {
    if (event === 'rename' && name) onName(name.toString());
  });
  // Errors (the folder vanishing) are covered by the periodic rescan.
  w.on('error', () => {});
  return { close: () => w.close() };
}
