/** Files a hook reads and writes through job.path/readFile/writeFile stay inside the job directory. */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { jobFilePath, readJobFile, writeJobFile } from '../src/store/index.js';
import { tempDir } from './helpers.js';

test("hook file helpers refuse escapes, symlinks and jobdir's own files, and make sub-folders", async () => {
  const outside = tempDir();
  const dir = join(tempDir(), 'bcdfghjklmnp');
  await fs.mkdir(dir);
  await writeJobFile(dir, 'out/models/m1.pdb', 'ATOM\n');
  assert.equal(await readJobFile(dir, 'out/models/m1.pdb'), 'ATOM\n');
  assert.equal(jobFilePath(dir, './a/../b.txt'), join(dir, 'b.txt'));
  for (const bad of [
    '../x',
    '/etc/passwd',
    'a/../../x',
    '.hidden',
    'a/.git/config',
    'nul\0.txt',
    '',
  ]) {
    assert.throws(
      () => jobFilePath(dir, bad),
      /is not a file name inside the job directory/,
      JSON.stringify(bad),
    );
  }
  await assert.rejects(writeJobFile(dir, 'config.ini', 'x'), /belongs to jobdir/);
  await assert.rejects(writeJobFile(dir, 'jobdir.log', 'x'), /belongs to jobdir/);
  await fs.symlink(outside, join(dir, 'link'));
  await assert.rejects(writeJobFile(dir, 'link/x.txt', 'x'), /leads outside the job directory/);
  await assert.rejects(writeJobFile(dir, 'link/sub/x.txt', 'x'), /leads outside the job directory/);
  assert.deepEqual(await fs.readdir(outside), [], 'nothing was written outside');
  await fs.writeFile(join(outside, 'secret'), 'secret');
  await fs.symlink(join(outside, 'secret'), join(dir, 'secret-link'));
  await assert.rejects(readJobFile(dir, 'secret-link'), /ELOOP/);
  await assert.rejects(readJobFile(dir, 'link/secret'), /leads outside the job directory/);
});

test('progress is read from the end of a regular PROGRESS file only', async () => {
  const { readProgress } = await import('../src/store/index.js');
  const dir = tempDir();
  assert.equal(await readProgress(dir), null);
  await fs.writeFile(
    join(dir, 'PROGRESS'),
    `${'0 10 early\n'.repeat(100_000)}7 10 aligning chain B\n`,
  );
  assert.deepEqual(await readProgress(dir), { fraction: 0.7, message: 'aligning chain B' });
  await fs.writeFile(join(dir, 'PROGRESS'), '42% sampling\n');
  assert.deepEqual(await readProgress(dir), { fraction: 0.42, message: 'sampling' });
  await fs.writeFile(join(dir, 'PROGRESS'), 'reading the database');
  assert.deepEqual(await readProgress(dir), { fraction: null, message: 'reading the database' });
  const secret = join(tempDir(), 'secret');
  await fs.writeFile(secret, 'root:password-hash\n');
  await fs.rm(join(dir, 'PROGRESS'));
  await fs.symlink(secret, join(dir, 'PROGRESS'));
  assert.equal(await readProgress(dir), null, 'a symlinked PROGRESS shows nothing');
});

test("a job's stdout that is a symlink to a server file is never read for pages or hooks", async () => {
  const { readTail } = await import('../src/store/index.js');
  const dir = tempDir();
  const secret = join(tempDir(), 'secret');
  await fs.writeFile(secret, 'root:password-hash\n');
  await fs.symlink(secret, join(dir, 'stdout.txt'));
  assert.equal(await readTail(dir, 'stdout.txt'), '');
  await fs.writeFile(join(dir, 'stderr.txt'), 'x'.repeat(100) + 'tail');
  assert.equal(await readTail(dir, 'stderr.txt', 4), 'tail');
});
