import * as fsc from 'node:fs';
import { promises as fs } from 'node:fs';
import { failpoint, pausepoint } from '../config/failpoint.js';
import { basename, dirname, join, relative } from 'node:path';
import { decode, safe, unsafe } from 'ini';
import { NotFoundError } from '../errors.js';
import { ALL_STATES, POLICY, type State } from '../states.js';
import { JOB_FILES } from './files.js';
import { copyTreeDurable, fsyncDir, fsyncDirShared, isENOENT, writeDurable } from './fsutil.js';
import { isJobId } from './ids.js';
import { jobDir, type Store } from './layout.js';
import { jobRecord, type JobResult, type JobRun, type JobSettings } from './record.js';
import { checkRequirements, type Seen, transition } from './transitions.js';

/** A job's config.ini: sections of string values. */
export type JobConfig = Record<string, Record<string, string>>;

/** Where a job is now. */
export interface JobRef {
  id: string;
  state: State;
  dir: string;
}

/** A job with its config.ini read: the raw sections and the typed record (record.ts). */
export interface Job extends JobRef {
  config: JobConfig;
  settings: JobSettings;
  run: JobRun;
  result: JobResult;
  inputs: Record<string, string>;
}

/** What a submission carries into a new job. */
export interface NewJob {
  service: string;
  type: string;
  email: string;
  inputs: Record<string, string>;
  /** Uploaded files, stored under the job directory with names already made safe. */
  files?: { name: string; data: Uint8Array }[];
  /** Extra [settings] (hostname, parent, …). */
  settings?: Record<string, string>;
  /** Use this id (a child's, recorded in its parent beforehand); EEXIST when it is taken. */
  id?: string;
  /** Called with the id once it is reserved, before the job can appear in incoming/. */
  named?: (id: string) => void;
}

/**
 * A value as ini writes it, or JSON-quoted when ini would not read its plain form back
 * as the same string (a lone `'`, a backslash before `;` or `#`, U+2028, which ends a line
 * for ini's line pattern, …): what a user typed must come back from config.ini unchanged.
 */
function iniValue(v: string): string {
  const plain = safe(v);
  if (unsafe(plain) === v && !/[\u2028\u2029]/.test(v)) return plain;
  return JSON.stringify(v)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Serialise a job config for config.ini (the layout of ini's encode, every value read back as written). */
export function encodeJobConfig(config: JobConfig): string {
  const sections: string[] = [];
  for (const [name, body] of Object.entries(config)) {
    const lines = Object.entries(body).map(([k, v]) => `${safe(k)} = ${iniValue(v)}\n`);
    if (lines.length) sections.push(`[${safe(name.split('.').join('\\.'))}]\n${lines.join('')}`);
  }
  return sections.join('\n');
}

/** Parse config.ini text into string sections (ini reads `null` as null: it was the text "null"). */
export function decodeJobConfig(text: string): JobConfig {
  const raw = decode(text) as Record<string, unknown>;
  const out: JobConfig = {};
  for (const [name, body] of Object.entries(raw)) {
    if (body === null || typeof body !== 'object') continue;
    const section: Record<string, string> = {};
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) section[k] = String(v);
    out[name] = section;
  }
  return out;
}

/**
 * Find a job by id: through by-id, else by probing each state folder (a queued or running
 * job's link names where it will rest, completed/; see stageJob). Null if unknown.
 */
export async function findJob(store: Store, id: string): Promise<JobRef | null> {
  if (!isJobId(id)) return null;
  try {
    const target = join(store.byId, fsc.readlinkSync(join(store.byId, id)));
    const state = stateOfFolder(store, dirname(target));
    if (state && basename(target) === id && fsc.statSync(target, { throwIfNoEntry: false }))
      return { id, state, dir: target };
  } catch {
    /* missing link: probe */
  }
  for (const state of PROBE_ORDER) {
    const dir = jobDir(store, state, id);
    if (fsc.statSync(join(dir, JOB_FILES.CONFIG), { throwIfNoEntry: false }))
      return { id, state, dir };
  }
  return null;
}

/** Where findJob looks when by-id does not lead to the job: the later states first. */
const PROBE_ORDER = [...ALL_STATES].reverse();

/**
 * Job `id` if it is in `state` now (one stat: each state has its own folder), else null.
 * What the backend asks before each step; findJob would follow by-id, which is re-pointed
 * only at the ends of the run, and probe up to eight folders on the way.
 */
export function findJobIn(store: Store, id: string, state: State): JobRef | null {
  if (!isJobId(id)) return null;
  const dir = jobDir(store, state, id);
  return fsc.statSync(join(dir, JOB_FILES.CONFIG), { throwIfNoEntry: false })
    ? { id, state, dir }
    : null;
}

/**
 * Like findJob, but a string that is not an id costs the same lookups as an unknown id
 * (a decoy id no job can have is probed), so the time a miss takes says nothing.
 */
export async function findJobEvenly(store: Store, id: string): Promise<JobRef | null> {
  if (isJobId(id)) return findJob(store, id);
  await findJob(store, 'bcdfghjkmnpqrstvwxyz'.repeat(2).slice(0, store.idLength === 40 ? 39 : 40));
  return null;
}

/** Like findJobEvenly, but throws NotFoundError. */
export async function getJob(store: Store, id: string): Promise<Job> {
  const ref = await findJobEvenly(store, id);
  if (!ref) throw new NotFoundError('No job with this id was found.');
  return readJob(ref);
}

/** Read a job's config.ini. */
export async function readJob(ref: JobRef): Promise<Job> {
  return jobWith(ref, decodeJobConfig(fsc.readFileSync(join(ref.dir, JOB_FILES.CONFIG), 'utf8')));
}

/** Job `ref` with `config` (as read, or as just written by updateJobConfig) and its typed record. */
export function jobWith(ref: JobRef, config: JobConfig): Job {
  return { ...ref, config, ...jobRecord(config) };
}

/**
 * Rewrite a job's config.ini durably with `mutate` applied; returns the new config.
 * `alsoSync` names other files of the job made durable in the same fsync round;
 * `durable: false` keeps the atomic rename but skips the fsyncs (what a power cut may
 * undo must be harmless to lose). `current`: the config as the caller, holding the job's
 * lock, last read or wrote it (config.ini changes only under that lock), so it is not read
 * again; a copy is changed, never the caller's.
 */
export async function updateJobConfig(
  job: JobRef,
  mutate: (c: JobConfig) => void,
  opts: {
    alsoSync?: readonly string[];
    durable?: boolean;
    current?: JobConfig;
    pause?: string;
  } = {},
): Promise<JobConfig> {
  const config = opts.current
    ? Object.fromEntries(Object.entries(opts.current).map(([k, v]) => [k, { ...v }]))
    : (await readJob(job)).config;
  mutate(config);
  // A test can hold this writer between its read and its write (JOBDIR_PAUSE=<pause>:MS).
  if (opts.pause) await pausepoint(opts.pause);
  await writeDurable(join(job.dir, JOB_FILES.CONFIG), encodeJobConfig(config), {
    alsoSync: (opts.alsoSync ?? []).map((n) => join(job.dir, n)),
    sync: opts.durable !== false,
  });
  return config;
}

/** The state whose folder is `folder`, if any. */
export function stateOfFolder(store: Store, folder: string): State | null {
  for (const s of ALL_STATES) if (store.states[s] === folder) return s;
  return null;
}

/** Ids of the jobs in `state` (dot-names and non-id names skipped). */
export async function listState(store: Store, state: State): Promise<string[]> {
  try {
    return (await fs.readdir(store.states[state])).filter(isJobId);
  } catch (err) {
    if (isENOENT(err)) return [];
    throw err;
  }
}

/**
 * Move job `id` from `from` to `to` by its declared transition (transitions.ts): the
 * requirement checked, one rename(2), then (if the transition is durable) fsync of both
 * folders, then the by-id link re-pointed. Across filesystems: copy to a hidden staging
 * name, fsync, rename into place, remove the source. Throws TransitionError for a move
 * not declared or whose requirement fails, NotFoundError when the job is not in `from`
 * (someone else moved it first): callers treat that as "not mine".
 */
export async function moveJob(
  store: Store,
  id: string,
  from: State,
  to: State,
  seen: Seen = {},
): Promise<JobRef> {
  const x = transition(from, to);
  const src = jobDir(store, from, id);
  const dest = jobDir(store, to, id);
  const point = `move:${from}>${to}`;
  failpoint(`${point}:before`);
  const waiting = pausepoint(`${point}:before`);
  if (waiting) await waiting;
  try {
    checkRequirements(x, id, src, seen);
  } catch (err) {
    if (!fsc.existsSync(src))
      throw new NotFoundError(`Job ${id} is not in ${from}.`, { cause: err });
    throw err;
  }
  try {
    if (store.dev[from] === store.dev[to]) {
      fsc.renameSync(src, dest);
      failpoint(`${point}:renamed`);
      const held = pausepoint(`${point}:renamed`);
      if (held) await held; // unset: no await, the move stays as synchronous as it was
    } else {
      const staging = join(store.states[to], `.${id}.moving`);
      await fs.rm(staging, { recursive: true, force: true });
      await copyTreeDurable(src, staging);
      await fs.rename(staging, dest);
      await fsyncDir(store.states[to]);
      await fs.rm(src, { recursive: true, force: true });
    }
  } catch (err) {
    if (isENOENT(err)) throw new NotFoundError(`Job ${id} is not in ${from}.`, { cause: err });
    throw err;
  }
  if (x.durable) {
    await Promise.all([fsyncDirShared(store.states[from]), fsyncDirShared(store.states[to])]);
  }
  // by-id names where a job rests once it has ended: made pointing at completed/ (stageJob),
  // it is re-pointed only when the job ends elsewhere (failed/, archived/, or back in
  // completed/ after those); findJob probes the state folders for a job still moving.
  if (POLICY[to].ended) pointById(store, id, dest);
  failpoint(`${point}:after`);
  return { id, state: to, dir: dest };
}

/**
 * Point by-id/<id> at `dir` (symlink to a temp name, renamed over the old link), unless it
 * points there already (one readlink, where a new link costs a file creation and the old
 * one's deletion).
 */
export function pointById(store: Store, id: string, dir: string): void {
  const link = join(store.byId, id);
  const target = relative(store.byId, dir);
  try {
    if (fsc.readlinkSync(link) === target) return;
  } catch {
    /* missing (a crash, a reindex to come): made below */
  }
  const tmp = join(store.byId, `.${id}.${process.pid}.lnk`);
  try {
    fsc.symlinkSync(target, tmp);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Left by a crash of this pid's predecessor: replaced.
    fsc.rmSync(tmp, { force: true });
    fsc.symlinkSync(target, tmp);
  }
  fsc.renameSync(tmp, link);
}

/** Delete a job everywhere: its directory (in any state) and its index links. */
export async function removeJob(store: Store, ref: JobRef, email?: string): Promise<void> {
  const { removeUserIndex } = await import('./indexes.js');
  await fs.rm(ref.dir, { recursive: true, force: true });
  await fs.rm(join(store.byId, ref.id), { force: true });
  if (email) await removeUserIndex(store, email, ref.id);
}

/** Remove hidden half-made submissions older than `ageMs` (a crash mid-createJob). */
export async function cleanStaging(store: Store, ageMs: number): Promise<string[]> {
  const removed: string[] = [];
  const incoming = store.states.incoming;
  for (const name of await fs.readdir(incoming)) {
    const m = /^\.([a-z]+)\.new$/.exec(name);
    if (!m) continue;
    const st = await fs.stat(join(incoming, name)).catch(() => null);
    if (!st || Date.now() - st.mtimeMs < ageMs) continue;
    await fs.rm(join(incoming, name), { recursive: true, force: true });
    const link = join(store.byId, m[1]!);
    const target = await fs.readlink(link).catch(() => null);
    if (target !== null && !(await fs.stat(link).catch(() => null)))
      await fs.unlink(link).catch(() => {});
    removed.push(m[1]!);
  }
  return removed;
}
