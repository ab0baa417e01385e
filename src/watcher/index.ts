import { basename, dirname } from 'node:path';
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
  const inc: FSWatcher = watch(dirs.incoming, opts(0));
  const run: FSWatcher = watch(dirs.running, opts(1));
  inc.on('addDir', (path: string) => {
    const id = basename(path);
    if (dirname(path) === dirs.incoming && isJobId(id)) ev.incoming(id);
  });
  const onRunFile = (path: string) => {
    const id = basename(dirname(path));
    if (dirname(dirname(path)) === dirs.running && isJobId(id)) ev.runningFile(id, basename(path));
  };
  run.on('add', onRunFile);
  run.on('change', onRunFile);
  // Errors (e.g. a folder vanishing under a poll) are covered by the periodic rescan.
  inc.on('error', () => {});
  run.on('error', () => {});
  return { close: async () => void (await Promise.all([inc.close(), run.close()])) };
}
