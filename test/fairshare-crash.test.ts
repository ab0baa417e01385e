/**
 * Fair share across kill -9 of the backend (a real `jobdir serve` process, real programs
 * counting their own runs with test/fixtures/count.sh): per_user holds at every moment,
 * and the restarted backend derives the turns from the job directories, so a submitter
 * whose job is still running waits for the others' turn (it is not first come, first
 * served after a restart).
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createJob } from '../src/store/index.js';
import { kill9, startBackend, storeOf } from './backend-process.js';
import { idsIn, ROOT, tempDir, waitFor, writeConfig } from './helpers.js';
import { maxConcurrent, readRuns, type Run } from './runs.js';

const FAIR = join(ROOT, 'test/fixtures/fair-service.ts');

/** Per submitter, the most runs that overlapped in time (test/runs.ts reads count.sh's log). */
function mostAtOnce(runs: Run[], submitterOf: (id: string) => string): Map<string, number> {
  const by = new Map<string, Run[]>();
  for (const r of runs) by.set(submitterOf(r.id), [...(by.get(submitterOf(r.id)) ?? []), r]);
  return new Map([...by].map(([who, list]) => [who, maxConcurrent(list)]));
}

describe('per_user with a backend killed by SIGKILL', () => {
  test('at no moment do more than per_user jobs of one submitter run, across kill -9 and restart of the backend', async () => {
    const root = tempDir();
    const outside = tempDir('jobdir-fair-outside-');
    const log = join(outside, 'runs');
    const configFile = await writeConfig(root, {
      general: { service: FAIR },
      limits: { running: 4, per_user: 2 },
    });
    const store = await storeOf(configFile);
    const who = new Map<string, string>();
    // A's backlog first, then B's: in submission order A alone would fill all four slots.
    for (const submitter of ['a@example.test', 'b@example.test']) {
      for (let i = 0; i < 10; i++) {
        const ref = await createJob(store, {
          service: 'fair',
          type: 'count',
          email: submitter,
          inputs: { log, seconds: '0.4' },
          settings: { submitter },
        });
        who.set(ref.id, submitter);
      }
    }
    const stateFile = join(root, 'jobs/backend.state');
    let b = await startBackend(configFile);
    for (let kills = 0; kills < 3; kills++) {
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 500));
      await kill9(b, stateFile);
      b = await startBackend(configFile);
    }
    await waitFor(
      async () => (await idsIn(root, 'completed')).length === 20,
      60_000,
      'all 20 jobs to complete',
    );
    b.proc.kill('SIGTERM');
    await b.exited;
    const runs = readRuns(log);
    assert.equal(new Set(runs.map((r) => r.id)).size, 20, 'every job ran');
    assert.equal(runs.length, 20, 'each program once');
    const most = mostAtOnce(runs, (id) => who.get(id)!);
    assert.deepEqual(
      Object.fromEntries(most),
      { 'a@example.test': 2, 'b@example.test': 2 },
      'each ran two at once, never more',
    );
  });
});

describe('turns after a restart', () => {
  test("running = 1, A's job running, A's two and then B's one waiting, backend killed and restarted: B's job starts before A's second", async () => {
    const root = tempDir();
    const gate = tempDir('jobdir-fair-gate-');
    const log = join(gate, 'runs');
    const configFile = await writeConfig(root, {
      general: { service: FAIR },
      limits: { running: 1 },
    });
    const store = await storeOf(configFile);
    const make = async (submitter: string) => {
      await new Promise((r) => setTimeout(r, 5)); // distinct submission times
      const ref = await createJob(store, {
        service: 'fair',
        type: 'count',
        email: submitter,
        inputs: { log, seconds: '0', gate },
        settings: { submitter },
      });
      return ref.id;
    };
    const started = async () =>
      (await readdir(gate)).filter((f) => f.endsWith('.started')).map((f) => f.slice(0, -8));
    const stateFile = join(root, 'jobs/backend.state');
    const a = [await make('a@example.test')];
    let b = await startBackend(configFile);
    await waitFor(async () => (await started()).length === 1, 30_000, "A's first job to run");
    a.push(await make('a@example.test'), await make('a@example.test'));
    const bJob = await make('b@example.test');
    await kill9(b, stateFile);
    b = await startBackend(configFile);
    const seen = [...(await started())];
    assert.deepEqual(seen, [a[0]], "only A's first ran (it outlived the backend)");
    while (seen.length < 4) {
      const held = seen.find((id) => !existsSync(join(gate, id)))!;
      writeFileSync(join(gate, held), '');
      seen.push(
        await waitFor(
          async () => (await started()).find((id) => !seen.includes(id)),
          30_000,
          `a job to start after ${held}`,
        ),
      );
    }
    writeFileSync(join(gate, seen[3]!), '');
    await waitFor(
      async () => (await idsIn(root, 'completed')).length === 4,
      30_000,
      'all 4 to complete',
    );
    b.proc.kill('SIGTERM');
    await b.exited;
    assert.deepEqual(seen, [a[0], bJob, a[1], a[2]], "B's turn 0, then A's turns 1 and 2");
    assert.deepEqual(
      readRuns(log).map((r) => r.id),
      seen,
      'each program ran once, in that order (its own log)',
    );
  });
});
