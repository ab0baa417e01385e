/**
 * Put a test job in a state by the declared transitions only (src/store/transitions.ts):
 * the shortest path through the table, with what each step requires written first (a
 * SUCCESS marker before the run ends, the outcome before the final move). Tests that need
 * a job somewhere use this, so they never bypass the state machine.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { State } from '../src/states.js';
import {
  findJob,
  type JobRef,
  moveJob,
  type Store,
  TRANSITIONS,
  updateJobConfig,
} from '../src/store/index.js';

/** The verbs' path from `from` to `to` (breadth first over the table). */
function pathOf(from: State, to: State): State[] {
  const prev = new Map<State, State>([[from, from]]);
  const queue = [from];
  while (queue.length) {
    const s = queue.shift()!;
    for (const x of TRANSITIONS) {
      if (x.from !== s || prev.has(x.to)) continue;
      prev.set(x.to, s);
      queue.push(x.to);
    }
  }
  if (!prev.has(to)) throw new Error(`no declared path from ${from} to ${to}`);
  const path: State[] = [];
  for (let s = to; s !== from; s = prev.get(s)!) path.unshift(s);
  return path;
}

/** Move job `id` to `state` through declared transitions; resolves with where it is. */
export async function placeJob(store: Store, id: string, state: State): Promise<JobRef> {
  let ref = (await findJob(store, id))!;
  for (const to of pathOf(ref.state, state)) {
    const x = TRANSITIONS.find((t) => t.from === ref.state && t.to === to)!;
    if (x.requires.includes('run-over')) await fs.writeFile(join(ref.dir, 'SUCCESS'), 'exit=0\n');
    if (x.requires.includes('outcome'))
      await updateJobConfig(ref, (c) => void (c.result = { ...c.result, state: to }));
    ref = await moveJob(store, id, ref.state, to);
  }
  return ref;
}
