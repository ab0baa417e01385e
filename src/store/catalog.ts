import * as fsc from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldLoop, setTimeout as sleep } from 'node:timers/promises';
import { unsafe } from 'ini';
import type { State } from '../states.js';
import type { Census, CensusSnapshot, JobStamp } from './census.js';
import { JOB_FILES } from './files.js';
import { findJob } from './jobs.js';
import { jobDir, type Store } from './layout.js';

/** One job as the admin's search sees it. */
export interface CatalogEntry {
  readonly id: string;
  state: State;
  /** When it was submitted (ms since the epoch; 0 when unknown): config.ini's, once read. */
  submitted: number;
  /** When it ended (completed, failed, archived); null while active. */
  finished: number | null;
  /** From its config.ini, read once; null until read. */
  type: string | null;
  email: string | null;
  /** `email` lower-cased, for matching. */
  emailLc: string | null;
}

/** The catalog as of one census. */
export interface CatalogView {
  /** Every job on disk, newest submission first (ties, within one ms: by id). Do not modify. */
  entries: readonly CatalogEntry[];
  /** Jobs whose config.ini is not read yet: a type or email search cannot find them yet. */
  unread: number;
  /** Every type seen in a job's config.ini. */
  types: ReadonlySet<string>;
  /** True while the first census is still being taken (no entries yet). */
  counting: boolean;
  /** When the census behind it was taken, and what its scan cost. */
  at: number;
  scanMs: number;
}

/** Options of `createCatalog`. */
export interface CatalogOptions {
  /** config.ini files read between two yields to the event loop (default 200). */
  slice?: number;
  /**
   * Up to this many jobs on disk a view always takes a new census (a few ms: exact); with
   * more it may answer from an older one (`staleMs`). Default 20,000.
   */
  exactUpTo?: number;
}

/** The jobs on disk with their type and email, for the admin's search. */
export interface Catalog {
  /**
   * The catalog as of a census taken now, or, on a store of more than `exactUpTo` jobs, no
   * older than `staleMs` (default 5 s); there one older than `freshMs` (default 1 s) is
   * taken again in the background for the next view, so a view seldom waits for a scan (a
   * scan of a 100k-job folder that changed takes ~0.2 s).
   * Config files not yet read are read in the background, in slices. `waitMs` (default 0)
   * waits up to that long for the first census and for the reading; past it the view says
   * what is missing (`counting`, `unread`).
   */
  view(opts?: { freshMs?: number; staleMs?: number; waitMs?: number }): Promise<CatalogView>;
}

interface Held extends CatalogEntry {
  stamp: JobStamp;
  seen: number;
  /** The config.ini could not be read where the census saw the job (moved on since, or broken). */
  missed: boolean;
}

/** What a job's [settings] say of its type, email and submission (null when config.ini cannot be read). */
export function readJobHead(
  dir: string,
): { type: string; email: string; submitted: number } | null {
  let text: string;
  try {
    const fd = fsc.openSync(join(dir, JOB_FILES.CONFIG), fsc.constants.O_RDONLY);
    try {
      const buf = Buffer.allocUnsafe(4096);
      const n = fsc.readSync(fd, buf, 0, buf.length, 0);
      text = buf.toString('utf8', 0, n);
      // [settings] comes first; read on only if it fills the first 4 KiB (a long email, say).
      if (n === buf.length && !/\n\[/.test(text))
        text = fsc.readFileSync(join(dir, JOB_FILES.CONFIG), 'utf8');
    } finally {
      fsc.closeSync(fd);
    }
  } catch {
    return null;
  }
  const out = { type: '', email: '', submitted: 0 };
  let inSettings = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('[')) {
      if (inSettings) break;
      inSettings = line.trim() === '[settings]';
      continue;
    }
    const eq = line.indexOf('=');
    if (!inSettings || eq < 0) continue;
    const key = line.slice(0, eq).trim();
    if (key === 'type') out.type = unsafe(line.slice(eq + 1));
    else if (key === 'email') out.email = unsafe(line.slice(eq + 1));
    else if (key === 'submitted') out.submitted = Date.parse(unsafe(line.slice(eq + 1))) || 0;
  }
  return out;
}

const newestFirst = (a: CatalogEntry, b: CatalogEntry) =>
  b.submitted - a.submitted || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Merge `few` (sorted) into `many` (sorted): O(n), where a sort of the whole would be O(n log n). */
function merge(many: Held[], few: Held[]): Held[] {
  const out: Held[] = new Array(many.length + few.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < many.length && j < few.length)
    out[k++] = newestFirst(many[i]!, few[j]!) <= 0 ? many[i++]! : few[j++]!;
  while (i < many.length) out[k++] = many[i++]!;
  while (j < few.length) out[k++] = few[j++]!;
  return out;
}

/**
 * An index of every job for the admin's search, derived from the job directories (they
 * stay the truth): the census gives each job's id, state and times, and a job's config.ini
 * is read once in its life for its type and email (they never change; a move keeps them).
 * Each view follows the census: jobs that came are read and merged into the order, jobs
 * that went are dropped, moved ones get their new state. The first view of a big store
 * starts reading every config.ini in the background, in slices between which other
 * requests run.
 */
export function createCatalog(
  store: Store,
  census: Census,
  { slice = 200, exactUpTo = 20_000 }: CatalogOptions = {},
): Catalog {
  const byId = new Map<string, Held>();
  let order: Held[] = [];
  let resort = false;
  let generation = 0;
  const pending: Held[] = [];
  let reading: Promise<void> | null = null;
  const types = new Set<string>();

  function follow(stamps: readonly JobStamp[]): void {
    const seen = ++generation;
    const added: Held[] = [];
    for (const s of stamps) {
      const had = byId.get(s.id);
      if (!had) {
        const e: Held = {
          id: s.id,
          state: s.state,
          submitted: s.submitted,
          finished: s.finished,
          type: null,
          email: null,
          emailLc: null,
          stamp: s,
          seen,
          missed: false,
        };
        byId.set(s.id, e);
        added.push(e);
        pending.push(e);
        continue;
      }
      had.seen = seen;
      if (had.stamp === s) continue;
      had.stamp = s;
      had.state = s.state;
      had.finished = s.finished;
      if (had.missed) {
        had.missed = false;
        pending.push(had);
      }
    }
    let gone = false;
    for (const [id, e] of byId)
      if (e.seen !== seen) {
        byId.delete(id);
        gone = true;
      }
    if (gone) order = order.filter((e) => byId.get(e.id) === e);
    if (added.length) order = merge(order, added.sort(newestFirst));
  }

  /** Read `e`'s config.ini where the census saw it; false when it is not there. */
  function readHere(e: Held, dir = jobDir(store, e.state, e.id)): boolean {
    const head = readJobHead(dir);
    if (!head) return false;
    e.type = head.type;
    e.email = head.email;
    e.emailLc = head.email.toLowerCase();
    types.add(head.type);
    // config.ini's time (ms) orders jobs made within one tick of the coarse clock that
    // dates their directories (~4 ms); the directory's time serves until it is read.
    if (head.submitted && head.submitted !== e.submitted) {
      e.submitted = head.submitted;
      resort = true;
    }
    return true;
  }

  async function readPending(): Promise<void> {
    while (pending.length) {
      for (const e of pending.splice(0, slice)) {
        if (byId.get(e.id) !== e || readHere(e)) continue;
        // Moved since the census saw it: by-id (or a probe) says where it is now.
        const ref = await findJob(store, e.id);
        if (!ref || !readHere(e, ref.dir)) e.missed = true;
      }
      if (pending.length) await yieldLoop();
    }
  }

  let counted: CensusSnapshot | null = null;
  let refreshing: Promise<void> | null = null;

  /** Take in a census (a newer one than the last taken in). */
  function apply(snap: CensusSnapshot): void {
    if (counted && snap.at < counted.at) return;
    if (snap.stamps !== counted?.stamps) follow(snap.stamps);
    counted = snap;
  }

  /** Read what is pending, in the background (one reader at a time). */
  function startReading(): void {
    if (pending.length && !reading)
      // A file that cannot be read leaves its job unread (readHere catches); this only
      // keeps an unexpected error from going unhandled in the background.
      reading = readPending()
        .catch(() => {})
        .finally(() => {
          reading = null;
        });
  }

  /** Wait for `p` until `deadline` (at least until what is already done has settled); true when it settled in time. */
  async function until(p: Promise<unknown>, deadline: number): Promise<boolean> {
    const ms = deadline - Date.now();
    const ac = new AbortController();
    const timer =
      ms > 0 ? sleep(ms, false, { signal: ac.signal }) : yieldLoop(false, { signal: ac.signal });
    const done = await Promise.race([p.then(() => true), timer.catch(() => false)]);
    ac.abort();
    return done;
  }

  return {
    async view({ freshMs = 1000, staleMs = 5000, waitMs = 0 } = {}) {
      const deadline = Date.now() + waitMs;
      // On a big store a census younger than staleMs (the dashboard's too) is good enough to
      // answer from; one older than freshMs is taken again in the background, for the next view.
      // A small store is counted again for each view (cheap, exact); a big one may wait.
      const big = (counted?.stamps.length ?? 0) > exactUpTo;
      const taking = census.snapshot(big ? staleMs : 0).then((snap) => {
        apply(snap);
        startReading();
      });
      // Past the deadline (many new jobs to stat, say), answer from the last census taken in.
      if (!(await until(taking, deadline)) && !counted)
        return { entries: [], counting: true, unread: 0, types, at: 0, scanMs: 0 };
      if (big && counted && Date.now() - counted.at > freshMs && !refreshing)
        refreshing = census
          .snapshot(freshMs)
          .then((snap) => {
            apply(snap);
            startReading();
          })
          .catch(() => {})
          .finally(() => {
            refreshing = null;
          });
      startReading();
      if (reading) await until(reading, deadline);
      if (resort) {
        order.sort(newestFirst);
        resort = false;
      }
      return {
        entries: order,
        counting: false,
        unread: pending.length,
        types,
        at: counted!.at,
        scanMs: counted!.tookMs,
      };
    },
  };
}
