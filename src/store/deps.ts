/**
 * Durable parent/child records. A parent lists its children in its own config.ini before
 * any child exists:
 *
 *   [children]                     [child <id>]
 *   <id> = <type> wait|after       <input> = <value>   (the request, kept to re-create it)
 *
 * and each child names its parent in its [settings] (`parent`, and `after_parent = true`
 * when it must wait for the parent to complete). Once made, a child is marked in the
 * parent's `[children made]`, so one deleted later (jobdir delete, expiry) is gone for good
 * rather than made again. Child ids are derived from the parent's
 * id and the request's place (stage, round, index), so asking again after a crash names
 * the same ids: recording is a merge, creating an id that exists is a no-op. A crash
 * between the record and the creation leaves ids without jobs; `ensureChildren` makes
 * them. Nothing runs twice, nothing is orphaned.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { FINAL_STATES, STATES } from '../states.js';
import { ID_ALPHABET, isJobId } from './ids.js';
import { createJob } from './create.js';
import {
  findJob,
  type Job,
  type JobConfig,
  type JobRef,
  readJob,
  updateJobConfig,
} from './jobs.js';
import { jobSettings } from './record.js';
import type { Store } from './layout.js';

/** The parent's section marking the children that were made. */
const MADE = 'children made';

/** How a child relates to its parent: the parent waits for it, or it waits for the parent. */
export type ChildMode = 'wait' | 'after';

/** One child as its parent records it. */
export interface ChildRecord {
  id: string;
  type: string;
  mode: ChildMode;
  inputs: Record<string, string>;
  email: string;
}

/** The children a job's config.ini records, in the order they were asked for. */
export function childrenOf(config: JobConfig): ChildRecord[] {
  return Object.entries(config.children ?? {})
    .filter(([id]) => isJobId(id))
    .map(([id, v]) => {
      const [type = '', mode = 'wait', email = ''] = v.split(' ');
      const inputs = { ...config[`child ${id}`] };
      return { id, type, mode: mode === 'after' ? 'after' : 'wait', inputs, email };
    });
}

/** The id of the `index`th child asked for at `stage` of `parentId` (same inputs, same id). */
export function childId(parentId: string, stage: string, index: number, length: number): string {
  const h = createHash('sha256').update(`${parentId}\0${stage}\0${index}`).digest();
  let out = '';
  for (let i = 0; out.length < length; i++)
    out += ID_ALPHABET[h[i % h.length]! % ID_ALPHABET.length];
  return out;
}

/**
 * Record children in the parent's config.ini (durable; ids already recorded are kept as
 * they are). Returns the parent's config.ini as written (what its caller, holding the
 * parent's lock, would otherwise read back).
 */
export async function recordChildren(
  parent: JobRef,
  children: readonly ChildRecord[],
): Promise<JobConfig> {
  return updateJobConfig(parent, (c) => {
    c.children ??= {};
    for (const ch of children) {
      if (c.children[ch.id] !== undefined) continue;
      c.children[ch.id] = [ch.type, ch.mode, ch.email].join(' ').trim();
      c[`child ${ch.id}`] = { ...ch.inputs };
    }
  });
}

/**
 * Create each recorded child that does not exist yet, in INCOMING, naming its parent.
 * A half-made child (a by-id link without a job, left by a crash) is cleared and made
 * again. `guard` runs each check-and-create under the child's own lock: a job caught
 * between two folders by a move is not "missing". Returns the ids created now.
 */
export async function ensureChildren(
  store: Store,
  parent: Job,
  service: string,
  guard: (id: string, fn: () => Promise<void>) => Promise<void> = (_id, fn) => fn(),
): Promise<string[]> {
  const made: string[] = [];
  const mark: string[] = [];
  const depth = parent.settings.depth + 1;
  for (const ch of childrenOf(parent.config)) {
    if (parent.config[MADE]?.[ch.id]) continue;
    await guard(ch.id, async () => {
      mark.push(ch.id);
      if (await findJob(store, ch.id)) return;
      await fs.rm(join(store.states.incoming, `.${ch.id}.new`), { recursive: true, force: true });
      await fs.rm(join(store.byId, ch.id), { force: true });
      await createJob(store, {
        id: ch.id,
        service,
        type: ch.type,
        email: ch.email,
        inputs: ch.inputs,
        // A child counts against its parent's submitter (the fair share; [settings] submitter, see scheduler/submitter.ts).
        settings: {
          parent: parent.id,
          depth: String(depth),
          submitter: parent.settings.submitter || parent.settings.email,
          ...(ch.mode === 'after' ? { after_parent: 'true' } : {}),
        },
      });
      made.push(ch.id);
    });
  }
  if (mark.length) {
    await updateJobConfig(parent, (c) => {
      c[MADE] ??= {};
      for (const id of mark) c[MADE][id] = '1';
    });
  }
  return made;
}

/** A child's state as its parent's page, API and postprocess see it. */
export interface ChildState {
  id: string;
  type: string;
  mode: ChildMode;
  /** null: not made yet (a crash in between; the backend makes it), or gone. */
  ref: JobRef | null;
  /** Made, then deleted (jobdir delete, expiry): it counts as ended. */
  gone: boolean;
}

/** Where each recorded child of `config` is now. */
export async function childStates(store: Store, config: JobConfig): Promise<ChildState[]> {
  return Promise.all(
    childrenOf(config).map(async (ch) => {
      const ref = await findJob(store, ch.id);
      return {
        id: ch.id,
        type: ch.type,
        mode: ch.mode,
        ref,
        gone: ref === null && !!config[MADE]?.[ch.id],
      };
    }),
  );
}

/** True while a child the parent waits for has not ended (or not been made yet). */
export function waitsOn(children: readonly ChildState[]): boolean {
  return children.some(
    (c) => c.mode === 'wait' && !c.gone && (c.ref === null || !FINAL_STATES.includes(c.ref.state)),
  );
}

/** Ids of the children the parent waits for that exist and have not ended (what a cancel stops). */
export function unfinishedWaited(children: readonly ChildState[]): string[] {
  return children
    .filter((c) => c.mode === 'wait' && c.ref !== null && !FINAL_STATES.includes(c.ref.state))
    .map((c) => c.id);
}

/**
 * What holds a dependent job (`after_parent`) in the queue: 'wait' while its parent has
 * not completed, 'run' once it has (archived counts), 'fail' when it failed or is gone.
 */
export async function parentGate(
  store: Store,
  config: JobConfig,
): Promise<{ verdict: 'run' | 'wait' | 'fail'; parent: string }> {
  const { parent, afterParent } = jobSettings(config);
  if (!afterParent || !parent) return { verdict: 'run', parent };
  const ref = await findJob(store, parent);
  if (!ref || ref.state === STATES.FAILED) return { verdict: 'fail', parent };
  if (ref.state === STATES.COMPLETED) return { verdict: 'run', parent };
  if (ref.state === STATES.ARCHIVED)
    return (await readJob(ref)).result.state === STATES.FAILED
      ? { verdict: 'fail', parent }
      : { verdict: 'run', parent };
  return { verdict: 'wait', parent };
}
