/** The derived indexes (by-id, users) are rebuilt from the state folders, the truth. */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FIXTURE_SERVICE, tempDir, writeConfig } from './helpers.js';
import { storeOf } from './backend-process.js';
import {
  createJob,
  encodeEmail,
  findJob,
  listUserJobs,
  rebuildIndexes,
} from '../src/store/index.js';

test('rebuildIndexes adds missing by-id and users links, removes old dangling ones, and keeps a fresh reservation', async () => {
  const root = tempDir('jobdir-reindex-');
  const store = await storeOf(await writeConfig(root, { general: { service: FIXTURE_SERVICE } }));
  const a = await createJob(store, {
    service: 'fixtures',
    type: 'ok',
    email: 'a@example.test',
    inputs: {},
  });
  const b = await createJob(store, {
    service: 'fixtures',
    type: 'ok',
    email: 'b@example.test',
    inputs: {},
  });
  // a lost its links (a crash before they were made); b's directory vanished but its links stayed (old).
  await fs.rm(join(store.byId, a.id));
  await fs.rm(join(store.users, encodeEmail('a@example.test'), a.id));
  await fs.rm(b.dir, { recursive: true });
  const old = new Date(Date.now() - 3600_000);
  await fs.lutimes(join(store.byId, b.id), old, old);
  await fs.lutimes(join(store.users, encodeEmail('b@example.test'), b.id), old, old);
  // A reservation made a moment ago (createJob between its symlink and its rename) must survive.
  await fs.symlink('../incoming/bcdfghjkmnpqrs', join(store.byId, 'bcdfghjkmnpqrs'));

  assert.deepEqual(await rebuildIndexes(store), { added: 1, removed: 2 });
  assert.equal((await findJob(store, a.id))?.state, 'incoming');
  assert.deepEqual(await listUserJobs(store, 'a@example.test'), [a.id]);
  assert.deepEqual(await listUserJobs(store, 'b@example.test'), []);
  await assert.rejects(fs.lstat(join(store.byId, b.id)));
  assert.ok(await fs.lstat(join(store.byId, 'bcdfghjkmnpqrs')));
  assert.deepEqual(
    await rebuildIndexes(store),
    { added: 0, removed: 0 },
    'a second run changes nothing',
  );
});
