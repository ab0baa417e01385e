/**
 * The launcher sh (wrapper/jobdir-launcher.sh) outlives a backend killed on its own (kill -9
 * of the backend's pid, not its group) and still has the backend's last request lines in
 * its pipe. It must not start a wrapper for them: the next backend may already have judged
 * those jobs gone without a result and queued them again, so a late start would run a
 * program twice.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LAUNCHER } from '../src/runners/launcher.js';
import { tempDir, waitFor } from './helpers.js';

/** True while some process's command line names `text` (a test's own temporary folder). */
function anyProcessNames(text: string): boolean {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text)) return true;
    } catch {
      // gone meanwhile
    }
  }
  return false;
}

/** True while `pid` runs (an exited process waiting to be reaped counts as gone). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

test('a launcher whose backend was killed starts none of the requests left in its pipe', async () => {
  const dir = tempDir('jobdir-launcher-');
  // The "wrapper": it only leaves a file saying it was started for that job folder.
  const fake = join(dir, 'fake-wrapper.sh');
  await fs.writeFile(fake, '#!/bin/sh\n: > "$1/started"\n');
  const jobs = ['a', 'b', 'c'].map((n) => join(dir, n));
  const first = join(dir, 'first');
  for (const j of [first, ...jobs]) await fs.mkdir(j);
  // The "backend": a node process that starts the launcher, then writes requests when told.
  const code = `
    const { spawn } = require('node:child_process');
    const sh = spawn('/bin/sh', [${JSON.stringify(LAUNCHER)}, ${JSON.stringify(fake)}], { stdio: ['pipe', 'ignore', 'ignore'] });
    process.stdout.write(sh.pid + '\\n');
    process.stdin.on('data', (d) => {
      if (String(d).startsWith('first')) return void sh.stdin.write('1 0 1 ' + ${JSON.stringify(first)} + '\\n');
      for (const j of ${JSON.stringify(jobs)}) sh.stdin.write('1 0 1 ' + j + '\\n');
      process.stdout.write('written\\n');
    });`;
  const backend: ChildProcess = spawn(process.execPath, ['-e', code], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  backend.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  await waitFor(() => /^\d+\n/.test(out), 15_000, 'the launcher started');
  const launcher = Number(out.split('\n')[0]);
  // While its backend lives, a request is started: the fake wrapper works here.
  backend.stdin!.write('first\n');
  await waitFor(() => readdirSync(first).includes('started'), 15_000, 'the first request started');
  // Held still, so that the lines wait in its pipe when the backend dies.
  process.kill(launcher, 'SIGSTOP');
  backend.stdin!.write('go\n');
  await waitFor(() => out.includes('written'), 15_000, 'the requests written');
  const exited = once(backend, 'exit');
  backend.kill('SIGKILL');
  await exited;
  process.kill(launcher, 'SIGCONT');
  await waitFor(() => !alive(launcher), 15_000, 'the launcher gone');
  // Whatever it started has finished once no process names this test's folder.
  await waitFor(() => !anyProcessNames(dir), 15_000, 'its children gone');
  for (const j of jobs)
    assert.equal(
      readdirSync(j).includes('started'),
      false,
      `no wrapper was started for ${j} after its backend died`,
    );
});
