/** `jobdir new-service NAME` writes a service whose own test passes at once. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { idFromRedirect, ROOT, submitForm, tempDir, waitFor, JOBDIR_BIN } from './helpers.js';
import { serveForTest } from './server.js';

const run = promisify(execFile);
// A nested `node --test` talks to its parent runner when it sees NODE_TEST_CONTEXT; these run on their own.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT'),
);
// The reporter is named: without it Node 20 prints TAP to a pipe and Node 24 its spec reporter.
const testArgs = (file: string) => ['--test', '--test-reporter=tap', file];
const jobdir = (...args: string[]) => run(process.execPath, [JOBDIR_BIN, ...args], { cwd: ROOT });

describe('jobdir new-service', () => {
  test('scaffolds module, INI, sample program, package.json and a test; the config checks out and the test passes', async () => {
    const dir = join(tempDir(), 'protein-fold');
    const out = await jobdir('new-service', 'protein-fold', '--dir', dir);
    assert.match(out.stdout, /wrote .*protein-fold\.ts/);
    assert.deepEqual((await fs.readdir(dir)).sort(), [
      'package.json',
      'protein-fold.ini',
      'protein-fold.sh',
      'protein-fold.test.ts',
      'protein-fold.ts',
    ]);
    assert.ok(
      ((await fs.stat(join(dir, 'protein-fold.sh'))).mode & 0o111) !== 0,
      'the sample program is executable',
    );
    const check = await jobdir('check-config', '--config', join(dir, 'protein-fold.ini'));
    assert.match(check.stdout, /OK \(service protein-fold, job types: run\)/);
    const t = await run(join(ROOT, 'node_modules/.bin/tsx'), testArgs('protein-fold.test.ts'), {
      cwd: dir,
      env,
    });
    assert.match(t.stdout, /# pass 2\n# fail 0/);
  });

  test('the scaffold serves its form and runs a job end to end', async () => {
    const dir = join(tempDir(), 'echoer');
    await jobdir('new-service', 'echoer', '--dir', dir);
    const svc = await serveForTest(join(dir, 'echoer.ini'));
    try {
      assert.match(
        await (await fetch(`${svc.url}/`)).text(),
        /<input id="text" name="text" required/,
      );
      const id = idFromRedirect(
        await submitForm(svc.url, { type: 'run', text: 'bonjour', times: '3' }),
      );
      await waitFor(
        async () =>
          (await fs.readdir(join(dir, 'data/completed')).catch(() => [] as string[])).includes(id),
        20_000,
        'scaffold job completed',
      );
      assert.match(
        await (await fetch(`${svc.url}/jobs/${id}`)).text(),
        /bonjour\nbonjour\nbonjour/,
      );
    } finally {
      await svc.close();
    }
  });

  test('in a project with jobdir installed the scaffold imports "jobdir" and "jobdir/testing" by name', async () => {
    const project = tempDir();
    await fs.mkdir(join(project, 'node_modules'));
    await fs.symlink(ROOT, join(project, 'node_modules/jobdir'));
    const dir = join(project, 'services/hello');
    await jobdir('new-service', 'hello', '--dir', dir);
    assert.match(await fs.readFile(join(dir, 'hello.ts'), 'utf8'), /from 'jobdir';/);
    assert.match(await fs.readFile(join(dir, 'hello.test.ts'), 'utf8'), /from 'jobdir\/testing';/);
    const t = await run(join(ROOT, 'node_modules/.bin/tsx'), testArgs('hello.test.ts'), {
      cwd: dir,
      env,
    });
    assert.match(t.stdout, /# pass 2\n# fail 0/);
  });

  test('refuses to overwrite an existing service and refuses a bad name', async () => {
    const dir = join(tempDir(), 'x');
    await jobdir('new-service', 'x', '--dir', dir);
    await assert.rejects(jobdir('new-service', 'x', '--dir', dir), /exists; choose another --dir/);
    await assert.rejects(
      jobdir('new-service', '../Evil', '--dir', join(tempDir(), 'y')),
      /must be 1-40 lower-case letters/,
    );
  });
});
