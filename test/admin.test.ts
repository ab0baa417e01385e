/**
 * The admin tools through the `jobdir` CLI, as separate processes, while a backend runs in
 * another process (and with none running): resubmit, cancel, fail, delete, list, show,
 * restart-unfinished after a simulated reboot, and unknown ids.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  FIXTURE_SERVICE,
  idsIn,
  inState,
  startSmtp,
  tempDir,
  waitFor,
  writeConfig,
  JOBDIR_BIN,
} from './helpers.js';
import { countEvents, createOkJobs, kill9, startBackend, storeOf } from './backend-process.js';
import { createJob, type Store } from '../src/store/index.js';
import { scanWrappers } from '../src/runners/index.js';
import { readRuns, runsById } from './runs.js';
import { loadConfig } from '../src/config/index.js';
import { cancelJob } from '../src/ops/admin.js';
import { silentLog } from '../src/log.js';
import { loadService } from '../src/service/load.js';

/** Run the CLI; returns exit code and output. */
function jobdir(
  cfg: string,
  ...args: string[]
): Promise<{ code: number; out: string; err: string }> {
  return jobdirWith({}, cfg, ...args);
}

/** Run the CLI with more environment (a pausepoint, say). */
function jobdirWith(
  env: Record<string, string>,
  cfg: string,
  ...args: string[]
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [JOBDIR_BIN, ...args, '--config', cfg], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => void (err += d.toString()));
    p.once('exit', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

async function newJob(
  store: Store,
  type: string,
  inputs: Record<string, string> = {},
): Promise<string> {
  return (await createJob(store, { service: 'fixtures', type, email: 'u@example.test', inputs }))
    .id;
}

async function root(extra: Record<string, Record<string, string | number>> = {}) {
  const dir = tempDir('jobdir-admin-');
  const cfg = await writeConfig(dir, {
    general: { service: FIXTURE_SERVICE },
    backend: { kill_grace: '1s' },
    ...extra,
  });
  return { dir, cfg, store: await storeOf(cfg), stateFile: join(dir, 'jobs/backend.state') };
}

describe('admin tools from a separate process while the backend runs', () => {
  test('resubmit moves a failed job back and the running backend runs it at once; the old failure stays in its history', async () => {
    const { dir, cfg, store, stateFile } = await root();
    const b = await startBackend(cfg);
    try {
      const id = await newJob(store, 'exit1');
      await waitFor(inState(dir, 'failed', id), 20_000, 'job failed');
      const r = await jobdir(cfg, 'resubmit', id);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`${id}: queued again; the backend \\(pid \\d+\\)`));
      await waitFor(
        async () =>
          (await idsIn(dir, 'failed')).includes(id) &&
          (await countEvents(join(dir, 'jobs/failed', id), 'failed')) === 2,
        20_000,
        'failed again',
      );
      const show = await jobdir(cfg, 'show', id);
      assert.match(
        show.out,
        /history\n\s+\S+ resubmitted by the administrator; before: failed at \S+ after 1 attempt\(s\) \(program\)/,
      );
      assert.match(show.out, /1 before resubmits/);
      const listed = await jobdir(cfg, 'list');
      assert.match(listed.out, new RegExp(`${id}\\s+failed\\s+exit1\\s+u@example.test`));
      const again = await jobdir(cfg, 'resubmit', 'bcdfghjkmnpqrs', id);
      assert.equal(again.code, 1);
      assert.match(again.err, /resubmit bcdfghjkmnpqrs: No job with id "bcdfghjkmnpqrs" was found/);
    } finally {
      await kill9(b, stateFile);
    }
  });

  test('cancel stops a running program (its process group is gone) and a queued job; both end failed as cancelled', async () => {
    const { dir, cfg, store, stateFile } = await root({ limits: { running: 1 } });
    const b = await startBackend(cfg);
    try {
      const running = await newJob(store, 'hang');
      const queued = await newJob(store, 'sleep', { seconds: '1' });
      await waitFor(async () => (await scanWrappers()).has(running), 20_000, 'wrapper running');
      const r = await jobdir(cfg, 'cancel', queued, running);
      assert.equal(r.code, 0, r.err);
      assert.match(
        r.out,
        new RegExp(`${queued}: Job ${queued} was queued and is now cancelled \\(failed\\)`),
      );
      await waitFor(inState(dir, 'failed', running), 20_000, 'running job ended');
      assert.equal((await scanWrappers()).has(running), false);
      const cfgText = await fs.readFile(join(dir, 'jobs/failed', running, 'config.ini'), 'utf8');
      assert.match(cfgText, /failure_kind = cancelled/);
      assert.match(cfgText, /cancelled \(by the administrator\)/);
      const twice = await jobdir(cfg, 'cancel', running);
      assert.equal(twice.code, 1);
      assert.match(twice.err, /has already ended \(failed\)/);
    } finally {
      await kill9(b, stateFile);
    }
  });

  test('cancel of a queued job that the backend takes on meanwhile: the backend honours the CANCEL, the job ends cancelled without running, and cancel says so (no conflict)', async () => {
    const { dir, cfg, store, stateFile } = await root({ limits: { running: 1 } });
    const gate = tempDir('jobdir-admin-gate-');
    const runLog = join(gate, 'runs.log');
    const b = await startBackend(cfg);
    try {
      const first = await newJob(store, 'count', { log: runLog, seconds: '0', gate });
      await waitFor(() => existsSync(join(gate, `${first}.started`)), 20_000, 'first running');
      const queued = await newJob(store, 'count', { log: runLog, seconds: '0' });
      // The CLI writes CANCEL into the queued job, then waits 3 s before its own rename; meanwhile
      // the slot frees and the backend admits the job, sees CANCEL and ends it.
      const cancelling = jobdirWith(
        { JOBDIR_PAUSE: 'move:incoming>finalizing:before:3000' },
        cfg,
        'cancel',
        queued,
      );
      await waitFor(
        () => existsSync(join(dir, 'jobs/incoming', queued, 'CANCEL')),
        20_000,
        'the cancel request written',
      );
      await fs.writeFile(join(gate, first), '');
      await waitFor(inState(dir, 'failed', queued), 20_000, 'queued job ended');
      const r = await cancelling;
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`${queued}: Job ${queued} was cancelled \\(failed\\)`));
      const cfgText = await fs.readFile(join(dir, 'jobs/failed', queued, 'config.ini'), 'utf8');
      assert.match(cfgText, /failure_kind = cancelled/);
      assert.equal(runsById(readRuns(runLog)).get(queued), undefined, 'its program never ran');
      assert.equal(runsById(readRuns(runLog)).get(first)?.length, 1);
    } finally {
      await kill9(b, stateFile);
    }
  });

  test('cancel while the backend starts the wrapper (no pid yet to signal): the wrapper sees CANCEL and never starts the program', async () => {
    const { dir, cfg, store, stateFile } = await root();
    const runLog = join(tempDir('jobdir-admin-runs-'), 'runs.log');
    // The backend holds 3 s between its last look for CANCEL and starting the wrapper.
    const b = await startBackend(cfg, { JOBDIR_PAUSE: 'run:starting:3000' });
    try {
      const id = await newJob(store, 'count', { log: runLog, seconds: '0' });
      await waitFor(
        () => existsSync(join(dir, 'jobs/running', id, 'argv')),
        20_000,
        'the run prepared',
      );
      // The same cancel as the CLI's, made in this process: well inside the backend's 3 s hold.
      const config = loadConfig(cfg);
      const env = { cfg: config, service: await loadService(config), store, log: silentLog };
      const r = await cancelJob(env, id, 'the test', { wait: false });
      assert.equal(r.state, 'running', r.message);
      await waitFor(inState(dir, 'failed', id), 20_000, 'the job ended');
      const cfgText = await fs.readFile(join(dir, 'jobs/failed', id, 'config.ini'), 'utf8');
      assert.match(cfgText, /failure_kind = cancelled/);
      assert.equal(runsById(readRuns(runLog)).get(id), undefined, 'its program never started');
    } finally {
      await kill9(b, stateFile);
    }
  });

  test('fail forces FAILED and mails the admin; fail -n does not; delete -f removes a running job and its index links', async () => {
    const smtp = await startSmtp();
    const { dir, cfg, store, stateFile } = await root({
      email: { host: '127.0.0.1', port: smtp.port },
    });
    const b = await startBackend(cfg);
    try {
      const [loud, quiet, doomed] = [
        await newJob(store, 'hang'),
        await newJob(store, 'hang'),
        await newJob(store, 'hang'),
      ];
      await waitFor(
        async () => {
          const w = await scanWrappers();
          return w.has(loud) && w.has(quiet) && w.has(doomed);
        },
        20_000,
        'wrappers running',
      );
      assert.equal((await jobdir(cfg, 'fail', loud)).code, 0);
      assert.equal((await jobdir(cfg, 'fail', quiet, '-n')).code, 0);
      await waitFor(
        async () =>
          (await idsIn(dir, 'failed')).includes(loud) &&
          (await idsIn(dir, 'failed')).includes(quiet),
        20_000,
      );
      await waitFor(
        () =>
          smtp.messages.some(
            (m) =>
              m.subject?.includes(loud) &&
              (m.to && 'text' in m.to ? m.to.text : '') === 'admin@example.test',
          ),
        20_000,
        'admin mail',
      );
      const del = await jobdir(cfg, 'delete', doomed);
      assert.equal(del.code, 2, 'refuses to ask without a terminal');
      assert.match(del.err, /add -f/);
      const forced = await jobdir(cfg, 'delete', '-f', doomed);
      assert.equal(forced.code, 0, forced.err);
      for (const s of ['running', 'failed', 'incoming'])
        assert.equal((await idsIn(dir, s)).includes(doomed), false);
      await assert.rejects(fs.lstat(join(dir, 'jobs/by-id', doomed)));
      await assert.rejects(fs.lstat(join(dir, 'jobs/users/u@example.test', doomed)));
      assert.equal((await scanWrappers()).has(doomed), false);
      // Only the loud one told the admin (the quiet one's mail would have arrived by now with the user's).
      await waitFor(
        () => smtp.messages.filter((m) => m.subject?.includes(quiet)).length >= 1,
        20_000,
        'user mail of the quiet job',
      );
      assert.equal(
        smtp.messages.filter(
          (m) =>
            m.subject?.includes(quiet) &&
            (m.to && 'text' in m.to ? m.to.text : '') === 'admin@example.test',
        ).length,
        0,
      );
    } finally {
      await kill9(b, stateFile);
      await smtp.close();
    }
  });
});

describe('after a simulated reboot', () => {
  test('restart-unfinished requeues every job whose wrapper died, finishes those that ended, leaves nothing running twice, and is safe to run twice', async () => {
    const { dir, cfg, store, stateFile } = await root({ limits: { running: 3 } });
    const b = await startBackend(cfg);
    // The sleepers hold their runs open at count.sh's gate until the reboot; their reruns
    // pass it at once (it is opened before the backend starts again).
    const gate = tempDir('jobdir-admin-gate-');
    const runLog = join(gate, 'runs.log');
    const held = { log: runLog, seconds: '0', gate };
    const sleepers = [await newJob(store, 'count', held), await newJob(store, 'count', held)];
    const quick = await newJob(store, 'sleep', { seconds: '0.5' });
    const queued = await createOkJobs(store, 5, 'rb');
    await waitFor(
      async () => {
        const w = await scanWrappers();
        return (
          sleepers.every((id) => w.has(id)) &&
          sleepers.every((id) => existsSync(join(gate, `${id}.started`)))
        );
      },
      20_000,
      'sleepers running',
    );
    // The reboot: backend, wrappers and programs all die at once (kill -9 of each wrapper's process group).
    await kill9(b, stateFile);
    for (const [id, pid] of await scanWrappers())
      if (sleepers.includes(id) || id === quick) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch (err) {
          // The quick job may end between the scan and the kill.
          if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
        }
      }
    await waitFor(async () => {
      const w = await scanWrappers();
      return sleepers.every((id) => !w.has(id));
    }, 10_000);
    // Wrappers write markers in place: one killed mid-write leaves an empty or torn one, which is no marker.
    await fs.writeFile(join(dir, 'jobs/running', sleepers[0]!, 'SUCCESS'), '');
    await fs.writeFile(join(dir, 'jobs/running', sleepers[1]!, 'SUCCESS'), 'exit=0');
    const first = await jobdir(cfg, 'restart-unfinished');
    assert.equal(first.code, 0, first.err);
    for (const id of sleepers)
      assert.match(first.out, new RegExp(`${id}: queued again \\(was running`));
    assert.match(first.out, /Queued jobs run when the backend starts/);
    const second = await jobdir(cfg, 'restart-unfinished');
    assert.equal(second.code, 0);
    assert.doesNotMatch(second.out, /queued again/);
    assert.deepEqual(await idsIn(dir, 'running'), []);
    // The backend starts and every job completes, the sleepers' reruns passing the open gate.
    for (const id of sleepers) await fs.writeFile(join(gate, id), '');
    const b2 = await startBackend(cfg);
    try {
      const all = [...sleepers, quick, ...queued.keys()];
      await waitFor(
        async () => {
          const done = await idsIn(dir, 'completed');
          return all.every((id) => done.includes(id));
        },
        90_000,
        'all completed',
      );
      for (const id of sleepers) {
        assert.match(
          await fs.readFile(join(dir, 'jobs/completed', id, 'config.ini'), 'utf8'),
          /attempts = 2/,
        );
        // The killed run and its rerun: two starts, one end (the rerun's).
        const runs = runsById(readRuns(runLog)).get(id) ?? [];
        assert.equal(runs.length, 2, `${id} ran twice: killed, then again`);
      }
      // restart-unfinished with a live backend asks it to rescan instead of acting itself.
      const live = await jobdir(cfg, 'restart-unfinished');
      assert.match(live.out, /The backend is running \(pid \d+\)/);
    } finally {
      await kill9(b2, stateFile);
    }
  });

  test('restart-unfinished never touches a job whose wrapper is still alive', async () => {
    const { dir, cfg, store, stateFile } = await root();
    // The program holds its run open until the test opens its gate: "still running" is a fact, not a race.
    const outside = tempDir('jobdir-admin-runs-');
    const runLog = join(outside, 'runs.log');
    const id = await newJob(store, 'count', { log: runLog, seconds: '0', gate: outside });
    const b = await startBackend(cfg);
    await waitFor(() => existsSync(join(outside, `${id}.started`)), 30_000);
    await kill9(b, stateFile);
    const r = await jobdir(cfg, 'restart-unfinished');
    assert.match(r.out, new RegExp(`${id}: still running`));
    assert.deepEqual(await idsIn(dir, 'running'), [id]);
    await fs.writeFile(join(outside, id), '');
    const b2 = await startBackend(cfg);
    try {
      await waitFor(inState(dir, 'completed', id), 30_000);
      assert.equal(runsById(readRuns(runLog)).get(id)?.length, 1, 'the program ran once');
    } finally {
      await kill9(b2, stateFile);
    }
  });
});

test('jobdir with an unknown command or a missing id says so and exits non-zero', () => {
  const r = spawnSync(process.execPath, [JOBDIR_BIN, 'show'], {
    encoding: 'utf8',
  });
  assert.notEqual(r.status, 0);
});
