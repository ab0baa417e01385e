/**
 * A full disk, for real: the data root is a 3 MiB tmpfs mounted for the test (the tests run
 * as root). A submission that cannot be made durable is answered 503 and leaves nothing
 * behind; the backend keeps running and serves new jobs once space returns.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FIXTURE_SERVICE, idFromRedirect, idsIn, submitForm, tempDir, waitFor } from './helpers.js';
import { startTestServer } from './server.js';

test('with the disk full a submission gets 503 with a clear message and leaves nothing; the backend recovers when space returns', async (t) => {
  const root = tempDir('jobdir-diskfull-');
  const jobs = join(root, 'jobs');
  await fs.mkdir(jobs);
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', jobs], {
    encoding: 'utf8',
  });
  if (mount.status !== 0) {
    t.skip(
      `this machine does not allow mounting a tmpfs (${mount.stderr.trim()}); the disk-full path is untested here`,
    );
    return;
  }
  try {
    const svc = await startTestServer(
      { general: { service: FIXTURE_SERVICE }, web: { min_free_disk: '256K' } },
      { root },
    );
    try {
      const before = idFromRedirect(await submitForm(svc.url, { type: 'ok', text: 'before' }));
      await waitFor(
        async () => (await idsIn(root, 'completed')).includes(before),
        20_000,
        'first job completed',
      );

      // Fill the filesystem to the last byte.
      const filler = join(jobs, 'filler');
      const chunk = Buffer.alloc(64 * 1024, 1);
      const fh = await fs.open(filler, 'w');
      try {
        for (;;) await fh.write(chunk);
      } catch (err) {
        assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
      } finally {
        await fh.close();
      }
      const byIdBefore = (await fs.readdir(join(jobs, 'by-id'))).sort();
      const res = await submitForm(svc.url, { type: 'ok', text: 'during' });
      assert.equal(res.status, 503);
      assert.match(
        await res.text(),
        /out of disk space and cannot accept jobs right now; nothing was kept/,
      );
      assert.deepEqual(
        (await fs.readdir(join(jobs, 'by-id'))).sort(),
        byIdBefore,
        'no id reserved',
      );
      assert.deepEqual(
        await fs.readdir(join(jobs, 'incoming')),
        [],
        'no half-made job, not even a hidden one',
      );
      assert.equal(
        (await fetch(`${svc.url}/healthz`)).status,
        503,
        'the service is up and says the disk is full',
      );

      // Space returns: the same service accepts and runs jobs again.
      await fs.rm(filler);
      assert.equal((await fetch(`${svc.url}/healthz`)).status, 200, 'healthy again');
      const after = idFromRedirect(await submitForm(svc.url, { type: 'ok', text: 'after' }));
      await waitFor(
        async () => (await idsIn(root, 'completed')).includes(after),
        20_000,
        'job after the disk was freed completed',
      );
      assert.equal(
        await fs.readFile(join(jobs, 'completed', after, 'stdout.txt'), 'utf8'),
        'after\n',
      );
    } finally {
      await svc.close();
    }
  } finally {
    spawnSync('umount', ['-l', jobs]);
  }
});
