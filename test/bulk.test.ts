/**
 * Bulk submission (a JSON array to POST /api/jobs, one group commit) and the group commit
 * of single submissions: each job gets its own id or its own errors; and a kill -9 inside
 * the commit leaves every job either acknowledged and run once, or not visible at all
 * (killed before its rename), or — renamed but not yet answered — run once all the same,
 * never half-made and never twice. Programs count their own runs (test/fixtures/count.sh).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ALL_STATES } from '../src/states.js';
import { startBackend, urlOf, waitUnlocked } from './backend-process.js';
import { FIXTURE_SERVICE, JOBDIR_BIN, idsIn, tempDir, waitFor, writeConfig } from './helpers.js';
import { readRuns, runsById } from './runs.js';

async function setup() {
  const root = tempDir('jobdir-bulk-');
  const runLog = join(tempDir('jobdir-bulklog-'), 'runs.log');
  // The short path (the default): these jobs go incoming → running → completed.
  const cfg = await writeConfig(root, {
    general: { service: FIXTURE_SERVICE, socket: join(root, 'b.sock') },
    limits: { running: 4 },
    backend: { visit_all_states: 'false' },
  });
  return {
    root,
    runLog,
    cfg,
    socket: join(root, 'b.sock'),
    stateFile: join(root, 'jobs/backend.state'),
  };
}

/** `jobdir submit ARGS…` with `input` on its stdin: exit code, stdout, stderr. */
function submitCli(
  args: string[],
  input: string,
): Promise<{ code: number | null; out: string; err: string }> {
  const p = spawn(process.execPath, [JOBDIR_BIN, 'submit', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  p.stdout.on('data', (d: Buffer) => void (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => void (err += d.toString()));
  p.stdin.end(input);
  return new Promise((r) => p.once('exit', (code) => r({ code, out, err })));
}

const countJob = (runLog: string, extra: Record<string, string> = {}) => ({
  type: 'count',
  log: runLog,
  seconds: '0',
  ...extra,
});

/** What POST /api/jobs answers (one job, or `jobs` for a bulk). */
interface Answer {
  id: string;
  jobs: { id: string; error: { fields: Record<string, string> } }[];
}

async function postJson(url: string, body: unknown): Promise<{ status: number; json: Answer }> {
  const res = await fetch(`${url}/api/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Answer };
}

/** Every job folder under the data root, by state (dot-names too: a half-made job would show). */
async function everything(root: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const s of ALL_STATES) {
    const names = await fs.readdir(join(root, 'jobs', s)).catch(() => [] as string[]);
    for (const n of names) out.set(n, [...(out.get(n) ?? []), s]);
  }
  return out;
}

/** Wait until every job visible anywhere rests in completed. */
async function settled(root: string): Promise<void> {
  await waitFor(
    async () =>
      [...(await everything(root))]
        .filter(([n]) => !n.startsWith('.'))
        .every(([, s]) => s.length === 1 && s[0] === 'completed'),
    60_000,
    'every visible job completed',
  );
}

/** Each job visible anywhere rests in completed only, and its program ran exactly once. */
async function eachVisibleRanOnce(root: string, runLog: string): Promise<string[]> {
  const visible = [...(await everything(root))].filter(([n]) => !n.startsWith('.'));
  const runs = runsById(readRuns(runLog));
  for (const [id, states] of visible) {
    assert.deepEqual(states, ['completed'], `job ${id} rests in completed only`);
    assert.equal(runs.get(id)?.length ?? 0, 1, `job ${id} ran once`);
  }
  for (const id of runs.keys())
    assert.ok(
      visible.some(([v]) => v === id),
      `job ${id} ran, so it must be visible`,
    );
  return visible.map(([id]) => id);
}

describe('bulk submission over the API', () => {
  test('an array body makes one job per valid element, each with its own id, and names each refused element with its own errors', async () => {
    const env = await setup();
    const b = await startBackend(env.cfg);
    try {
      const url = urlOf(b);
      const mixed = await postJson(url, [
        countJob(env.runLog),
        { type: 'count', log: env.runLog },
        countJob(env.runLog),
        { type: 'nosuch' },
        { ...countJob(env.runLog), after: 'bcdfghjkmnpq' },
      ]);
      assert.equal(mixed.status, 207, JSON.stringify(mixed.json));
      assert.equal(mixed.json.jobs.length, 5);
      const [a, noSeconds, c, noType, after] = mixed.json.jobs as [
        Answer['jobs'][number],
        ...Answer['jobs'],
      ];
      assert.match(a.id, /^[a-z]+$/);
      assert.match(c!.id, /^[a-z]+$/);
      assert.notEqual(a.id, c!.id);
      assert.ok(noSeconds!.error.fields.seconds, JSON.stringify(noSeconds!));
      assert.ok(noType!.error.fields.type, JSON.stringify(noType!));
      assert.ok(after!.error.fields.after, JSON.stringify(after!));
      await waitFor(async () => (await idsIn(env.root, 'completed')).length === 2, 30_000);
      assert.deepEqual(
        (await eachVisibleRanOnce(env.root, env.runLog)).sort(),
        [a.id, c!.id].sort(),
      );

      const none = await postJson(url, [{ type: 'nosuch' }, { type: 'count' }]);
      assert.equal(none.status, 400);
      assert.equal(none.json.jobs.length, 2);
      const empty = await postJson(url, []);
      assert.equal(empty.status, 400);
      assert.match(JSON.stringify(empty.json), /send 1 to/);
      assert.equal((await idsIn(env.root, 'completed')).length, 2, 'nothing more was made');
    } finally {
      b.proc.kill('SIGTERM');
      await b.exited;
    }
  });

  test('each job of a bulk counts against [web] submit_limit: those past it are refused on their own (rate_limited), the rest made', async () => {
    const env = await setup();
    await writeConfig(env.root, {
      general: { service: FIXTURE_SERVICE },
      backend: { visit_all_states: 'false' },
      web: { submit_limit: '3/1h' },
    });
    const b = await startBackend(env.cfg);
    try {
      const r = await postJson(
        urlOf(b),
        Array.from({ length: 5 }, () => countJob(env.runLog)),
      );
      assert.equal(r.status, 207, JSON.stringify(r.json));
      assert.deepEqual(
        r.json.jobs.map((j) => ('id' in j && j.id ? 'made' : (j.error as { code?: string }).code)),
        ['made', 'made', 'made', 'rate_limited', 'rate_limited'],
      );
      await waitFor(async () => (await idsIn(env.root, 'completed')).length === 3, 30_000);
    } finally {
      b.proc.kill('SIGTERM');
      await b.exited;
    }
  });

  for (const [point, visible] of [
    ['bulk:staged', false],
    ['bulk:published', true],
    ['bulk:committed', true],
  ] as const) {
    test(`a kill -9 at ${point}: the unanswered bulk's jobs are ${visible ? 'each run once (renamed before the kill)' : 'not visible at all'}; nothing is half-made or run twice`, async () => {
      const env = await setup();
      const b = await startBackend(env.cfg, { JOBDIR_FAILPOINT: point });
      const answer = await postJson(
        urlOf(b),
        Array.from({ length: 20 }, () => countJob(env.runLog)),
      ).catch(() => null);
      assert.equal(answer, null, 'the request was never answered');
      assert.equal(await b.exited, 'SIGKILL', `the backend died at ${point}:\n${b.output()}`);
      await waitUnlocked(env.stateFile);
      const again = await startBackend(env.cfg);
      try {
        if (visible)
          await waitFor(async () => (await idsIn(env.root, 'completed')).length === 20, 60_000);
        else await new Promise((r) => setTimeout(r, 1500)); // a backend that would run them has had the time
        await settled(env.root);
        const ran = await eachVisibleRanOnce(env.root, env.runLog);
        assert.equal(ran.length, visible ? 20 : 0);
      } finally {
        again.proc.kill('SIGTERM');
        await again.exited;
      }
    });
  }

  test('a kill -9 inside a group commit of concurrent single submissions: each acknowledged job ran once, each other job ran once or is not visible', async () => {
    const env = await setup();
    // The 6th submission to be renamed kills the server before its group's fsync.
    const b = await startBackend(env.cfg, { JOBDIR_FAILPOINT: 'create:published@6' });
    const url = urlOf(b);
    const acked: string[] = [];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 5; i++) {
          const r = await postJson(url, countJob(env.runLog)).catch(() => null);
          if (!r) return;
          assert.equal(r.status, 201);
          acked.push(r.json.id);
        }
      }),
    );
    assert.equal(await b.exited, 'SIGKILL');
    assert.ok(acked.length < 20, 'the kill fell inside the submissions');
    await waitUnlocked(env.stateFile);
    const again = await startBackend(env.cfg);
    try {
      await waitFor(
        async () => acked.every((id) => readRuns(env.runLog).some((r) => r.id === id && r.end)),
        60_000,
        'every acknowledged job ran',
      );
      await settled(env.root);
      const ran = await eachVisibleRanOnce(env.root, env.runLog);
      for (const id of acked) assert.ok(ran.includes(id), `acknowledged job ${id} ran`);
    } finally {
      again.proc.kill('SIGTERM');
      await again.exited;
    }
  });

  for (const via of ['--url', '--socket'] as const) {
    test(`jobdir submit ${via} … --file -: one job per line, made together; each refused line named with its errors, exit 1`, async () => {
      const env = await setup();
      const b = await startBackend(env.cfg);
      try {
        const log = encodeURIComponent(env.runLog);
        const lines = [
          '# three jobs and a bad one',
          `count log=${log} seconds=0`,
          `type=count log=${log} seconds=0`,
          '',
          `count log=${log}`,
          `count log=${log} seconds=0 exit=0`,
        ];
        const r = await submitCli(
          [via, via === '--url' ? urlOf(b) : env.socket, '--file', '-'],
          lines.join('\n'),
        );
        assert.equal(r.code, 1, r.err);
        const ids = r.out.trim().split('\n');
        assert.equal(ids.length, 3, r.out);
        assert.match(r.err, /line 5: not accepted: .*seconds/);
        await waitFor(async () => (await idsIn(env.root, 'completed')).length === 3, 30_000);
        await settled(env.root);
        assert.deepEqual((await eachVisibleRanOnce(env.root, env.runLog)).sort(), ids.sort());
      } finally {
        b.proc.kill('SIGTERM');
        await b.exited;
      }
    });
  }
});
