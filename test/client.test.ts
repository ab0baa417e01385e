import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
// Through the package's own export, as a user's script imports it.
import { ApiError, createClient } from 'jobdir/client';
import { ROOT, tempDir, JOBDIR_BIN } from './helpers.js';
import { startTestServer, type TestServer } from './server.js';

function jobdir(
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [JOBDIR_BIN, ...args], { cwd });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => void (stdout += d));
    p.stderr.on('data', (d) => void (stderr += d));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('the typed client and `jobdir submit` against a real server', () => {
  let svc: TestServer;
  before(async () => {
    svc = await startTestServer();
  });
  after(() => svc.close());

  test('submit, wait with backoff, download; API errors arrive as ApiError with code and fields', async () => {
    const api = createClient({ url: svc.url });
    const info = await api.parameters();
    assert.deepEqual(
      info.types[0]!.parameters.map((p) => p.name),
      ['x', 'y'],
    );
    const { id } = await api.submit({ type: 'divide', x: 9, y: 4 });
    const seen: string[] = [];
    const done = await api.wait(id, { minDelayMs: 50, onStatus: (s) => seen.push(s.state) });
    assert.equal(done.state, 'completed');
    assert.equal(seen.at(-1), 'completed');
    assert.equal(await (await api.download(id, 'stdout.txt')).text(), 'The answer is: 2.25\n');
    await assert.rejects(
      api.submit({ x: 'a' }),
      (e: unknown) =>
        e instanceof ApiError &&
        e.status === 400 &&
        e.code === 'invalid_input' &&
        /whole number/.test(e.fields.x ?? ''),
    );
    await assert.rejects(
      api.status('bcdfghjkmnpq'),
      (e: unknown) => e instanceof ApiError && e.status === 404 && e.code === 'not_found',
    );
  });

  test('`after`: a job waits for another; the status names its parent, the parent lists it; a failed parent fails it', async () => {
    const api = createClient({ url: svc.url });
    const first = await api.submit({ type: 'divide', x: 8, y: 2 });
    const second = await api.submit({ type: 'divide', x: 1, y: 4, after: first.id });
    const done = await api.wait(second.id, { minDelayMs: 50 });
    assert.equal(done.state, 'completed');
    assert.equal(done.parent, first.id);
    const parent = await api.status(first.id);
    assert.equal(parent.state, 'completed');
    assert.deepEqual(
      parent.children.map((c) => [c.id, c.state]),
      [[second.id, 'completed']],
    );
    // A parent that fails takes the job waiting for it along, naming it.
    const bad = await api.submit({ type: 'divide', x: 1, y: 0 });
    // (Should the parent have failed already, the submission itself is refused, naming it.)
    const waiting = await api
      .submit({ type: 'divide', x: 3, y: 1, after: bad.id })
      .catch((e: unknown) => {
        assert.ok(
          e instanceof ApiError && e.status === 409 && e.message.includes(bad.id),
          String(e),
        );
        return null;
      });
    if (waiting) {
      const failed = await api.wait(waiting.id, { minDelayMs: 50 });
      assert.equal(failed.state, 'failed');
      assert.match(failed.failure ?? '', new RegExp(bad.id));
    }
    assert.equal((await api.wait(bad.id, { minDelayMs: 50 })).state, 'failed');
    await assert.rejects(
      api.submit({ type: 'divide', x: 1, y: 1, after: bad.id }),
      (e: unknown) => e instanceof ApiError && e.status === 409 && e.message.includes(bad.id),
    );
    await assert.rejects(
      api.submit({ type: 'divide', x: 1, y: 1, after: 'bcdfghjkmnpq' }),
      (e: unknown) =>
        e instanceof ApiError && e.status === 400 && /after/.test(Object.keys(e.fields).join()),
    );
  });

  test('`jobdir submit --url … x=… y=… --wait` prints the id, waits and downloads the results', async () => {
    const cwd = tempDir();
    const r = await jobdir(
      ['submit', '--url', svc.url, '--wait', '--poll', '0.1', '--out', 'res', 'x=7', 'y=2'],
      cwd,
    );
    assert.equal(r.code, 0, r.stderr);
    const [id, result] = r.stdout.trim().split('\n');
    assert.match(id!, /^[bcdfghjkmnpqrstvwxyz]{12}$/);
    assert.equal(result, '7 / 2 = 3.5');
    assert.match(r.stderr, /completed/);
    assert.equal(await fs.readFile(join(cwd, 'res', 'stdout.txt'), 'utf8'), 'The answer is: 3.5\n');
    const bad = await jobdir(['submit', '--url', svc.url, 'x=oops'], cwd);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /x: must be a whole number/);
    const failed = await jobdir(
      ['submit', '--url', svc.url, '--wait', '--poll', '0.1', 'x=1', 'y=0'],
      cwd,
    );
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /failed: .*cannot divide 1 by zero/);
  });

  test('uploads go as multipart', async () => {
    const s2 = await startTestServer({
      general: { service: join(ROOT, 'test/fixtures/hostile-service.ts') },
    });
    try {
      const api = createClient({ url: s2.url });
      const { id } = await api.submit({
        type: 'upload',
        data: { filename: 'in.txt', data: new TextEncoder().encode('hello upload') },
      });
      const done = await api.wait(id, { minDelayMs: 50 });
      assert.equal(done.state, 'completed');
      assert.equal(await (await api.download(id, 'stdout.txt')).text(), 'hello upload');
    } finally {
      await s2.close();
    }
  });
});
