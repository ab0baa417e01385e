import { basename, dirname, join } from 'node:path';
import { watch as fsWatch } from 'node:fs';
import { watch, type FSWatcher } from 'chokidar';
import { isJobId } from '../store/index.js';

/** What the watcher reports. */
export interface WatchEvents {
  /** A job directory appeared in incoming/ (e.g. made by a separate web process). */
  incoming(id: string): void;
  /** A file appeared or changed in running/<id>/ (a marker, maybe) of a watched job. */
  runningFile(id: string, name: string): void;
}

/** The watcher: incoming/ always, and the running job folders it is asked to watch. */
export interface JobWatcher {
  /** Watch running/<id>/ for markers (a job whose runner does not report its own end). */
  watchRun(id: string): void;
  /** Stop watching running/<id>/ (the job left RUNNING). */
  unwatchRun(id: string): void;
  close(): Promise<void>;
}

/**
 * incoming/ and the folders of the running jobs whose end no process reports to us (cluster
 * jobs, wrappers started by an earlier backend): only what moves, never completed/ or
 * archived/. A local wrapper is the backend's own child and reports its exit, so it costs no
 * watch; and running/ itself is not watched: chokidar re-reads a watched folder on every
 * change, two per job. `pollMs` > 0 makes chokidar poll, for network filesystems where
 * cluster nodes write and inotify sees nothing. The periodic rescan in the backend remains
 * the fallback either way.
 */
export function watchJobs(
  dirs: { incoming: string; running: string },
  ev: WatchEvents,
  pollMs = 0,
): JobWatcher {
  // Depth 0 either way: incoming/'s entries, or the files of one running job's folder.
  const opts = {
    ignoreInitial: true,
    depth: 0,
    usePolling: pollMs > 0,
    interval: pollMs || undefined,
    binaryInterval: pollMs || undefined,
    ignored: (path: string) => basename(path).startsWith('.'), // temp files
    persistent: true,
  };
  // incoming/ can hold thousands of queued jobs, and chokidar re-reads (readdir + lstat of
  // every entry) a watched folder on each change: O(n²) over a burst, 1.3 s of CPU per 500
  // jobs in the bench. inotify names the entry that appeared, so incoming/ uses fs.watch;
  // chokidar keeps the running job folders and the polling mode for network filesystems.
  const inc: { close(): Promise<void> | void } =
    pollMs > 0
      ? watch(dirs.incoming, opts).on('addDir', (path: string) => {
          const id = basename(path);
          if (dirname(path) === dirs.incoming && isJobId(id)) ev.incoming(id);
        })
      : watchNames(dirs.incoming, (name) => {
          if (isJobId(name)) ev.incoming(name);
        });
  const run: FSWatcher = watch([], opts);
  const watched = new Set<string>();
  const onRunFile = (path: string) => {
    const id = basename(dirname(path));
    if (dirname(dirname(path)) === dirs.running && watched.has(id))
      ev.runningFile(id, basename(path));
  };
  run.on('add', onRunFile);
  run.on('change', onRunFile);
  // Errors (e.g. a folder vanishing under a poll) are covered by the periodic rescan.
  run.on('error', () => {});
  return {
    watchRun(id) {
      if (watched.has(id) || !isJobId(id)) return;
      watched.add(id);
      run.add(join(dirs.running, id));
    },
    unwatchRun(id) {
      if (!watched.delete(id)) return;
      run.unwatch(join(dirs.running, id));
    },
    close: async () => void (await Promise.all([inc.close(), run.close()])),
  };
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
