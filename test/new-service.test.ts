/**
 * `jobdir new-service NAME` writes a project that depends on jobdir by name (a tarball of
 * this jobdir beside it), holds no path of this machine, and works where it is copied:
 * npm install, npm test, npm start, and a production install (npm ci --omit=dev).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { idFromRedirect, JOBDIR_BIN, ROOT, submitForm, tempDir, waitFor } from './helpers.js';
import { serveForTest } from './server.js';

const run = promisify(execFile);
// A nested `node --test` talks to its parent runner when it sees NODE_TEST_CONTEXT; these run on their own.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT'),
);
const jobdir = (...args: string[]) =>
  run(process.execPath, [JOBDIR_BIN, ...args], { cwd: tempDir() });
const npm = (cwd: string, ...args: string[]) =>
  run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    env,
    maxBuffer: 16 << 20,
  });
/** jobdir installed in `dir` as npm would (a link to this checkout): for the tests that need no npm install. */
const linkJobdir = async (dir: string) => {
  await fs.mkdir(join(dir, 'node_modules'), { recursive: true });
  await fs.symlink(ROOT, join(dir, 'node_modules/jobdir'));
};
/** `npm start -- --port 0` in `dir` until its form answers; then stopped. Resolves with the form's HTML. */
async function npmStartServes(dir: string): Promise<string> {
  const p = spawn('npm', ['start', '--', '--port', '0'], { cwd: dir, env, detached: true });
  let out = '';
  p.stdout.on('data', (d: Buffer) => void (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => void (out += d.toString()));
  try {
    const url = await waitFor(
      () => {
        if (p.exitCode !== null) throw new Error(`npm start exited ${p.exitCode}: ${out}`);
        return / is serving on (\S+)/.exec(out)?.[1];
      },
      60_000,
      'npm start to serve',
    );
    const res = await fetch(`${url}/`);
    assert.equal(res.status, 200);
    return await res.text();
  } finally {
    // npm runs sh, which runs jobdir: the whole group, as a terminal's ^C would.
    const gone = new Promise((r) => p.once('exit', r));
    if (p.exitCode === null) process.kill(-p.pid!, 'SIGINT');
    await gone;
  }
}

describe('jobdir new-service', () => {
  test('writes module, INI, program, test and a package.json depending on a tarball of this jobdir beside it; no file holds a path of this machine', async () => {
    const dir = join(tempDir(), 'protein-fold');
    const out = await jobdir('new-service', 'protein-fold', '--dir', dir);
    assert.match(out.stdout, /wrote .*protein-fold\.ts/);
    assert.match(out.stdout, /npm install .*\n.*npm test .*\n.*npm start/);
    const { version } = JSON.parse(await fs.readFile(join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    const tarball = `jobdir-${version}.tgz`;
    assert.deepEqual((await fs.readdir(dir)).sort(), [
      tarball,
      'package.json',
      'protein-fold.ini',
      'protein-fold.sh',
      'protein-fold.test.ts',
      'protein-fold.ts',
    ]);
    const pkg = JSON.parse(await fs.readFile(join(dir, 'package.json'), 'utf8')) as {
      type: string;
      scripts: Record<string, string>;
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    assert.equal(pkg.type, 'module');
    assert.deepEqual(pkg.dependencies, { jobdir: `file:${tarball}` });
    assert.ok(pkg.devDependencies.tsx, 'tsx runs its test');
    assert.deepEqual(pkg.scripts, {
      start: 'jobdir serve --config protein-fold.ini',
      test: 'tsx --test protein-fold.test.ts',
    });
    for (const file of [
      'protein-fold.ts',
      'protein-fold.test.ts',
      'protein-fold.ini',
      'protein-fold.sh',
      'package.json',
    ]) {
      const text = await fs.readFile(join(dir, file), 'utf8');
      for (const path of [ROOT.replace(/\/$/, ''), dir, tmpdir(), '/work', '/root', '/home'])
        assert.ok(!text.includes(path), `${file} names ${path}`);
    }
    assert.match(await fs.readFile(join(dir, 'protein-fold.ts'), 'utf8'), /from 'jobdir';/);
    assert.match(
      await fs.readFile(join(dir, 'protein-fold.test.ts'), 'utf8'),
      /from 'jobdir\/testing';/,
    );
    assert.ok(
      ((await fs.stat(join(dir, 'protein-fold.sh'))).mode & 0o111) !== 0,
      'the sample program is executable',
    );
    // The tarball is this jobdir's package: its bin and its built service API.
    const { stdout: listing } = await run('tar', ['tzf', join(dir, tarball)]);
    for (const f of [
      'package/package.json',
      'package/dist/src/cli/bin.cjs',
      'package/dist/src/service/index.js',
    ])
      assert.ok(listing.split('\n').includes(f), `${f} is in the tarball`);
  });

  test('with jobdir installed, the config checks out, its own test passes and it serves its form and runs a job end to end', async () => {
    const dir = join(tempDir(), 'echoer');
    await jobdir('new-service', 'echoer', '--dir', dir);
    await linkJobdir(dir);
    const check = await jobdir('check-config', '--config', join(dir, 'echoer.ini'));
    assert.match(check.stdout, /OK \(service echoer, job types: run\)/);
    const t = await run(
      join(ROOT, 'node_modules/.bin/tsx'),
      ['--test', '--test-reporter=tap', 'echoer.test.ts'],
      { cwd: dir, env },
    );
    assert.match(t.stdout, /# pass 2\n# fail 0/);
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

  test('--jobdir SPEC is the dependency as given, and nothing is packed', async () => {
    const dir = join(tempDir(), 'ranged');
    await jobdir('new-service', 'ranged', '--dir', dir, '--jobdir', '^0.1.0');
    const pkg = JSON.parse(await fs.readFile(join(dir, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    assert.deepEqual(pkg.dependencies, { jobdir: '^0.1.0' });
    assert.ok(!(await fs.readdir(dir)).some((f) => f.endsWith('.tgz')));
  });

  test('refuses to overwrite an existing service and refuses a bad name', async () => {
    const dir = join(tempDir(), 'x');
    await jobdir('new-service', 'x', '--dir', dir, '--jobdir', '^0.1.0');
    await assert.rejects(
      jobdir('new-service', 'x', '--dir', dir, '--jobdir', '^0.1.0'),
      /exists; choose another --dir/,
    );
    // One file of the scaffold already there: nothing is written or packed beside it.
    const mine = join(tempDir(), 'mine');
    await fs.mkdir(mine);
    await fs.writeFile(join(mine, 'mine.sh'), 'my own program\n');
    await assert.rejects(jobdir('new-service', 'mine', '--dir', mine), /mine\.sh exists/);
    assert.deepEqual(await fs.readdir(mine), ['mine.sh']);
    await assert.rejects(
      jobdir('new-service', '../Evil', '--dir', join(tempDir(), 'y')),
      /must be 1-40 lower-case letters/,
    );
  });

  test('copied to another folder (as to another machine): npm install, npm test and npm start work, and so does a production install (npm ci --omit=dev)', async () => {
    const made = join(tempDir(), 'hello');
    await jobdir('new-service', 'hello', '--dir', made);
    const dir = join(tempDir('jobdir-elsewhere-'), 'hello');
    await fs.cp(made, dir, { recursive: true });
    await fs.rm(made, { recursive: true });
    // From the npm cache when it holds the packages (it does once this repo is installed).
    await npm(dir, 'install', '--prefer-offline');
    const { stdout } = await npm(dir, 'test');
    // Node 20 reports TAP to a pipe, Node 24 its spec reporter.
    assert.match(stdout, /[#ℹ] pass 2\n[#ℹ] fail 0/);
    assert.match(await npmStartServes(dir), /<title>Run Hello – Hello<\/title>/);
    await fs.rm(join(dir, 'node_modules'), { recursive: true });
    await npm(dir, 'ci', '--omit=dev', '--prefer-offline');
    assert.match(await npmStartServes(dir), /<title>Run Hello – Hello<\/title>/);
  });
});
