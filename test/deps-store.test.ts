/**
 * The durable parent/child records of src/store/deps.ts on a real store: ids are the same
 * when the same children are asked for again, recording twice is a no-op, and a child left
 * half-made by a crash (its id reserved in by-id/, a partial staging folder) is made whole.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../src/config/index.js';
import {
  childId,
  childrenOf,
  childStates,
  ensureChildren,
  parentGate,
  recordChildren,
  waitsOn,
} from '../src/store/deps.js';
import { createJob, findJob, openStore, readJob, removeJob } from '../src/store/index.js';
import { tempDir, writeConfig } from './helpers.js';
import { placeJob } from './place.js';

async function fresh() {
  const root = tempDir('jobdir-deps-store-');
  return openStore(loadConfig(await writeConfig(root)));
}

test('child ids depend only on the parent, the stage and the place: asking again names the same ids', () => {
  const a = childId('bcdfghjkmnpq', 'run:0:0', 0, 12);
  assert.equal(a, childId('bcdfghjkmnpq', 'run:0:0', 0, 12));
  assert.notEqual(a, childId('bcdfghjkmnpq', 'run:0:0', 1, 12));
  assert.notEqual(a, childId('bcdfghjkmnpq', 'run:1:0', 0, 12));
  assert.match(a, /^[bcdfghjkmnpqrstvwxyz]{12}$/);
});

test('recording the same children twice keeps one record each, and making them twice makes each once', async () => {
  const store = await fresh();
  const parent = await createJob(store, { service: 's', type: 'p', email: '', inputs: {} });
  const recs = [0, 1].map((i) => ({
    id: childId(parent.id, 'run:0:0', i, 12),
    type: 'c',
    mode: 'wait' as const,
    inputs: { n: String(i) },
    email: '',
  }));
  await recordChildren(parent, recs);
  await recordChildren(parent, recs);
  const job = await readJob(parent);
  assert.deepEqual(
    childrenOf(job.config).map((c) => [c.id, c.type, c.mode, c.inputs.n]),
    recs.map((r) => [r.id, 'c', 'wait', r.inputs.n]),
  );
  assert.deepEqual(
    await ensureChildren(store, job, 's'),
    recs.map((r) => r.id),
  );
  assert.deepEqual(await ensureChildren(store, job, 's'), []);
  const kid = await readJob((await findJob(store, recs[1]!.id))!);
  assert.equal(kid.config.settings?.parent, parent.id);
  assert.equal(kid.config.inputs?.n, '1');
});

test('a child half-made by a crash (id reserved in by-id/, partial staging folder) is cleared and made whole', async () => {
  const store = await fresh();
  const parent = await createJob(store, { service: 's', type: 'p', email: '', inputs: {} });
  const id = childId(parent.id, 'follow', 0, 12);
  await recordChildren(parent, [{ id, type: 'c', mode: 'after', inputs: {}, email: '' }]);
  await fs.symlink(relative(store.byId, join(store.states.incoming, id)), join(store.byId, id));
  await fs.mkdir(join(store.states.incoming, `.${id}.new`));
  await fs.writeFile(join(store.states.incoming, `.${id}.new`, 'config.ini'), '[settings]\njob_');
  assert.deepEqual(await ensureChildren(store, await readJob(parent), 's'), [id]);
  const kid = await readJob((await findJob(store, id))!);
  assert.equal(kid.state, 'incoming');
  assert.equal(kid.config.settings?.after_parent, 'true');
  await assert.rejects(fs.stat(join(store.states.incoming, `.${id}.new`)));
});

test('a fired child waits while its parent is active, runs once it completed, and fails when it failed', async () => {
  const store = await fresh();
  const parent = await createJob(store, { service: 's', type: 'p', email: '', inputs: {} });
  const config = { settings: { parent: parent.id, after_parent: 'true' } };
  assert.equal((await parentGate(store, config)).verdict, 'wait');
  await placeJob(store, parent.id, 'completed');
  assert.equal((await parentGate(store, config)).verdict, 'run');
  await placeJob(store, parent.id, 'failed');
  assert.deepEqual(await parentGate(store, config), { verdict: 'fail', parent: parent.id });
  assert.equal(
    (await parentGate(store, { settings: { parent: 'bcdfghjkmnpq', after_parent: 'true' } }))
      .verdict,
    'fail',
    'a parent that is gone',
  );
  assert.equal(
    (await parentGate(store, { settings: { parent: parent.id } })).verdict,
    'run',
    'a child its parent waits for is not held',
  );
});

test('a child made, then deleted, is never made again and no longer holds its parent', async () => {
  const store = await fresh();
  const parent = await createJob(store, { service: 's', type: 'p', email: '', inputs: {} });
  const id = childId(parent.id, 'run:0:0', 0, 12);
  await recordChildren(parent, [{ id, type: 'c', mode: 'wait', inputs: {}, email: '' }]);
  assert.deepEqual(await ensureChildren(store, await readJob(parent), 's'), [id]);
  assert.equal(waitsOn(await childStates(store, (await readJob(parent)).config)), true);
  await removeJob(store, (await findJob(store, id))!);
  assert.deepEqual(await ensureChildren(store, await readJob(parent), 's'), []);
  assert.equal(await findJob(store, id), null);
  const [state] = await childStates(store, (await readJob(parent)).config);
  assert.equal(state!.gone, true);
  assert.equal(waitsOn([state!]), false);
});
