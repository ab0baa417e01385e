/**
 * Crash safety across a chain: a real backend process running a three-step follow_on chain
 * (align → model → score, real programs) is killed with SIGKILL at each step that records,
 * creates, admits, starts and finishes the steps, and at random moments. Each step must run
 * exactly once (a log outside the job directories records every run), in order, and every
 * job of the chain must end in completed.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { idsIn, ROOT, tempDir, waitFor, writeConfig } from './helpers.js';
import {
  countEvents,
  diesAt,
  kill9,
  startBackend,
  storeOf,
  waitUnlocked,
} from './backend-process.js';
import { createJob, decodeJobConfig } from '../src/store/index.js';

const CHAIN = join(ROOT, 'test/fixtures/chain-service.ts');

/** A data root for the chain service: jobs take the default path, or every state with `visitAll`. */
async function setup(visitAll = false) {
  const root = tempDir('jobdir-chain-crash-');
  const cfg = await writeConfig(root, {
    general: { service: CHAIN },
    limits: { running: 2 },
    backend: { visit_all_states: String(visitAll) },
    'job align': { follow_on: 'model' },
    'job model': { follow_on: 'score' },
  });
  return { root, cfg, stateFile: join(root, 'jobs/backend.state'), store: await storeOf(cfg) };
}

/** Start `n` chains; each records its steps' runs in its own log file. */
async function startChains(
  root: string,
  store: Awaited<ReturnType<typeof storeOf>>,
  n: number,
): Promise<string[]> {
  const logs: string[] = [];
  for (let i = 0; i < n; i++) {
    const log = join(root, `steps-${i}.log`);
    await createJob(store, {
      service: 'chain',
      type: 'align',
      email: '',
      inputs: { seq: `S${i}`, log },
    });
    logs.push(log);
  }
  return logs;
}

/** Every chain ran align, model, score once each, in that order; 3n jobs completed, none elsewhere. */
async function assertChainsRanOnce(root: string, logs: string[]): Promise<void> {
  for (const [i, log] of logs.entries()) {
    assert.equal(
      await fs.readFile(log, 'utf8'),
      `align S${i}\nmodel S${i}\nscore S${i}\n`,
      `chain ${i} ran each step once, in order`,
    );
  }
  assert.equal((await idsIn(root, 'completed')).length, 3 * logs.length);
  for (const s of [
    'incoming',
    'preprocessing',
    'running',
    'postprocessing',
    'finalizing',
    'failed',
  ])
    assert.deepEqual(await idsIn(root, s), [], `nothing left in ${s}`);
}

const allDone = (root: string, n: number) =>
  waitFor(
    async () => (await idsIn(root, 'completed')).length === 3 * n,
    60_000,
    `${3 * n} jobs completed`,
  );

describe('a three-step chain survives kill -9 of the backend', () => {
  // The default path: align and model (follow_on) end through finalizing, score (no hooks,
  // no follow_on) goes running → completed; then the same chain with every state visited.
  const points: [string, boolean][] = [
    ['children:recorded@1', false],
    ['children:recorded@2', false],
    ['move:finalizing>completed:renamed@1', false],
    ['move:running>completed:renamed@1', false],
    ['move:incoming>running:renamed@2', false],
    ['run:prepared@2', false],
    ['run:started@2', false],
    ['run:started@3', false],
    ['children:recorded@1', true],
    ['children:recorded@2', true],
    ['move:finalizing>completed:renamed@1', true],
    ['move:finalizing>completed:renamed@2', true],
    ['move:incoming>preprocessing:renamed@2', true],
    ['move:preprocessing>running:renamed@3', true],
    ['run:prepared@2', true],
    ['run:started@2', true],
    ['run:started@3', true],
    ['move:running>postprocessing:renamed@3', true],
  ];
  for (const [point, visitAll] of points) {
    test(`killed at ${point}${visitAll ? ' (every state visited)' : ''}: each step runs once, in order`, async () => {
      const { root, cfg, stateFile, store } = await setup(visitAll);
      const logs = await startChains(root, store, 1);
      await diesAt(await startBackend(cfg, { JOBDIR_FAILPOINT: point }), point);
      await waitUnlocked(stateFile);
      const second = await startBackend(cfg);
      try {
        await allDone(root, 1);
        await assertChainsRanOnce(root, logs);
      } finally {
        second.proc.kill('SIGTERM');
        await second.exited;
      }
    });
  }

  test('kills at random moments while 10 chains run: every step of every chain runs once, in order', async () => {
    const { root, cfg, stateFile, store } = await setup();
    const logs = await startChains(root, store, 10);
    let b = await startBackend(cfg);
    let kills = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 400));
      if ((await idsIn(root, 'completed')).length === 3 * logs.length && kills >= 6) break;
      await kill9(b, stateFile);
      kills++;
      b = await startBackend(cfg);
    }
    try {
      await allDone(root, logs.length);
      await assertChainsRanOnce(root, logs);
      console.log(`# ${kills} kills, ${logs.length} chains of 3 steps, each step ran once`);
    } finally {
      b.proc.kill('SIGTERM');
      await b.exited;
    }
  });
});

describe('a parent waiting for its children survives kill -9 of the backend', () => {
  // The children (no hooks) take the default path and the parent (a postprocess hook) its
  // own; then everything with every state visited.
  const points: [string, boolean][] = [
    ['children:recorded@1', false],
    ['move:running>completed:renamed@2', false],
    ['move:finalizing>completed:renamed@1', false],
    ['children:recorded@1', true],
    ['move:preprocessing>postprocessing:renamed@1', true],
    ['move:finalizing>completed:renamed@2', true],
    ['move:finalizing>completed:after@4', true],
  ];
  for (const [point, visitAll] of points) {
    test(`killed at ${point}${visitAll ? ' (every state visited)' : ''}: 4 children made once, each run once, and the parent sums them`, async () => {
      const { root, cfg, stateFile, store } = await setup(visitAll);
      const parent = await createJob(store, {
        service: 'chain',
        type: 'fanout',
        email: '',
        inputs: { n: '4' },
      });
      await diesAt(await startBackend(cfg, { JOBDIR_FAILPOINT: point }), point);
      await waitUnlocked(stateFile);
      const second = await startBackend(cfg);
      try {
        await waitFor(
          async () => (await idsIn(root, 'completed')).includes(parent.id),
          60_000,
          'the parent completed',
        );
        const dir = join(root, 'jobs/completed', parent.id);
        assert.equal(await fs.readFile(join(dir, 'sum.txt'), 'utf8'), '30\n');
        const kids = Object.keys(
          decodeJobConfig(await fs.readFile(join(dir, 'config.ini'), 'utf8')).children ?? {},
        );
        assert.equal(kids.length, 4);
        assert.deepEqual(
          (await idsIn(root, 'completed')).sort(),
          [parent.id, ...kids].sort(),
          'exactly the parent and its 4 children exist',
        );
        for (const k of kids)
          assert.equal(
            await countEvents(join(root, 'jobs/completed', k), 'started'),
            1,
            `child ${k} ran once`,
          );
      } finally {
        second.proc.kill('SIGTERM');
        await second.exited;
      }
    });
  }
});
