/**
 * Exactly once, proven on what really ran: every job's program (test/fixtures/count.sh)
 * appends a line when it starts and when it ends to a run log outside the data root, and
 * the assertions are on that log: each accepted job's program ran once, two runs of one
 * job never overlapped, and no more programs ran at once than [limits] running allows —
 * with the backend (a real `jobdir serve` process) rescanning every 0.3 s, killed -9 at
 * random moments, alone or with its whole process group (the launcher sh included).
 */
import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ACTIVE_STATES, ALL_STATES } from '../src/states.js';
import { createJob, getJob, type Store } from '../src/store/index.js';
import {
  kill9,
  startBackend,
  storeOf,
  urlOf,
  waitUnlocked,
  type BackendProcess,
} from './backend-process.js';
import { FIXTURE_SERVICE, idsIn, tempDir, waitFor, writeConfig } from './helpers.js';
import { placeJob } from './place.js';
import { maxConcurrent, overlaps, readRuns, runsById } from './runs.js';

async function setup(running: number, checkMinutes: number) {
  const root = tempDir('jobdir-once-');
  const runLog = join(tempDir('jobdir-runlog-'), 'runs.log');
  const cfg = await writeConfig(root, {
    general: { service: FIXTURE_SERVICE },
    limits: { running },
    backend: { check_minutes: checkMinutes },
  });
  return {
    root,
    runLog,
    cfg,
    stateFile: join(root, 'jobs/backend.state'),
    store: await storeOf(cfg),
  };
}

/** A count job of `seconds`, created in incoming/ as the web does. */
async function countJob(store: Store, runLog: string, seconds: number): Promise<string> {
  return (
    await createJob(store, {
      service: 'fixtures',
      type: 'count',
      email: '',
      inputs: { log: runLog, seconds: seconds.toFixed(2) },
    })
  ).id;
}

/** Every job of the data root is in completed with its own output, and its program ran once; returns the run statistics. */
async function assertRanOnce(root: string, runLog: string, limit: number) {
  for (const s of ALL_STATES)
    if (s !== 'completed') assert.deepEqual(await idsIn(root, s), [], `no job left in ${s}`);
  const done = await idsIn(root, 'completed');
  const runs = readRuns(runLog);
  const byId = runsById(runs);
  const twice = [...byId].filter(([, r]) => r.length > 1).map(([id, r]) => `${id}×${r.length}`);
  assert.deepEqual(twice, [], 'no program ran twice');
  for (const id of done) {
    assert.equal(byId.get(id)?.length, 1, `job ${id}'s program ran once`);
    assert.equal(
      await fs.readFile(join(root, 'jobs/completed', id, 'stdout.txt'), 'utf8'),
      `ran ${id}\n`,
      `job ${id} has its own output`,
    );
  }
  assert.equal(byId.size, done.length, 'every program that ran belongs to a completed job');
  assert.deepEqual(overlaps(runs), [], 'no two runs of one job overlapped');
  assert.ok(
    runs.every((r) => r.end !== null),
    'every run finished',
  );
  const peak = maxConcurrent(runs);
  assert.ok(peak <= limit, `at most ${limit} programs ran at once (saw ${peak})`);
  return { jobs: done.length, runs: runs.length, peak };
}

async function stop(b: BackendProcess): Promise<void> {
  b.proc.kill('SIGTERM');
  await b.exited;
}

describe('exactly once, on what really ran', () => {
  test('no kills: 300 short jobs with a rescan every 0.3 s run once each, never over the limit', async () => {
    const { root, runLog, cfg, store } = await setup(4, 0.005);
    for (let i = 0; i < 150; i++) await countJob(store, runLog, Math.random() * 0.15);
    const b = await startBackend(cfg);
    try {
      for (let i = 0; i < 150; i++) await countJob(store, runLog, Math.random() * 0.15);
      await waitFor(
        async () => (await idsIn(root, 'completed')).length === 300,
        180_000,
        'all 300 completed',
      );
      const s = await assertRanOnce(root, runLog, 4);
      console.log(`# no kills: ${s.jobs} jobs, ${s.runs} runs, at most ${s.peak} at once`);
    } finally {
      await stop(b);
    }
  });

  test('a wrapper that leaves SUCCESS and exits while the backend judges it is never requeued (200 ms pause in the judgement)', async () => {
    const { root, runLog, cfg, store } = await setup(4, 0.005);
    for (let i = 0; i < 80; i++) await countJob(store, runLog, Math.random() * 0.3);
    // The pause sits between asking the OS and the fresh read of the markers: the window of
    // "success read as death" made 200 ms wide. Old code requeued 2 of 3 such jobs.
    const b = await startBackend(cfg, { JOBDIR_PAUSE: 'run:judged:200' });
    try {
      await waitFor(
        async () => (await idsIn(root, 'completed')).length === 80,
        180_000,
        'all 80 completed',
      );
      const s = await assertRanOnce(root, runLog, 4);
      console.log(`# judged with a pause: ${s.jobs} jobs, ${s.runs} runs`);
    } finally {
      await stop(b);
    }
  });

  test('after a restart, jobs still running are counted before any queued job starts: [limits] running holds', async () => {
    const { root, runLog, cfg, stateFile, store } = await setup(2, 1);
    const a = await countJob(store, runLog, 1);
    const rest = [
      await countJob(store, runLog, 5),
      await countJob(store, runLog, 5),
      await countJob(store, runLog, 5),
    ];
    const first = await startBackend(cfg);
    await waitFor(() => readRuns(runLog).length === 2, 30_000, 'two programs started');
    await kill9(first, stateFile);
    // A ends while no backend runs; B still runs.
    await waitFor(
      () => readRuns(runLog).find((r) => r.id === a)?.end,
      30_000,
      'A ended while the backend was down',
    );
    // Its wrapper writes SUCCESS (with the end time) a moment after the program's last line.
    await waitFor(
      () => existsSync(join(root, 'jobs/running', a, 'SUCCESS')),
      30_000,
      "A's wrapper wrote its marker",
    );
    const restart = Date.now();
    const second = await startBackend(cfg);
    try {
      await waitFor(
        async () => (await idsIn(root, 'completed')).length === 4,
        60_000,
        'all four completed',
      );
      const s = await assertRanOnce(root, runLog, 2);
      assert.equal(s.peak, 2);
      assert.ok(rest.every((id) => readRuns(runLog).some((r) => r.id === id)));
      // A's end is when its program ended (the marker's time), not when the backend came back.
      const finished = Date.parse((await getJob(store, a)).config.result!.finished!);
      assert.ok(finished < restart, `A finished ${restart - finished} ms before the restart`);
      assert.ok(
        Math.abs(finished - readRuns(runLog).find((r) => r.id === a)!.end!) < 1500,
        'A finished when its program ended',
      );
    } finally {
      await stop(second);
    }
  });

  test('a job a dead backend left in preprocessing/ goes back to the queue while the watcher sees it arrive there: [limits] running holds (the move held open 300 ms)', async () => {
    const { root, runLog, cfg, store } = await setup(2, 1);
    // As a backend killed while preparing it leaves it: the oldest job, so the first admitted.
    const left = await countJob(store, runLog, 1);
    await placeJob(store, left, 'preprocessing');
    await new Promise((r) => setTimeout(r, 20)); // the others submitted strictly later
    for (let i = 0; i < 4; i++) await countJob(store, runLog, 1);
    // The unprepare's rename (preprocessing → incoming) is held open 300 ms before the move
    // returns, so the watcher sees the job in incoming/ while the move is not over. Old code
    // queued and admitted it then, the move gave that admission's slot back, and the job's
    // program ran beside two others (and its second admission freed another slot).
    const b = await startBackend(cfg, { JOBDIR_PAUSE: 'move:preprocessing>incoming:renamed:300' });
    try {
      await waitFor(
        async () => (await idsIn(root, 'completed')).length === 5,
        60_000,
        'all five completed',
      );
      const s = await assertRanOnce(root, runLog, 2);
      assert.equal(s.runs, 5);
    } finally {
      await stop(b);
    }
  });

  test('300 jobs submitted over the API while the backend is killed -9 at 20+ random moments (some with its launcher): each program ran once', async () => {
    const limit = 5;
    const { root, runLog, cfg, stateFile } = await setup(limit, 0.005);
    let b = await startBackend(cfg, {}, { detached: true });
    const accepted = new Set<string>();
    let submitting = true;
    // A client that submits 300 jobs, retrying (with a new request) whatever was not acknowledged.
    const client = (async () => {
      while (accepted.size < 300) {
        try {
          const res = await fetch(`${urlOf(b)}/api/jobs`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              type: 'count',
              log: runLog,
              seconds: (Math.random() * 0.8).toFixed(2),
            }),
          });
          if (res.status === 201) accepted.add(((await res.json()) as { id: string }).id);
          else await res.body?.cancel();
        } catch {
          await new Promise((r) => setTimeout(r, 50)); // the backend is down: try again
        }
      }
      submitting = false;
    })();
    let kills = 0;
    let groupKills = 0;
    try {
      while (kills < 20 || submitting || (await idsIn(root, 'completed')).length < accepted.size) {
        await new Promise((r) => setTimeout(r, 300 + Math.random() * 1200));
        if (kills >= 20 && !submitting) break;
        const group = kills % 3 === 2;
        await kill9(b, stateFile, { group });
        kills++;
        if (group) groupKills++;
        b = await startBackend(cfg, {}, { detached: true });
      }
      await client;
      const settled = async () => {
        for (const s of ACTIVE_STATES) if ((await idsIn(root, s)).length) return false;
        return (await idsIn(root, 'completed')).length >= accepted.size;
      };
      await waitFor(settled, 240_000, 'every accepted job completed');
      for (const id of accepted)
        assert.ok((await idsIn(root, 'completed')).includes(id), `accepted job ${id} completed`);
      const s = await assertRanOnce(root, runLog, limit);
      console.log(
        `# random kills: ${kills} kills (${groupKills} of the process group), ${accepted.size} accepted, ${s.jobs} jobs, ${s.runs} runs, at most ${s.peak} at once`,
      );
    } finally {
      await stop(b);
      await waitUnlocked(stateFile);
    }
  });
});
