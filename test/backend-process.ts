/**
 * Helpers for tests that run the backend as a real separate process (`jobdir serve`) so
 * they can kill -9 it, plus job creation straight into the store as the web would.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config/index.js';
import { isLocked } from '../src/ops/statefile.js';
import { createJob, openStore, type Store } from '../src/store/index.js';
import { idsIn, waitFor, JOBDIR_BIN } from './helpers.js';

/** A `jobdir serve` child process. */
export interface BackendProcess {
  proc: ChildProcess;
  /** Resolves with the exit code, or the signal name, when it ends. */
  exited: Promise<number | string>;
  output(): string;
}

/**
 * Run `jobdir serve --config FILE` (`bin`: another copy of the command than this checkout's);
 * resolves once it serves, or once it exits (a failpoint fired, it refused).
 */
export async function startBackend(
  configFile: string,
  env: Record<string, string> = {},
  { detached = false, bin = JOBDIR_BIN, args = [] as string[], nodeArgs = [] as string[] } = {},
): Promise<BackendProcess> {
  // detached: a process group of its own (with its launcher sh), so a test can kill the whole group.
  // nodeArgs: options for node itself (the bench's --cpu-prof).
  const proc = spawn(
    process.execPath,
    [...nodeArgs, bin, 'serve', '--config', configFile, ...args],
    {
      env: { ...process.env, JOBDIR_FAILPOINT: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached,
    },
  );
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => void (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => void (out += d.toString()));
  const exited = new Promise<number | string>((r) =>
    proc.once('exit', (code, sig) => r(sig ?? code ?? -1)),
  );
  let ended = false;
  void exited.then(() => (ended = true));
  try {
    await waitFor(
      () => ended || out.includes('is serving on'),
      120_000,
      'the backend to serve or exit',
    );
  } catch (err) {
    // Never leave it running: its pipes would keep this test file from ending.
    proc.kill('SIGKILL');
    throw new Error(`${(err as Error).message}; it said:\n${out.slice(-2000)}`, { cause: err });
  }
  return { proc, exited, output: () => out };
}

/** Wait until no process holds the state-file lock. */
export async function waitUnlocked(stateFile: string): Promise<void> {
  await waitFor(
    async () => !(await isLocked(stateFile)),
    10_000,
    'the state-file lock to be released',
  );
}

/** POST `body` as JSON to `url`. */
export async function post(url: string, body?: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
}

/** Submit a job through the API at `base`; asserts 201 and resolves with its id. */
export async function submit(base: string, body: Record<string, string>): Promise<string> {
  const res = await post(`${base}/api/jobs`, body);
  assert.equal(res.status, 201, await res.clone().text());
  return ((await res.json()) as { id: string }).id;
}

/** For waitFor: is job `id` in `state`'s folder of data root `root`? */
export const inState = (root: string, state: string, id: string) => async () =>
  (await idsIn(root, state)).includes(id);

/** The URL a `jobdir serve` process said it serves on. */
export function urlOf(b: BackendProcess): string {
  const m = /is serving on (http:\/\/\S+)/.exec(b.output());
  if (!m) throw new Error(`the backend did not say where it serves:\n${b.output()}`);
  return m[1]!;
}

/** SIGKILL the backend (`group`: its whole process group, launcher included) and wait until its state-file lock is free. */
export async function kill9(
  b: BackendProcess,
  stateFile: string,
  { group = false } = {},
): Promise<void> {
  if (group) process.kill(-b.proc.pid!, 'SIGKILL');
  else b.proc.kill('SIGKILL');
  await b.exited;
  await waitUnlocked(stateFile);
}

/** The store of a config file (the test process writes jobs the way the web does). */
export async function storeOf(configFile: string): Promise<Store> {
  return openStore(loadConfig(configFile));
}

/** Create `n` fixture `ok` jobs whose program prints `text-<i>`, each for its own address. */
export async function createOkJobs(
  store: Store,
  n: number,
  prefix = 'job',
): Promise<Map<string, { text: string; email: string }>> {
  const jobs = new Map<string, { text: string; email: string }>();
  for (let i = 0; i < n; i++) {
    const text = `${prefix}-${i}`;
    const email = `${prefix}${i}@example.test`;
    const ref = await createJob(store, {
      service: 'fixtures',
      type: 'ok',
      email,
      inputs: { text },
    });
    jobs.set(ref.id, { text, email });
  }
  return jobs;
}

/** How many times the job's own log records `event`. */
export async function countEvents(dir: string, event: string): Promise<number> {
  const log = await fs.readFile(join(dir, 'jobdir.log'), 'utf8').catch(() => '');
  return log.split('\n').filter((l) => l.includes(`"event":"${event}"`)).length;
}

/**
 * Wait for a backend started with JOBDIR_FAILPOINT=`point` to kill itself there (asserted).
 * Bounded: a failpoint the job's path never passes fails the test after `ms` instead of
 * hanging it, and the backend is killed.
 */
export async function diesAt(b: BackendProcess, point: string, ms = 60_000): Promise<void> {
  const died = await Promise.race([
    b.exited,
    new Promise((r) => setTimeout(() => r(`alive after ${ms / 1000} s`), ms).unref()),
  ]);
  if (died !== 'SIGKILL') b.proc.kill('SIGKILL');
  assert.equal(
    died,
    'SIGKILL',
    `the backend died at ${point}; it said:\n${b.output().slice(-2000)}`,
  );
}
