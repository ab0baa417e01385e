/**
 * One backend at a time (flock on the state file, released by the kernel on kill -9), the
 * daemon verbs, and the lockout after a fatal error — with real processes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FIXTURE_SERVICE, startSmtp, tempDir, writeConfig, JOBDIR_BIN } from './helpers.js';
import { kill9, startBackend } from './backend-process.js';
import { readStateFile } from '../src/ops/statefile.js';

function jobdir(
  cfg: string,
  ...args: string[]
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [JOBDIR_BIN, ...args, '--config', cfg], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => void (err += d.toString()));
    p.once('exit', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

async function setup(extra: Record<string, Record<string, string | number>> = {}) {
  const root = tempDir('jobdir-lock-');
  const cfg = await writeConfig(root, { general: { service: FIXTURE_SERVICE }, ...extra });
  return { root, cfg, stateFile: join(root, 'jobs/backend.state') };
}

describe('one backend at a time', () => {
  test("a second backend refuses, naming the first one's pid; after kill -9 of the first a new one starts at once", async () => {
    const { cfg, stateFile } = await setup();
    const first = await startBackend(cfg);
    const second = await startBackend(cfg);
    assert.equal(await second.exited, 1);
    assert.match(
      second.output(),
      new RegExp(
        `another backend \\(pid ${first.proc.pid} on \\S+, since \\S+\\) holds the lock on ${stateFile.replace(/[.]/g, '\\.')}`,
      ),
    );
    await kill9(first, stateFile);
    assert.equal(
      (await readStateFile(stateFile))?.state,
      'running',
      'the dead backend left its state file saying running',
    );
    const third = await startBackend(cfg);
    assert.match(third.output(), /is serving on/, 'a stale state file is no obstacle');
    await kill9(third, stateFile);
  });

  test('start, status, condstart, stop and restart as a daemon, with LSB exit codes', async () => {
    const { cfg, stateFile } = await setup();
    assert.equal((await jobdir(cfg, 'status')).code, 3);
    const started = await jobdir(cfg, 'start');
    assert.equal(started.code, 0, started.err);
    const pid = Number(/pid (\d+)/.exec(started.out)?.[1]);
    const st = await jobdir(cfg, 'status');
    assert.equal(st.code, 0);
    assert.match(st.out, new RegExp(`running \\(pid ${pid}`));
    const quiet = await jobdir(cfg, 'condstart');
    assert.deepEqual([quiet.code, quiet.out, quiet.err], [0, '', '']);
    const restarted = await jobdir(cfg, 'restart');
    assert.equal(restarted.code, 0, restarted.err);
    const pid2 = Number(/started \(pid (\d+)/.exec(restarted.out)?.[1]);
    assert.ok(pid2 && pid2 !== pid);
    const stopped = await jobdir(cfg, 'stop');
    assert.equal(stopped.code, 0);
    assert.match(stopped.out, new RegExp(`pid ${pid2}\\) stopped`));
    assert.equal((await jobdir(cfg, 'status')).code, 3);
    assert.equal((await readStateFile(stateFile))?.state, 'stopped');
    const cond = await jobdir(cfg, 'condstart');
    assert.equal(cond.code, 0);
    assert.match(cond.out, /started/);
    assert.equal((await jobdir(cfg, 'stop')).code, 0);
  });
});

describe('fatal-error lockout', () => {
  test('a backend that cannot open its state folders records the error, mails the admin, and refuses to start until the state file is removed', async () => {
    const smtp = await startSmtp();
    try {
      const { root, cfg, stateFile } = await setup({
        email: { host: '127.0.0.1', port: smtp.port },
      });
      // An unrecoverable error: the running/ state folder is a file, so the store cannot be opened.
      await fs.mkdir(join(root, 'jobs'), { recursive: true });
      await fs.writeFile(join(root, 'jobs/running'), 'not a folder');
      const failing = await startBackend(cfg);
      assert.equal(await failing.exited, 1);
      const rec = await readStateFile(stateFile);
      assert.equal(rec?.state, 'failed');
      assert.match(rec?.error ?? '', /ENOTDIR|EEXIST|not a directory|file already exists/i);
      const [mail] = await smtp.waitForCount(1);
      assert.equal(mail!.to && 'text' in mail!.to ? mail!.to.text : '', 'admin@example.test');
      assert.match(mail!.subject ?? '', /the backend stopped after an unrecoverable error/);
      assert.match(
        mail!.text ?? '',
        new RegExp(
          `remove(d)? .*${stateFile.replace(/[.]/g, '\\.')}|until ${stateFile.replace(/[.]/g, '\\.')} is removed`,
        ),
      );
      // Fixed, but still locked out: start and status say so, with the error.
      await fs.rm(join(root, 'jobs/running'));
      const st = await jobdir(cfg, 'status');
      assert.equal(st.code, 1);
      assert.match(st.out, /locked out/);
      assert.match(st.out, new RegExp(`remove ${stateFile.replace(/[.]/g, '\\.')}`));
      const refused = await jobdir(cfg, 'start');
      assert.equal(refused.code, 1);
      assert.match(refused.err, /locked out: it stopped after an unrecoverable error/);
      const fg = await startBackend(cfg);
      assert.equal(await fg.exited, 1);
      assert.match(fg.output(), /locked out/);
      // The admin removes the file: it starts.
      await fs.rm(stateFile);
      const ok = await jobdir(cfg, 'start');
      assert.equal(ok.code, 0, ok.err);
      assert.equal((await jobdir(cfg, 'stop')).code, 0);
    } finally {
      await smtp.close();
    }
  });
});
