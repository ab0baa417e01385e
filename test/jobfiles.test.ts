/** Files a hook reads and writes through job.path/readFile/writeFile stay inside the job directory. */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { jobFilePath, readJobFile, writeJobFile } from '../src/store/index.js';
import { tempDir } from './helpers.js';

test('hook file helpers refuse escapes, symlinks and jobdir\'s own files, and make sub-folders', async () => {
  const outside = tempDir();
  const dir = join(tempDir(), 'bcdfghjklmnp');
  await fs.mkdir(dir);
  await writeJobFile(dir, 'out/models/m1.pdb', 'ATOM\n');
  assert.equal(await readJobFile(dir, 'out/models/m1.pdb'), 'ATOM\n');
  assert.equal(jobFilePath(dir, './a/../b.txt'), join(dir, 'b.txt'));
  for (const bad of ['../x', '/etc/passwd', 'a/../../x', '.hidden', 'a/.git/config', 'nul\0.txt', '']) {
    assert.throws(() => jobFilePath(dir, bad), /is not a file name inside the job directory/, JSON.stringify(bad));
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
