import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../src/config/index.js';
import { STATES } from '../src/states.js';
import {
  createJob,
  decodeEmail,
  encodeEmail,
  findJob,
  getJob,
  isJobId,
  listUserJobs,
  moveJob,
  newJobId,
  openStore,
  readJob,
  updateJobConfig,
} from '../src/store/index.js';
import { tempDir, writeConfig } from './helpers.js';

async function freshStore() {
  const root = tempDir();
  return { root, store: await openStore(loadConfig(await writeConfig(root))) };
}

describe('store: the filesystem database', () => {
  test('ids are 12 consonants (≈52 random bits), distinct, and only id-shaped names count as jobs', () => {
    const ids = new Set(Array.from({ length: 20_000 }, () => newJobId()));
    assert.equal(ids.size, 20_000);
    for (const id of [...ids].slice(0, 100)) assert.match(id, /^[bcdfghjkmnpqrstvwxyz]{12}$/);
    assert.ok(12 * Math.log2(20) > 50);
    for (const bad of [
      '../etc',
      'ABCDFGHJKLMN',
      'bcdfg',
      'aaaaaaaaaaaa',
      '.bcdfghjkmnpq',
      'bcdfghjkmnpq\0',
      'bcdfghjkmnp%2e',
    ])
      assert.equal(isJobId(bad), false, bad);
  });

  test('email addresses become safe, reversible folder names', () => {
    const cases = [
      'alice@example.test',
      'Bob.Smith+tag@Example.TEST',
      '"odd person"@example.test',
      'a/b\\c@x.test',
      '.dot@x.test',
      'ünï@exämple.test',
      'x%41@y.test',
    ];
    for (const email of cases) {
      const name = encodeEmail(email);
      assert.match(name, /^[A-Za-z0-9@_+%-][A-Za-z0-9@._+%-]*$/, name);
      assert.ok(!name.includes('/') && name !== '.' && name !== '..');
      const at = email.lastIndexOf('@');
      assert.equal(decodeEmail(name), email.slice(0, at) + email.slice(at).toLowerCase());
    }
    assert.notEqual(
      encodeEmail('a@x.test'),
      encodeEmail('A@x.test'),
      'local parts are case-sensitive',
    );
    assert.equal(encodeEmail('a@X.test'), encodeEmail('a@x.test'), 'domains are not');
  });

  test('createJob: config.ini durable in incoming/, indexes made, nothing hidden left behind', async () => {
    const { root, store } = await freshStore();
    const ref = await createJob(store, {
      service: 's',
      type: 't',
      email: 'alice@example.test',
      inputs: { x: '1', note: 'line with = and ; and "quotes"' },
      files: [{ name: 'input-f-data.txt', data: new TextEncoder().encode('hello') }],
    });
    assert.equal(ref.state, STATES.INCOMING);
    const job = await readJob(ref);
    assert.equal(job.config.settings!.job_id, ref.id);
    assert.equal(job.config.settings!.email, 'alice@example.test');
    assert.equal(job.config.inputs!.note, 'line with = and ; and "quotes"');
    assert.equal(await fs.readFile(join(ref.dir, 'input-f-data.txt'), 'utf8'), 'hello');
    assert.deepEqual(await fs.readdir(join(root, 'jobs/incoming')), [ref.id]);
    assert.deepEqual(await listUserJobs(store, 'alice@example.test'), [ref.id]);
    assert.equal((await findJob(store, ref.id))!.dir, ref.dir);
  });

  test('moves are renames; findJob follows a job through every state, by-id or by probing', async () => {
    const { store } = await freshStore();
    const { id } = await createJob(store, { service: 's', type: 't', email: '', inputs: {} });
    const path = [
      STATES.INCOMING,
      STATES.PREPROCESSING,
      STATES.RUNNING,
      STATES.POSTPROCESSING,
      STATES.FINALIZING,
      STATES.COMPLETED,
      STATES.ARCHIVED,
    ] as const;
    for (let i = 1; i < path.length; i++) {
      const dir = (await findJob(store, id))!.dir;
      // What the transitions require on disk: a result before endRun, the outcome before complete.
      if (path[i] === STATES.POSTPROCESSING) await fs.writeFile(join(dir, 'SUCCESS'), 'exit=0\n');
      if (path[i] === STATES.COMPLETED)
        await updateJobConfig(
          { id, state: STATES.FINALIZING, dir },
          (c) => void (c.result = { state: STATES.COMPLETED }),
        );
      const moved = await moveJob(store, id, path[i - 1]!, path[i]!);
      assert.equal(moved.state, path[i]);
      const found = await findJob(store, id);
      assert.equal(found?.state, path[i]);
      assert.equal((await getJob(store, id)).config.settings!.job_id, id);
    }
    await assert.rejects(
      moveJob(store, id, STATES.RUNNING, STATES.POSTPROCESSING),
      /not in running/,
    );
    await assert.rejects(
      // running → failed is declared now (failDirect, the short path); running → archived is not.
      moveJob(store, id, STATES.RUNNING, STATES.ARCHIVED),
      (e: Error) => e.name === 'TransitionError',
    );
    assert.equal(await findJob(store, 'bcdfghjkmnpq'), null);
    await assert.rejects(getJob(store, '../../etc'), (e: Error) => e.name === 'NotFoundError');
  });

  test('what a user typed comes back from config.ini unchanged, however odd', async () => {
    const { store } = await freshStore();
    // Through ini's own encode/decode, null, ', \;, a\#b, U+2028 and U+2029 came back changed or
    // lost; the rest are the cases ini already quotes, which must keep working.
    const odd = [
      'null',
      "'",
      '\\;',
      'a\\#b',
      'true',
      'false',
      '',
      ' ',
      ' padded ',
      '"q"',
      "'q'",
      '[x]',
      'a=b',
      'x ; y',
      '#c',
      'a\nb',
      'a\u2028b',
      '\u2029',
      '{"a":1}',
      '\\',
    ];
    const inputs = Object.fromEntries(odd.map((v, i) => [`f${i}`, v]));
    const ref = await createJob(store, { service: 's', type: 't', email: '', inputs });
    assert.deepEqual((await readJob(ref)).config.inputs, inputs);
    await updateJobConfig(ref, (c) => void (c.run = { note: "'" }));
    const again = await readJob(ref);
    assert.deepEqual(again.config.inputs, inputs);
    assert.equal(again.config.run!.note, "'");
    // Ordinary values stay plain text, as before: `x = 6`, not `x = "6"`.
    const plain = await createJob(store, {
      service: 's',
      type: 't',
      email: '',
      inputs: { x: '6', name: 'my protein' },
    });
    assert.match(
      await fs.readFile(join(plain.dir, 'config.ini'), 'utf8'),
      /^\[inputs\]\nx = 6\nname = my protein\n/m,
    );
  });
});
