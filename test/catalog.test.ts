/**
 * The store's catalog behind the admin's search, on a real store: derived from the job
 * directories (census + each config.ini read once), newest first, following moves and
 * deletions, and saying what it has not read or counted yet instead of waiting.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../src/config/index.js';
import { STATES } from '../src/states.js';
import {
  createCatalog,
  createCensus,
  createJob,
  findJob,
  openStore,
  readJob,
  removeJob,
  updateJobConfig,
} from '../src/store/index.js';
import { tempDir, waitFor, writeConfig } from './helpers.js';
import { placeJob } from './place.js';

async function storeWith(n: number) {
  const store = await openStore(loadConfig(await writeConfig(tempDir())));
  const ids: string[] = [];
  for (let i = 0; i < n; i++)
    ids.push(
      (
        await createJob(store, {
          service: 'slowdiv',
          type: i % 2 ? 'divide' : 'greet',
          email: `User${i}@Example.org`,
          inputs: {},
        })
      ).id,
    );
  return { store, ids };
}

/** A view as of now (no census older than now is reused), waiting for everything. */
const exact = { freshMs: 0, staleMs: 0, waitMs: 60_000 };

describe('catalog: every job with its type and email, derived from the job directories', () => {
  test('newest first, with each type and email from config.ini; moves and deletions followed', async () => {
    const { store, ids } = await storeWith(5);
    const catalog = createCatalog(store, createCensus(store));
    const v = await catalog.view(exact);
    // Newest first by config.ini's submission time, then by id (jobs made within one ms).
    const when = new Map<string, number>();
    for (const id of ids)
      when.set(id, Date.parse((await readJob((await findJob(store, id))!)).settings.submitted));
    const newest = [...ids].sort((a, b) => when.get(b)! - when.get(a)! || (a < b ? -1 : 1));
    assert.deepEqual(
      v.entries.map((e) => [e.id, e.state, e.type, e.email, e.emailLc]),
      newest.map((id) => {
        const i = ids.indexOf(id);
        return [
          id,
          STATES.INCOMING,
          i % 2 ? 'divide' : 'greet',
          `User${i}@Example.org`,
          `user${i}@example.org`,
        ];
      }),
    );
    assert.deepEqual(
      v.entries.map((e) => e.submitted),
      newest.map((id) => when.get(id)),
    );
    assert.deepEqual([...v.types].sort(), ['divide', 'greet']);
    assert.equal(v.unread, 0);
    assert.equal(v.counting, false);

    await placeJob(store, ids[1]!, STATES.ARCHIVED);
    await placeJob(store, ids[2]!, STATES.FAILED);
    await removeJob(store, {
      id: ids[3]!,
      state: STATES.INCOMING,
      dir: `${store.states.incoming}/${ids[3]}`,
    });
    const w = await catalog.view(exact);
    const state: Record<string, string> = {
      [ids[0]!]: STATES.INCOMING,
      [ids[1]!]: STATES.ARCHIVED,
      [ids[2]!]: STATES.FAILED,
      [ids[4]!]: STATES.INCOMING,
    };
    assert.deepEqual(
      w.entries.map((e) => [e.id, e.state]),
      newest.filter((id) => id !== ids[3]).map((id) => [id, state[id]]),
    );
    assert.ok(w.entries.find((e) => e.id === ids[2])!.finished! > 0, 'an ended job has its end');
  });

  test("a job's config.ini is read once in its life: a move keeps what was read", async () => {
    const { store, ids } = await storeWith(1);
    const catalog = createCatalog(store, createCensus(store));
    assert.equal((await catalog.view(exact)).entries[0]!.email, 'User0@Example.org');
    // Rewritten behind the catalog's back (a job's email never changes in jobdir): not read again.
    const ref = await placeJob(store, ids[0]!, STATES.COMPLETED);
    await updateJobConfig(ref, (c) => void (c.settings!.email = 'changed@example.org'));
    const v = await catalog.view(exact);
    assert.deepEqual(
      [v.entries[0]!.state, v.entries[0]!.email],
      [STATES.COMPLETED, 'User0@Example.org'],
    );
  });

  test('without waiting it says what it has not done: the first census (counting), then config files not read yet (unread)', async () => {
    const { store } = await storeWith(60);
    const catalog = createCatalog(store, createCensus(store), { slice: 10 });
    const first = await catalog.view();
    assert.deepEqual([first.counting, first.entries.length], [true, 0]);
    const counted = await catalog.view({ waitMs: 60_000, staleMs: 60_000 });
    assert.equal(counted.counting, false);
    assert.equal(counted.entries.length, 60);
    assert.equal(counted.unread, 0);
  });

  test('reads in slices: right after the census, some config files are still to be read, and are read in the background', async () => {
    const { store } = await storeWith(60);
    const census = createCensus(store);
    await census.snapshot();
    // exactUpTo -1: the census just taken is used as it is, so the reading starts at once.
    const catalog = createCatalog(store, census, { slice: 10, exactUpTo: -1 });
    const v = await catalog.view({ staleMs: 60_000 });
    assert.equal(v.entries.length, 60);
    assert.ok(v.unread > 0 && v.unread < 60, `${v.unread} unread: some slices read, not all`);
    assert.equal(v.entries.filter((e) => e.type === null).length, v.unread);
    const later = await catalog.view({ staleMs: 60_000, waitMs: 60_000 });
    assert.equal(later.unread, 0);
    assert.ok(later.entries.every((e) => e.type !== null));
  });

  test('on a big store (over exactUpTo jobs; 0 here) a view answers from the last census and takes a new one in the background', async () => {
    const { store, ids } = await storeWith(2);
    const catalog = createCatalog(store, createCensus(store), { exactUpTo: 0 });
    await catalog.view(exact);
    await placeJob(store, ids[0]!, STATES.FAILED);
    const lazy = { staleMs: 60_000, freshMs: 0 };
    const stale = await catalog.view(lazy);
    assert.equal(stale.entries.find((e) => e.id === ids[0])!.state, STATES.INCOMING);
    await waitFor(
      async () =>
        (await catalog.view(lazy)).entries.find((e) => e.id === ids[0])!.state === STATES.FAILED,
      10_000,
      'the census taken in the background',
    );
  });
});
