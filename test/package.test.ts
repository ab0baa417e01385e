/**
 * The npm package: what `npm pack` ships (the built JavaScript, the wrapper, the docs),
 * and jobdir installed as a tool from it, with production dependencies only.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import { basename, dirname, join, normalize } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT, tempDir, waitFor, writeConfig } from './helpers.js';

const run = promisify(execFile);
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT'),
);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
};

/** A service module without a compiler: plain JavaScript. */
const JS_SERVICE = `export default {
  name: 'plain',
  title: 'Plain',
  jobTypes: [{ name: 'run', fields: {}, run: () => ['/bin/true'] }],
};
`;

describe('the npm package', () => {
  test('ships the built bin and every export target, the wrapper, the docs, every file the JavaScript imports, and no tests, bench, CI or job data', async () => {
    const { stdout } = await run(
      'npm',
      ['pack', '--dry-run', '--ignore-scripts', '--json', '--loglevel=error'],
      {
        cwd: ROOT,
      },
    );
    const files = new Set(
      (JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path),
    );
    for (const f of files)
      assert.doesNotMatch(f, /^(test|\.ci|jobs|scripts|\.cache)\//, `${f} is not shipped`);
    for (const f of [
      'package.json',
      'README.md',
      'docs/writing-a-service.md',
      'docs/deploy.md',
      'wrapper/jobdir-wrapper.sh',
      'wrapper/jobdir-launcher.sh',
      'dist/src/cli/main.js',
      'dist/templates/pages.js',
      'src/services/slowdiv/slowdiv.ini',
      'src/services/slowdiv/slow_div',
    ]) {
      assert.ok(files.has(f), `${f} is shipped`);
    }
    assert.equal(pkg.bin.jobdir, 'dist/src/cli/bin.cjs');
    assert.ok(files.has(pkg.bin.jobdir), 'the bin is shipped');
    for (const [name, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue;
      // What Node and TypeScript users resolve: JavaScript and its declarations in dist/.
      assert.match(target.default!, /^\.\/dist\/.*\.js$/, `${name} runs from dist`);
      assert.match(target.types!, /^\.\/dist\/.*\.d\.ts$/, `${name} is typed from dist`);
      for (const t of [target.default!, target.types!])
        assert.ok(files.has(normalize(t)), `${t} (exports ${name}) is shipped`);
    }
    // Every relative import of the shipped JavaScript resolves to a shipped file.
    for (const f of files) {
      if (!/^dist\/.*\.c?js$/.test(f)) continue;
      for (const [, spec] of readFileSync(join(ROOT, f), 'utf8').matchAll(
        /(?:from|import\()\s*['"](\.{1,2}\/[^'"]+)['"]/g,
      )) {
        const to = normalize(join(dirname(f), spec!));
        assert.ok(files.has(to), `${f} imports ${spec}, which is not shipped`);
      }
    }
  });

  test("a checkout's npm install builds dist/ (prepare), and its jobdir command runs", async () => {
    const checkout = join(tempDir('jobdir-checkout-'), 'jobdir');
    const { stdout: tracked } = await run('git', ['ls-files', '-z'], { cwd: ROOT });
    for (const f of tracked.split('\0').filter(Boolean)) {
      const from = join(ROOT, f);
      if (!(await fs.lstat(from).catch(() => null))?.isFile()) continue; // deleted, not committed
      await fs.mkdir(dirname(join(checkout, f)), { recursive: true });
      await fs.copyFile(from, join(checkout, f));
      await fs.chmod(join(checkout, f), (await fs.stat(from)).mode);
    }
    await run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: checkout,
      env,
      maxBuffer: 16 << 20,
    });
    const { stdout } = await run(join(checkout, 'dist/src/cli/bin.cjs'), ['help'], { env });
    assert.match(stdout, /^usage: jobdir <command>/);
    // A production install there (no compiler) keeps the dist/ it has and still runs.
    await run(
      'npm',
      ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
      { cwd: checkout, env, maxBuffer: 16 << 20 },
    );
    assert.equal(existsSync(join(checkout, 'node_modules/.bin/tsc')), false, 'no compiler');
    const after = await run(join(checkout, 'dist/src/cli/bin.cjs'), ['help'], { env });
    assert.match(after.stdout, /^usage: jobdir <command>/);
  });

  test('npx jobdir runs the built command inside the checkout', async () => {
    const { stdout } = await run('npx', ['--offline', 'jobdir', 'help'], { cwd: ROOT, env });
    assert.match(stdout, /^usage: jobdir <command>/);
    assert.match(stdout, /new-service NAME/);
  });

  test('npm install -g of the packed tarball puts jobdir on PATH with production dependencies only; it serves a JavaScript service with no compiler installed, and says what is missing for a TypeScript one', async () => {
    const work = tempDir('jobdir-install-');
    const { stdout } = await run(
      'npm',
      // The dist/ of these sources (test/built.ts checked it) as it is: no second build.
      ['pack', '--ignore-scripts', '--json', '--loglevel=error', '--pack-destination', work],
      { cwd: ROOT, env },
    );
    const tarball = join(work, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
    const prefix = join(work, 'prefix');
    await run(
      'npm',
      [
        'install',
        '-g',
        '--prefix',
        prefix,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        tarball,
      ],
      { env, maxBuffer: 16 << 20 },
    );
    const installed = join(prefix, 'lib/node_modules/jobdir');
    const PATH = `${join(prefix, 'bin')}:${process.env.PATH}`;
    const jobdir = (...args: string[]) => run('jobdir', args, { cwd: work, env: { ...env, PATH } });
    assert.match((await jobdir('help')).stdout, /^usage: jobdir <command>/);
    const deps = await fs.readdir(join(installed, 'node_modules'));
    for (const dev of ['typescript', 'eslint', 'prettier', 'playwright-core'])
      assert.ok(!deps.includes(dev), `${dev} (a dev dependency) is not installed`);
    // No compiler at all: jobdir itself still runs, and serves a service in JavaScript.
    await fs.rm(join(installed, 'node_modules/tsx'), { recursive: true });
    await fs.rm(join(installed, 'node_modules/esbuild'), { recursive: true });
    await fs.writeFile(join(work, 'plain.mjs'), JS_SERVICE);
    const cfg = await writeConfig(work, { general: { service: join(work, 'plain.mjs') } });
    assert.match((await jobdir('check-config', '--config', cfg)).stdout, /OK \(service plain/);
    assert.match((await jobdir('list', '--config', cfg)).stdout, /^No jobs in/);
    // The installed jobdir scaffolds a project that depends on a tarball of itself.
    await jobdir('new-service', 'fromglobal', '--dir', join(work, 'fromglobal'));
    assert.deepEqual(
      JSON.parse(await fs.readFile(join(work, 'fromglobal/package.json'), 'utf8')).dependencies,
      { jobdir: `file:${basename(tarball)}` },
    );
    assert.ok((await fs.stat(join(work, 'fromglobal', basename(tarball)))).size > 0);
    const serve = spawn('jobdir', ['serve', '--port', '0', '--config', cfg], {
      env: { ...env, PATH },
    });
    try {
      let out = '';
      serve.stdout.on('data', (d: Buffer) => void (out += d.toString()));
      const url = await waitFor(() => / is serving on (\S+)/.exec(out)?.[1], 30_000, 'serve');
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
    } finally {
      const gone = new Promise((r) => serve.once('exit', r));
      serve.kill();
      await gone;
    }
    await fs.writeFile(join(work, 'plain.ts'), JS_SERVICE);
    const tsCfg = await writeConfig(join(work, 'prefix'), {
      general: { service: join(work, 'plain.ts') },
    });
    await assert.rejects(
      jobdir('check-config', '--config', tsCfg),
      /\[general\] service cannot load .*plain\.ts: Cannot find package 'tsx'/,
    );
  });
});
