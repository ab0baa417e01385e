import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { WRAPPER } from '../src/runners/index.js';
import { createLauncher } from '../src/runners/launcher.js';
import { encodeArg } from '../src/store/files.js';
import { hasEnded, readMarkers } from '../src/store/run.js';
import { tempDir, waitFor } from './helpers.js';

/** A job dir with `argv`; run the wrapper on it (env added), resolve with its exit code. */
async function runWrapper(
  argv: string[],
  env: Record<string, string> = {},
  onStart?: (pid: number) => void,
) {
  const dir = join(tempDir('jobdir-wrap-'), 'bcdfghjkmnpq');
  await fs.mkdir(dir);
  await fs.writeFile(join(dir, 'argv'), argv.map(encodeArg).join('\n') + '\n');
  const child = spawn('/bin/sh', [WRAPPER, dir, '2'], {
    stdio: 'ignore',
    env: { ...process.env, ...env },
    detached: true,
  });
  onStart?.(child.pid!);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  const read = (n: string) => fs.readFile(join(dir, n), 'utf8').catch(() => null);
  return { dir, code, read };
}

describe('the POSIX sh wrapper', () => {
  test('passes argv as data: spaces, newlines, backslashes, quotes and $(…) arrive verbatim and run nothing', async () => {
    const canary = join(tempDir(), 'pwned');
    const args = [
      'a b',
      'line1\nline2',
      'back\\slash \\n not a newline',
      `$(touch ${canary})`,
      '',
      "it's",
      '-n',
      '*',
      '\\',
      'tab\there',
      'ünï',
    ];
    const { read } = await runWrapper(['printf', '%s\\0', ...args]);
    const out = (await read('stdout.txt'))!;
    assert.deepEqual(out.split('\0').slice(0, -1), args);
    assert.equal(existsSync(canary), false);
    assert.match((await read('SUCCESS'))!, /^exit=0$/m);
  });

  test('markers end with a newline; one still being written (empty, or without its last newline) is not read as a marker', async () => {
    const ok = await runWrapper(['true']);
    const fail = await runWrapper(['false']);
    for (const text of [
      await ok.read('RUNNING'),
      await ok.read('SUCCESS'),
      await fail.read('ERROR'),
    ])
      assert.match(text!, /\n$/);
    assert.deepEqual(
      (await fs.readdir(ok.dir)).sort(),
      ['RUNNING', 'SUCCESS', 'argv', 'stderr.txt', 'stdout.txt'],
      'no temp files left',
    );
    const dir = join(tempDir('jobdir-mark-'), 'bcdfghjkmnpq');
    await fs.mkdir(dir);
    await fs.writeFile(join(dir, 'SUCCESS'), '');
    await fs.writeFile(join(dir, 'RUNNING'), 'pid=1\nhost=h');
    let m = await readMarkers(dir);
    assert.equal(m.success, null, 'an empty SUCCESS is not an end');
    assert.equal(m.running, null, 'a torn RUNNING is not a start');
    assert.equal(hasEnded(m), false);
    await fs.writeFile(join(dir, 'SUCCESS'), 'exit=0\nended=1\n');
    await fs.appendFile(join(dir, 'RUNNING'), '\nattempt=3\n');
    m = await readMarkers(dir);
    assert.ok(m.success, 'the finished SUCCESS is read');
    assert.equal(m.running?.attempt, 3);
  });

  test('RUNNING records pid, host and attempt; the program sees its job dir, id and progress file', async () => {
    const { dir, read } = await runWrapper([
      'sh',
      '-c',
      'echo "$JOBDIR_JOB_DIR|$JOBDIR_JOB_ID|$JOBDIR_PROGRESS"; pwd',
    ]);
    const running = (await read('RUNNING'))!;
    assert.match(running, /^pid=\d+$/m);
    assert.match(running, /^host=.+$/m);
    assert.match(running, /^attempt=2$/m);
    assert.match(running, /^started=\d+(\.\d+)?$/m);
    const [vars, cwd] = (await read('stdout.txt'))!.trim().split('\n');
    assert.equal(vars, `${dir}|bcdfghjkmnpq|${dir}/PROGRESS`);
    assert.equal(cwd, dir);
  });

  test('started= and ended= are the epoch time: boot time handed over by the launcher, else read from /proc/stat', async () => {
    const btime = Number(/^btime (\d+)$/m.exec(await fs.readFile('/proc/stat', 'utf8'))![1]);
    const field = (text: string | null, key: string) =>
      Number(new RegExp(`^${key}=(\\d+(?:\\.\\d+)?)$`, 'm').exec(text ?? '')?.[1]);
    // Each time lies between the clock read before the wrapper started and after it exited,
    // give or take the 1 s of a boot time kept in whole seconds: the epoch, whatever the load.
    const between = (v: number, from: number, to: number, what: string) =>
      assert.ok(
        v >= from / 1000 - 1 && v <= to / 1000 + 1,
        `${what}: ${v} lies in [${from / 1000}, ${to / 1000}] (±1 s)`,
      );
    for (const env of [{}, { JOBDIR_BTIME: '12; touch /tmp/x' }, { JOBDIR_BTIME: '' }] as Record<
      string,
      string
    >[]) {
      const from = Date.now();
      const { read } = await runWrapper(['true'], env);
      const to = Date.now();
      const started = field(await read('RUNNING'), 'started');
      between(started, from, to, `started with ${JSON.stringify(env)}`);
      between(
        field(await read('SUCCESS'), 'ended'),
        started * 1000,
        to,
        `ended with ${JSON.stringify(env)}`,
      );
    }
    // A given boot time is used as it is (here one 1,000 s early), not read again.
    const from = Date.now();
    const early = await runWrapper(['true'], { JOBDIR_BTIME: String(btime - 1000) });
    between(
      field(await early.read('RUNNING'), 'started'),
      from - 1_000_000,
      Date.now() - 1_000_000,
      'started with an early JOBDIR_BTIME',
    );
    // The launcher reads it once and hands it to every wrapper.
    const dir = join(tempDir('jobdir-wrap-'), 'bcdfghjkmnpq');
    await fs.mkdir(dir);
    await fs.writeFile(
      join(dir, 'argv'),
      ['sh', '-c', 'printf %s "$JOBDIR_BTIME"'].map(encodeArg).join('\n') + '\n',
    );
    const launcher = createLauncher(WRAPPER);
    const keep = setInterval(() => {}, 1000); // the launcher's pipes are unref'd
    const launched = Date.now();
    await new Promise<void>((resolve) => launcher.launch(dir, 1, 0, 1, resolve));
    clearInterval(keep);
    launcher.close();
    assert.equal(await fs.readFile(join(dir, 'stdout.txt'), 'utf8'), String(btime));
    between(
      field(await fs.readFile(join(dir, 'RUNNING'), 'utf8'), 'started'),
      launched,
      Date.now(),
      'started under the launcher',
    );
  });

  test('a failing program leaves ERROR with its exit code and its stderr', async () => {
    const { read } = await runWrapper(['sh', '-c', 'echo oops >&2; exit 3']);
    assert.match((await read('ERROR'))!, /^exit=3$/m);
    assert.equal(await read('SUCCESS'), null);
    assert.equal(await read('stderr.txt'), 'oops\n');
  });

  test('a program killed by a signal leaves ERROR naming the signal', async () => {
    const { read } = await runWrapper(['sh', '-c', 'kill -KILL $$']);
    assert.match((await read('ERROR'))!, /^signal=KILL$/m);
  });

  test('a program that is not there leaves ERROR exit=127 with the reason on stderr', async () => {
    const { read } = await runWrapper(['/nonexistent/program']);
    assert.match((await read('ERROR'))!, /^exit=127$/m);
    assert.match((await read('stderr.txt'))!, /not found|No such file/);
  });

  test('the time limit TERMs the program, then KILLs one that ignores TERM, and says so', async () => {
    const polite = await runWrapper(['sleep', '30'], {
      JOBDIR_TIME_LIMIT: '1',
      JOBDIR_KILL_GRACE: '1',
    });
    assert.match((await polite.read('ERROR'))!, /^reason=time_limit$/m);
    const stubborn = await runWrapper(['sh', '-c', 'trap "" TERM; sleep 30 & wait; sleep 30'], {
      JOBDIR_TIME_LIMIT: '1',
      JOBDIR_KILL_GRACE: '1',
    });
    assert.match((await stubborn.read('ERROR'))!, /^reason=time_limit$/m);
  });

  test("TERM to the wrapper's process group (a cancel) stops the program and still leaves ERROR", async () => {
    let pid = 0;
    const run = runWrapper(['sleep', '30'], {}, (p) => (pid = p));
    // Signal once the wrapper catches TERM (its trap is set: bit 15 of SigCgt), not after a guessed pause.
    const catchesTerm = async () =>
      (BigInt(
        `0x${/^SigCgt:\s*([0-9a-f]+)$/m.exec(await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''))?.[1] ?? '0'}`,
      ) >>
        14n) &
      1n;
    await waitFor(
      async () => pid > 0 && (await catchesTerm()) === 1n,
      10_000,
      "the wrapper's TERM trap",
    );
    process.kill(-pid, 'SIGTERM');
    const { read } = await run;
    assert.match((await read('ERROR'))!, /^signal=TERM$/m);
  });
});

describe('the sh launcher', () => {
  test('starts each wrapper in a session of its own and reports every exit', async () => {
    const root = tempDir('jobdir-launch-');
    const launcher = createLauncher(WRAPPER);
    const ended: string[] = [];
    const dirs = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const dir = join(root, `job${i}`);
        await fs.mkdir(dir);
        await fs.writeFile(join(dir, 'argv'), 'sh\n-c\necho "$(ps -o sid= -p $$) $$"\n');
        return dir;
      }),
    );
    for (const d of dirs) launcher.launch(d, 1, 0, 1, () => ended.push(d));
    await waitFor(() => ended.length === 20, 15_000, 'all reports');
    const sessions = new Set<string>();
    for (const d of dirs) {
      assert.match(await fs.readFile(join(d, 'SUCCESS'), 'utf8'), /exit=0/);
      const running = await fs.readFile(join(d, 'RUNNING'), 'utf8');
      const wrapperPid = /pid=(\d+)/.exec(running)![1];
      const [sid] = (await fs.readFile(join(d, 'stdout.txt'), 'utf8')).trim().split(/\s+/);
      assert.equal(sid, wrapperPid, 'the wrapper leads its own session');
      sessions.add(sid!);
    }
    assert.equal(sessions.size, 20);
    assert.notEqual([...sessions][0], String(process.pid));
    launcher.close();
  });

  test('when the launcher dies, the jobs it started carry on and are handed over as lost reports', async () => {
    const root = tempDir('jobdir-launch-');
    const launcher = createLauncher(WRAPPER);
    const lost: string[] = [];
    launcher.onLost((d) => lost.push(...d));
    const dir = join(root, 'job');
    await fs.mkdir(dir);
    await fs.writeFile(join(dir, 'argv'), 'sleep\n1\n');
    launcher.launch(dir, 1, 0, 1, () => assert.fail('the report cannot come from a dead launcher'));
    await waitFor(() => existsSync(join(dir, 'RUNNING')), 5000);
    const sh = (await fs.readFile(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8'))
      .trim()
      .split(/\s+/)
      .map(Number);
    for (const pid of sh) {
      const cmd = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (cmd.includes('jobdir-launcher.sh')) process.kill(pid, 'SIGKILL');
    }
    await waitFor(() => lost.length === 1, 5000, 'lost report');
    assert.deepEqual(lost, [dir]);
    await waitFor(() => existsSync(join(dir, 'SUCCESS')), 10_000, 'the job to finish anyway');
    launcher.close();
  });
});
