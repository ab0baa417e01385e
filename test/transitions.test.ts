/**
 * The state machine's table (src/store/transitions.ts): undeclared moves and moves whose
 * requirement fails are refused with a TransitionError; and every declared transition has
 * a test that kills -9 the process making it right after its rename, then checks on the
 * run log (test/fixtures/count.sh) that the job still ended once, having run as often as
 * its path says.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ALL_STATES, STATES, type State } from '../src/states.js';
import {
  createJob,
  findJob,
  moveJob,
  type Store,
  TRANSITIONS,
  updateJobConfig,
} from '../src/store/index.js';
import {
  type BackendProcess,
  diesAt,
  startBackend,
  storeOf,
  urlOf,
  waitUnlocked,
} from './backend-process.js';
import { FIXTURE_SERVICE, tempDir, waitFor, writeConfig, JOBDIR_BIN } from './helpers.js';
import type { Next, Step } from '../src/lifecycle/driver.js';
import { readRuns, runsById } from './runs.js';

/** A data root on the full path (every state visited): the rows of the full path are killed there. */
async function setup(extra: Record<string, Record<string, string | number>> = {}) {
  const root = tempDir('jobdir-tr-');
  const runLog = join(tempDir('jobdir-trlog-'), 'runs.log');
  const cfg = await writeConfig(root, {
    general: { service: FIXTURE_SERVICE },
    limits: { running: 1 },
    backend: { visit_all_states: 'true' },
    ...extra,
  });
  return {
    root,
    runLog,
    cfg,
    stateFile: join(root, 'jobs/backend.state'),
    store: await storeOf(cfg),
  };
}

type Env = Awaited<ReturnType<typeof setup>>;

async function job(env: Env, type = 'count', inputs: Record<string, string> = {}): Promise<string> {
  return (
    await createJob(env.store, {
      service: 'fixtures',
      type,
      email: '',
      inputs: { log: env.runLog, seconds: '0.2', ...inputs },
    })
  ).id;
}

async function stateOf(store: Store, id: string): Promise<State | null> {
  return (await findJob(store, id))?.state ?? null;
}

/** Run `jobdir ARGS…` as a CLI process; resolves with its exit code or signal. */
function cli(
  cfg: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<number | string> {
  const p = spawn(process.execPath, [JOBDIR_BIN, ...args, '--config', cfg], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  return new Promise((r) => p.once('exit', (code, sig) => r(sig ?? code ?? -1)));
}

/** A backend armed to die right after `verb`'s rename; resolves once it has died there. */
async function dieAt(
  env: Env,
  point: string,
  during?: (b: BackendProcess) => Promise<void>,
): Promise<void> {
  const b = await startBackend(env.cfg, { JOBDIR_FAILPOINT: point });
  await during?.(b);
  assert.equal(
    await b.exited,
    'SIGKILL',
    `the backend died at ${point}; it said:\n${b.output().slice(-2000)}`,
  );
  await waitUnlocked(env.stateFile);
}

/** With a healthy backend, wait until `id` rests in `final`; it is nowhere else, and its program ran `runs` times. */
async function endsOnce(env: Env, id: string, final: State, runs: number): Promise<void> {
  const b = await startBackend(env.cfg);
  try {
    await waitFor(
      async () => (await stateOf(env.store, id)) === final,
      60_000,
      `job ${id} ${final}`,
    );
    const where = [];
    for (const s of ALL_STATES)
      if (await fs.stat(join(env.root, 'jobs', s, id)).catch(() => null)) where.push(s);
    assert.deepEqual(where, [final], `job ${id} is in ${final} only`);
    const got = runsById(readRuns(env.runLog)).get(id) ?? [];
    assert.equal(got.length, runs, `job ${id}'s program ran ${runs} time(s)`);
  } finally {
    b.proc.kill('SIGTERM');
    await b.exited;
  }
}

/** The same config with [oldjobs] archive = 0h: a sweep archives every ended job. */
async function archiveNow(env: Env): Promise<string> {
  const file = join(env.root, 'sweep.ini');
  await fs.writeFile(file, `${await fs.readFile(env.cfg, 'utf8')}\n[oldjobs]\narchive = 0h\n`);
  return file;
}

const renamed = (from: State, to: State) => `move:${from}>${to}:renamed`;

/** The same data root on the short path (the default): a type without hooks goes incoming → running → completed. */
async function shortPath(env: Env): Promise<Env> {
  await writeConfig(env.root, {
    general: { service: FIXTURE_SERVICE },
    limits: { running: 1 },
    backend: { visit_all_states: 'false' },
  });
  return env;
}

/** A job of `type` on the short path, the backend killed at `point`; then it ends once in `final`, having run `runs` times. */
async function shortOnce(
  env: Env,
  point: string,
  final: State,
  inputs: Record<string, string> = {},
): Promise<void> {
  await shortPath(env);
  const id = await job(env, 'count', inputs);
  // Bounded, so that a job that does not take the short path fails here instead of hanging.
  await diesAt(await startBackend(env.cfg, { JOBDIR_FAILPOINT: point }), point);
  await waitUnlocked(env.stateFile);
  await endsOnce(env, id, final, 1);
}

/** One scenario per transition: drive a job through it with the mover armed, then check how it ended. */
const SCENARIOS: Record<string, (env: Env, point: string) => Promise<void>> = {
  admit: async (env, p) =>
    endsOnce(
      env,
      await job(env).then(async (id) => (await dieAt(env, p), id)),
      STATES.COMPLETED,
      1,
    ),
  startRun: async (env, p) =>
    endsOnce(
      env,
      await job(env).then(async (id) => (await dieAt(env, p), id)),
      STATES.COMPLETED,
      1,
    ),
  endRun: async (env, p) =>
    endsOnce(
      env,
      await job(env).then(async (id) => (await dieAt(env, p), id)),
      STATES.COMPLETED,
      1,
    ),
  finishRun: async (env, p) =>
    endsOnce(
      env,
      await job(env).then(async (id) => (await dieAt(env, p), id)),
      STATES.COMPLETED,
      1,
    ),
  complete: async (env, p) =>
    endsOnce(
      env,
      await job(env).then(async (id) => (await dieAt(env, p), id)),
      STATES.COMPLETED,
      1,
    ),
  fail: async (env, p) =>
    endsOnce(
      env,
      await job(env, 'count', { exit: '3' }).then(async (id) => (await dieAt(env, p), id)),
      STATES.FAILED,
      1,
    ),
  skipRun: async (env, p) =>
    endsOnce(
      env,
      await job(env, 'count_skip').then(async (id) => (await dieAt(env, p), id)),
      STATES.COMPLETED,
      0,
    ),
  failStart: async (env, p) =>
    endsOnce(
      env,
      await job(env, 'count_throws').then(async (id) => (await dieAt(env, p), id)),
      STATES.FAILED,
      0,
    ),
  // A cluster submission that the cluster refuses (or no cluster at all): the runner's start throws.
  failRunning: async (env, p) =>
    endsOnce(
      env,
      await job(env, 'count_slurm').then(async (id) => (await dieAt(env, p), id)),
      STATES.FAILED,
      0,
    ),
  // Postprocess asks for one more run: two runs, by design.
  rerun: async (env, p) =>
    endsOnce(
      env,
      await job(env, 'count_rerun').then(async (id) => (await dieAt(env, p), id)),
      STATES.COMPLETED,
      2,
    ),
  unprepare: async (env, p) => {
    const id = await job(env);
    await dieAt(env, renamed(STATES.INCOMING, STATES.PREPROCESSING));
    await dieAt(env, p);
    await endsOnce(env, id, STATES.COMPLETED, 1);
  },
  // Its wrapper and program are killed (the documented reason for a second run): requeued, run again.
  requeueLost: async (env, p) => {
    const id = await job(env, 'count', { seconds: '2' });
    await dieAt(env, p, async () => {
      await waitFor(() => readRuns(env.runLog).length === 1, 30_000, 'the program started');
      const pid = Number(
        (
          await waitFor(
            () =>
              fs.readFile(join(env.root, 'jobs/running', id, 'RUNNING'), 'utf8').catch(() => ''),
            10_000,
            'RUNNING',
          )
        ).match(/pid=(\d+)/)![1],
      );
      process.kill(-pid, 'SIGKILL');
    });
    await endsOnce(env, id, STATES.COMPLETED, 2);
  },
  cancelQueued: async (env, p) => {
    const busy = await job(env, 'count', { seconds: '3' });
    const id = await job(env);
    await dieAt(env, p, async (b) => {
      await waitFor(() => readRuns(env.runLog).length === 1, 30_000, 'the first job running');
      await fetch(`${urlOf(b)}/api/jobs/${id}/cancel`, { method: 'POST' }).catch(() => null);
    });
    await endsOnce(env, id, STATES.FAILED, 0);
    await endsOnce(env, busy, STATES.COMPLETED, 1);
  },
  failCompleted: async (env, p) => {
    const id = await job(env);
    await endsOnce(env, id, STATES.COMPLETED, 1);
    assert.equal(await cli(env.cfg, ['fail', '-n', id], { JOBDIR_FAILPOINT: p }), 'SIGKILL');
    await endsOnce(env, id, STATES.FAILED, 1);
  },
  // Resubmitted by the administrator: two runs, by design.
  resubmit: async (env, p) => {
    const id = await job(env, 'count', { exit: '3' });
    await endsOnce(env, id, STATES.FAILED, 1);
    assert.equal(await cli(env.cfg, ['resubmit', id], { JOBDIR_FAILPOINT: p }), 'SIGKILL');
    await endsOnce(env, id, STATES.FAILED, 2);
  },
  // The short path of a type without hooks (the moves it skips are not made).
  startDirect: (env, p) => shortOnce(env, p, STATES.COMPLETED),
  completeDirect: (env, p) => shortOnce(env, p, STATES.COMPLETED),
  failDirect: (env, p) => shortOnce(env, p, STATES.FAILED, { exit: '3' }),
  archiveCompleted: async (env, p) => {
    const id = await job(env);
    await endsOnce(env, id, STATES.COMPLETED, 1);
    const sweep = await archiveNow(env);
    assert.equal(await cli(sweep, ['sweep'], { JOBDIR_FAILPOINT: p }), 'SIGKILL');
    assert.equal(await cli(sweep, ['sweep']), 0);
    assert.equal(await stateOf(env.store, id), STATES.ARCHIVED);
  },
  archiveFailed: async (env, p) => {
    const id = await job(env, 'count', { exit: '3' });
    await endsOnce(env, id, STATES.FAILED, 1);
    const sweep = await archiveNow(env);
    assert.equal(await cli(sweep, ['sweep'], { JOBDIR_FAILPOINT: p }), 'SIGKILL');
    assert.equal(await cli(sweep, ['sweep']), 0);
    assert.equal(await stateOf(env.store, id), STATES.ARCHIVED);
  },
};

/**
 * Never called: tsc (npm test type-checks test/) fails when a step may name a move the
 * table does not declare, or when a declared one stops compiling.
 */
export function _stepsCheckedByTsc(): void {
  // @ts-expect-error completed → running is not declared
  const _a: Step<typeof STATES.COMPLETED> = async () => ({ to: STATES.RUNNING });
  // @ts-expect-error preprocessing → completed is not declared (only running → completed, over postprocessing and finalizing)
  const _b: Next<typeof STATES.PREPROCESSING> = { to: STATES.COMPLETED };
  // @ts-expect-error archived → incoming is not declared (an archived job is never resubmitted)
  const _c: Next<typeof STATES.ARCHIVED> = { to: STATES.INCOMING };
  // Declared: they compile.
  const _d: Next<typeof STATES.PREPROCESSING> = { to: STATES.RUNNING };
  const _e: Step<typeof STATES.RUNNING> = async () => ({ to: STATES.COMPLETED });
  const _f: Next<typeof STATES.FAILED> = { to: STATES.INCOMING };
}

describe('the transition table', () => {
  test('a move the table does not declare is refused with a TransitionError, and nothing moves', async () => {
    const env = await setup();
    const id = await job(env);
    const declared = new Set(TRANSITIONS.map((x) => `${x.from}>${x.to}`));
    for (const to of ALL_STATES) {
      if (declared.has(`incoming>${to}`) || to === STATES.INCOMING) continue;
      await assert.rejects(
        moveJob(env.store, id, STATES.INCOMING, to),
        (e: Error) => e.name === 'TransitionError' && e.message.includes(`from incoming to ${to}`),
      );
    }
    assert.equal(await stateOf(env.store, id), STATES.INCOMING);
  });

  test('a move whose requirement fails on disk is refused: no requeue over a result, no end without one, no final move without an outcome', async () => {
    const env = await setup();
    const id = await job(env);
    await moveJob(env.store, id, STATES.INCOMING, STATES.PREPROCESSING);
    const ref = await moveJob(env.store, id, STATES.PREPROCESSING, STATES.RUNNING);
    await assert.rejects(
      moveJob(env.store, id, STATES.RUNNING, STATES.POSTPROCESSING),
      /cannot endRun .*"run-over"/,
    );
    await fs.writeFile(join(ref.dir, 'SUCCESS'), 'exit=0\n');
    await assert.rejects(
      moveJob(env.store, id, STATES.RUNNING, STATES.INCOMING),
      /cannot requeueLost .*"no-result"/,
    );
    const post = await moveJob(env.store, id, STATES.RUNNING, STATES.POSTPROCESSING);
    const fin = await moveJob(env.store, id, post.state, STATES.FINALIZING);
    await assert.rejects(
      moveJob(env.store, id, STATES.FINALIZING, STATES.COMPLETED),
      /cannot complete .*"outcome"/,
    );
    await updateJobConfig(fin, (c) => void (c.result = { state: STATES.COMPLETED }));
    await assert.rejects(
      moveJob(env.store, id, STATES.FINALIZING, STATES.FAILED),
      /cannot fail .*"outcome"/,
    );
    assert.equal(
      (await moveJob(env.store, id, STATES.FINALIZING, STATES.COMPLETED)).state,
      STATES.COMPLETED,
    );
  });

  test('every declared transition has a kill test below', () => {
    assert.deepEqual(
      TRANSITIONS.map((x) => x.verb).filter((v) => !SCENARIOS[v]),
      [],
    );
  });
});

describe("a kill -9 right after each transition's rename: the job ends once, having run as its path says", () => {
  for (const x of TRANSITIONS) {
    test(`${x.verb} (${x.from} → ${x.to})`, async () => {
      const env = await setup();
      await SCENARIOS[x.verb]!(env, renamed(x.from, x.to));
    });
  }
});
