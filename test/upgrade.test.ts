/**
 * Upgrading jobdir while jobs run (docs/deploy.md): the package is replaced under a running
 * job, in place and at another path, and the job runs on with the wrapper it started with,
 * once. jobdir here is an installed copy of the package (the files `npm pack` ships), as
 * under /usr/lib/node_modules; the test edits that copy, never the checkout.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createJob, findJob } from '../src/store/index.js';
import { countEvents, startBackend, storeOf, waitUnlocked } from './backend-process.js';
import { FIXTURE_SERVICE, ROOT, tempDir, waitFor, writeConfig } from './helpers.js';
import { readRuns, runsById } from './runs.js';

const run = promisify(execFile);
const BIN = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
  }
).bin.jobdir!;

/** The package as installed at `dest`: the files it ships, and its dependencies. */
async function installCopy(dest: string): Promise<string> {
  const { stdout } = await run(
    'npm',
    ['pack', '--dry-run', '--ignore-scripts', '--json', '--loglevel=error'],
    {
      cwd: ROOT,
    },
  );
  for (const { path } of (JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files) {
    await fs.mkdir(dirname(join(dest, path)), { recursive: true });
    await fs.copyFile(join(ROOT, path), join(dest, path));
    await fs.chmod(join(dest, path), (await fs.stat(join(ROOT, path))).mode);
  }
  await fs.symlink(join(ROOT, 'node_modules'), join(dest, 'node_modules'));
  return join(dest, BIN);
}

/** The script a wrapper process runs: the argument of its command line that names a wrapper file. */
async function scriptOf(pid: number): Promise<string> {
  const args = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
  const script = args.find((a) => /jobdir-wrapper[^/]*\.sh$/.test(a));
  assert.ok(script, `pid ${pid} runs a wrapper: ${args.join(' ')}`);
  return script;
}

describe('upgrading jobdir while jobs run', () => {
  test('a running job keeps its wrapper when the package is replaced in place and moved: its script is unchanged, it is not run again, and new jobs run the new wrapper', async () => {
    const work = tempDir('jobdir-upgrade-');
    const v1 = await installCopy(join(work, 'v1'));
    const cfg = await writeConfig(join(work), { general: { service: FIXTURE_SERVICE } });
    const store = await storeOf(cfg);
    const gate = join(work, 'gate');
    await fs.mkdir(gate);
    const runLog = join(work, 'runs.log');
    const old = await createJob(store, {
      service: 'fixtures',
      type: 'count',
      email: '',
      inputs: { log: runLog, seconds: '0', gate },
    });
    const b1 = await startBackend(cfg, {}, { bin: v1 });
    await waitFor(() => existsSync(join(gate, `${old.id}.started`)), 30_000, 'the job to run');
    const running = await findJob(store, old.id);
    const pid = Number(
      /^pid=(\d+)$/m.exec(await fs.readFile(join(running!.dir, 'RUNNING'), 'utf8'))![1],
    );
    const script = await scriptOf(pid);
    const before = await fs.readFile(script, 'utf8');
    b1.proc.kill('SIGTERM');
    await b1.exited;
    await waitUnlocked(join(work, 'jobs/backend.state'));

    // The upgrade: the package's wrapper rewritten in place (same file, new content; the
    // new one leaves a file in each job it runs), and the new version installed elsewhere.
    const wrapper = join(work, 'v1/wrapper/jobdir-wrapper.sh');
    const upgraded = (await fs.readFile(wrapper, 'utf8')).replace(
      'cd "$1" || exit 111\n',
      'cd "$1" || exit 111\n: >upgraded-wrapper\n',
    );
    assert.notEqual(upgraded, before, 'the new wrapper differs');
    await fs.writeFile(wrapper, upgraded);
    const v2 = await installCopy(join(work, 'v2'));
    await fs.writeFile(join(work, 'v2/wrapper/jobdir-wrapper.sh'), upgraded);

    assert.equal(
      await fs.readFile(script, 'utf8'),
      before,
      "the running job's script is unchanged",
    );
    const b2 = await startBackend(cfg, {}, { bin: v2 });
    try {
      // Its start judged the running job (a reconcile, awaited before it serves): alive.
      assert.equal(await countEvents(running!.dir, 'lost'), 0, 'not judged lost');
      assert.equal((await findJob(store, old.id))?.state, 'running');
      await fs.writeFile(join(gate, old.id), '');
      await waitFor(
        async () => (await findJob(store, old.id))?.state === 'completed',
        30_000,
        'the old job to complete',
      );
      const done = (await findJob(store, old.id))!;
      assert.ok(
        !existsSync(join(done.dir, 'upgraded-wrapper')),
        'it ran the wrapper it started with',
      );
      assert.equal(runsById(readRuns(runLog)).get(old.id)?.length, 1, 'it ran once');

      const next = await createJob(store, {
        service: 'fixtures',
        type: 'ok',
        email: '',
        inputs: { text: 'new' },
      });
      await waitFor(
        async () => (await findJob(store, next.id))?.state === 'completed',
        30_000,
        'a new job to complete',
      );
      assert.ok(
        existsSync(join((await findJob(store, next.id))!.dir, 'upgraded-wrapper')),
        'a new job runs the new wrapper',
      );
    } finally {
      b2.proc.kill('SIGTERM');
      await b2.exited;
    }
  });
});
