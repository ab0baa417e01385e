/**
 * Health of a running service, for /healthz and the dashboard: the backend is alive (it
 * holds the state file's lock, whether in this process or another), the state file is
 * readable and records no fatal error, and every filesystem holding a state folder has
 * at least `minFreeBytes` free.
 */
import { promises as fs } from 'node:fs';
import { messageOf } from '../errors.js';
import { ALL_STATES, type State } from '../states.js';
import type { Store } from '../store/index.js';
import { backendStatus } from './statefile.js';

/** Free space of one filesystem holding state folders. */
export interface DiskHealth {
  /** One folder on it (the first state's), and every state whose folder it holds. */
  path: string;
  states: State[];
  freeBytes: number;
  totalBytes: number;
  ok: boolean;
  error?: string;
}

/** What /healthz answers. */
export interface Health {
  ok: boolean;
  backend: { alive: boolean; inProcess: boolean; pid: number | null; since: string | null };
  stateFile: { path: string; ok: boolean; state: string | null; error?: string };
  disks: DiskHealth[];
  minFreeBytes: number;
}

/** Check the backend, the state file and free disk now. */
export async function checkHealth(o: {
  stateFile: string;
  store: Store;
  minFreeBytes: number;
  inProcessBackend: boolean;
}): Promise<Health> {
  const st = await backendStatus(o.stateFile).catch(() => null);
  const rec = st?.recorded ?? null;
  const stateFile: Health['stateFile'] = { path: o.stateFile, ok: true, state: rec?.state ?? null };
  if (!st) Object.assign(stateFile, { ok: false, error: 'the state file could not be read' });
  else if (st.lockedOut)
    Object.assign(stateFile, {
      ok: false,
      error: `fatal error recorded: ${rec?.error ?? 'unknown'}`,
    });
  else if (st.running && rec?.state !== 'running')
    Object.assign(stateFile, {
      ok: false,
      error: 'the lock is held but the file does not say running',
    });
  const alive = !!st?.running;
  const disks = new Map<number, DiskHealth>();
  for (const s of ALL_STATES) {
    const d = disks.get(o.store.dev[s]);
    if (d) {
      d.states.push(s);
      continue;
    }
    const path = o.store.states[s];
    try {
      const fsInfo = await fs.statfs(path);
      const free = fsInfo.bavail * fsInfo.bsize;
      disks.set(o.store.dev[s], {
        path,
        states: [s],
        freeBytes: free,
        totalBytes: fsInfo.blocks * fsInfo.bsize,
        ok: free >= o.minFreeBytes,
      });
    } catch (err) {
      disks.set(o.store.dev[s], {
        path,
        states: [s],
        freeBytes: 0,
        totalBytes: 0,
        ok: false,
        error: messageOf(err),
      });
    }
  }
  const list = [...disks.values()];
  return {
    ok: alive && stateFile.ok && list.every((d) => d.ok),
    backend: {
      alive,
      inProcess: o.inProcessBackend,
      pid: alive ? (rec?.pid ?? null) : null,
      since: alive ? (rec?.at ?? null) : null,
    },
    stateFile,
    disks: list,
    minFreeBytes: o.minFreeBytes,
  };
}
