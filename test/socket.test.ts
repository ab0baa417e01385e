/**
 * The command socket of a real backend: submissions and STATUS from local scripts, the
 * same validation as HTTP, bad input (malformed lines, 1 MB lines, binary garbage, silent
 * and trickling clients, a thousand clients at once), `jobdir submit --socket`, and split
 * mode, where a web-only process tells a separate backend process of new jobs over it.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { FIXTURE_SERVICE, idsIn, tempDir, waitFor, writeConfig, JOBDIR_BIN } from './helpers.js';
import { serveForTest, startTestServer, type TestServer } from './server.js';
import { type BackendProcess, startBackend } from './backend-process.js';
import { socketRequest, startBackendSocket } from '../src/socket/index.js';
import { silentLog } from '../src/log.js';

/** Send raw bytes, collect everything the server says until it closes (or `ms` pass). */
function raw(
  path: string,
  data: Buffer | string | null,
  ms = 5000,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const c = connect(path);
    let text = '';
    const timer = setTimeout(() => {
      c.destroy();
      resolve({ text, closed: false });
    }, ms);
    c.on('data', (d) => void (text += d.toString('utf8')));
    c.on('error', () => {});
    c.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    if (data !== null) c.write(data);
  });
}

describe('the command socket of a running backend', () => {
  let root: string;
  let sock: string;
  let svc: TestServer;
  before(async () => {
    root = tempDir('jobdir-socket-');
    sock = join(root, 'jobs/backend.sock');
    svc = await startTestServer({ general: { service: FIXTURE_SERVICE, socket: sock } }, { root });
  });
  after(() => svc.close());

  test('TYPE key=value submits a job (ACK id) that runs; STATUS answers its state', async () => {
    const ack = await socketRequest(sock, 'ok text=hello%20world');
    const id = /^ACK ([a-z]+)$/.exec(ack)?.[1];
    assert.ok(id, ack);
    await waitFor(
      async () => (await idsIn(root, 'completed')).includes(id!),
      15_000,
      'job completed',
    );
    assert.equal(
      await fs.readFile(join(root, 'jobs/completed', id!, 'stdout.txt'), 'utf8'),
      'hello world\n',
    );
    assert.equal(await socketRequest(sock, `STATUS ${id}`), `ACK ${id} completed`);
    assert.equal(await socketRequest(sock, 'STATUS bcdfghjkmnpq'), 'ERR no job with this id');
  });

  test('CANCEL ID stops a running job through the one cancel (CANCEL marker, process group signalled, ends failed as cancelled); unknown ids and ended jobs are refused', async () => {
    const id = /^ACK ([a-z]+)$/.exec(await socketRequest(sock, 'sleep seconds=300'))?.[1];
    assert.ok(id);
    await waitFor(
      () => fs.stat(join(root, 'jobs/running', id!, 'RUNNING')).catch(() => null),
      15_000,
      'the job running',
    );
    assert.match(
      await socketRequest(sock, `CANCEL ${id}`),
      new RegExp(`^ACK ${id} Job ${id} is being stopped`),
    );
    await waitFor(
      async () => (await idsIn(root, 'failed')).includes(id!),
      30_000,
      'the job failed as cancelled',
    );
    const ini = await fs.readFile(join(root, 'jobs/failed', id!, 'config.ini'), 'utf8');
    assert.match(ini, /failure = The job was cancelled \(by a local script\)/);
    assert.match(
      await socketRequest(sock, `CANCEL ${id}`),
      /^ERR Job [a-z]+ has already ended \(failed\)/,
    );
    assert.equal(await socketRequest(sock, 'CANCEL bcdfghjkmnpq'), 'ERR no job with this id');
    assert.equal(await socketRequest(sock, 'CANCEL ../x'), 'ERR no job with this id');
  });

  test('after=ID: a job waits for job ID to complete, is recorded as its child, and fails naming it when it fails', async () => {
    const first = (await socketRequest(sock, 'sleep seconds=1')).slice(4);
    const next = /^ACK ([a-z]+)$/.exec(
      await socketRequest(sock, `ok text=next after=${first}`),
    )?.[1];
    assert.ok(next);
    assert.equal(await socketRequest(sock, `STATUS ${next}`), `ACK ${next} incoming`);
    await waitFor(
      async () => (await idsIn(root, 'completed')).includes(next!),
      15_000,
      'the dependent job completed',
    );
    const runningOf = async (id: string) =>
      (await fs.stat(join(root, 'jobs/completed', id, 'RUNNING'))).mtimeMs;
    const endOf = async (id: string) =>
      (await fs.stat(join(root, 'jobs/completed', id, 'SUCCESS'))).mtimeMs;
    assert.ok(
      (await runningOf(next!)) >= (await endOf(first)),
      'it started after the first had ended',
    );
    const parentIni = await fs.readFile(join(root, 'jobs/completed', first, 'config.ini'), 'utf8');
    assert.match(parentIni, new RegExp(`\\[children\\]\\n${next} = ok after`));
    // The parent that fails is held open (count.sh's gate) until its dependent is accepted:
    // a parent that failed first would rightly refuse the dependent.
    const gate = tempDir('jobdir-socket-gate-');
    const runs = join(gate, 'runs.log');
    const bad = /^ACK ([a-z]+)$/.exec(
      await socketRequest(sock, `count log=${runs} seconds=0 exit=1 gate=${gate}`),
    )?.[1];
    assert.ok(bad);
    const doomed = /^ACK ([a-z]+)$/.exec(await socketRequest(sock, `ok after=${bad}`))?.[1];
    assert.ok(doomed, 'the dependent was accepted while its parent was held open');
    await fs.writeFile(join(gate, bad!), '');
    await waitFor(
      async () => (await idsIn(root, 'failed')).includes(doomed),
      15_000,
      'the job after a failing one failed',
    );
    assert.match(
      await fs.readFile(join(root, 'jobs/failed', doomed, 'config.ini'), 'utf8'),
      new RegExp(`job ${bad}, which it was to follow, failed`),
    );
    assert.match(
      await socketRequest(sock, `ok after=${bad}`),
      new RegExp(`^ERR job ${bad} has failed`),
    );
    assert.match(
      await socketRequest(sock, 'ok after=bcdfghjkmnpq'),
      /^ERR there is no job bcdfghjkmnpq to wait for/,
    );
    assert.match(await socketRequest(sock, 'ok after=nope'), /^ERR after: is not a job id/);
  });

  test('the socket file is 0660: its permissions decide who may use it', async () => {
    const st = await fs.stat(sock);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
  });

  test('submissions are validated like HTTP ones: unknown types, bad values, unknown and repeated keys get ERR and leave no job', async () => {
    const before = (await fs.readdir(join(root, 'jobs/by-id'))).length;
    assert.match(
      await socketRequest(sock, 'nosuch x=1'),
      /^ERR type: there is no job type "nosuch"/,
    );
    assert.match(await socketRequest(sock, 'sleep seconds=abc'), /^ERR seconds: must be a number/);
    assert.match(await socketRequest(sock, 'sleep'), /^ERR seconds: is required/);
    assert.match(
      await socketRequest(sock, 'ok colour=red'),
      /^ERR colour: is not a parameter of ok/,
    );
    assert.match(await socketRequest(sock, 'ok text=a text=b'), /^ERR text is given twice/);
    assert.match(
      await socketRequest(sock, 'ok text=%zz'),
      /^ERR the value of text is not valid percent-encoding/,
    );
    assert.match(await socketRequest(sock, 'ok justaword'), /^ERR "justaword" is not key=value/);
    assert.match(
      await socketRequest(sock, "Robert'); DROP TABLE jobs;--"),
      /^ERR .* is neither a command/,
    );
    assert.match(await socketRequest(sock, ''), /^ERR empty line/);
    assert.match(await socketRequest(sock, 'STATUS'), /^ERR STATUS takes exactly one job id/);
    assert.equal((await fs.readdir(join(root, 'jobs/by-id'))).length, before);
  });

  test('a 1 MB line gets ERR and a closed connection; binary garbage gets ERR; the backend carries on', async () => {
    const big = await raw(sock, Buffer.alloc(1024 * 1024, 'a'));
    assert.match(big.text, /^ERR the line is longer than 65536 bytes; closing\n$/);
    assert.ok(big.closed);
    const bin = await raw(
      sock,
      Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28]), Buffer.from('\n')]),
      1000,
    );
    assert.match(bin.text, /^ERR the line is not UTF-8 text\n$/);
    const ctl = await raw(sock, 'ok text=\u0007bell\n', 1000);
    assert.match(ctl.text, /^ERR the line contains control characters\n$/);
    assert.match(await socketRequest(sock, 'true'), /^ACK [a-z]+$/);
  });

  test('a flood of lines sent without reading the answers is cut off, and the backend carries on', async () => {
    const flood = await raw(sock, Buffer.alloc(60_000, '\n'), 10_000);
    assert.match(
      flood.text,
      /ERR more than 1000 requests sent without waiting for answers; closing\n$/,
    );
    assert.ok(flood.closed);
    assert.match(await socketRequest(sock, 'true'), /^ACK [a-z]+$/);
  });

  test('several requests on one connection are answered in order', async () => {
    const r = await raw(sock, 'true\nSTATUS bcdfghjkmnpq\nnosuch\n', 1500);
    const lines = r.text.trim().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^ACK [a-z]+$/);
    assert.equal(lines[1], 'ERR no job with this id');
    assert.match(lines[2]!, /^ERR type: there is no job type/);
  });

  test('a thousand clients at once each get an answer or a closed connection, and the backend carries on', async () => {
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => raw(sock, i % 2 ? 'true\n' : 'nosuch\n', 30_000)),
    );
    for (const r of results)
      assert.ok(r.closed || /^(ACK|ERR) /.test(r.text), `answer or close: ${JSON.stringify(r)}`);
    const acked = results.filter((r) => r.text.startsWith('ACK')).length;
    assert.ok(acked > 0, 'some were served');
    const busy = results.filter((r) => /^ERR the backend is busy/.test(r.text)).length;
    console.log(
      `# 1000 clients: ${acked} ACK, ${results.filter((r) => r.text.startsWith('ERR')).length - busy} ERR, ${busy} busy, ${results.filter((r) => !r.text).length} closed unanswered`,
    );
    assert.match(await socketRequest(sock, 'true'), /^ACK [a-z]+$/);
  });

  test('jobdir submit --socket submits, waits and exits 0 when the job completed; 1 with the reason when refused', async () => {
    const run = promisify(execFile);
    const { stdout } = await run(
      process.execPath,
      [
        JOBDIR_BIN,
        'submit',
        '--socket',
        sock,
        '--wait',
        '--poll',
        '0.1',
        'ok',
        'text=from the cli',
      ],
      { encoding: 'utf8' },
    );
    const id = stdout.trim();
    assert.equal(
      await fs.readFile(join(root, 'jobs/completed', id, 'stdout.txt'), 'utf8'),
      'from the cli\n',
    );
    await assert.rejects(
      run(process.execPath, [JOBDIR_BIN, 'submit', '--socket', sock, 'sleep', 'seconds=x'], {
        encoding: 'utf8',
      }),
      (err: { code: number; stderr: string }) => {
        assert.equal(err.code, 1);
        assert.match(err.stderr, /did not accept the job: seconds: must be a number/);
        return true;
      },
    );
  });
});

describe('slow and silent clients', () => {
  test('a client that never writes, or trickles a line, is closed after the idle time; others are served meanwhile', async () => {
    const root = tempDir('jobdir-socket-');
    const svc = await startTestServer(
      { general: { service: FIXTURE_SERVICE, socket: join(root, 'jobs/backend.sock') } },
      { root },
    );
    const path = join(root, 'jobs/other.sock');
    const s = await startBackendSocket(
      {
        cfg: { ...svc.cfg, general: { ...svc.cfg.general, socket: path } },
        service: svc.service,
        store: svc.store,
        log: silentLog,
        backend: svc.backend!,
      },
      { idleMs: 400 },
    );
    try {
      const silent = raw(path, null, 5000);
      const trickle = new Promise<{ text: string; closed: boolean }>((resolve) => {
        const c = connect(path);
        let text = '';
        const t = setInterval(() => c.write('x'), 100);
        c.on('data', (d) => void (text += d.toString()));
        c.on('error', () => {});
        c.on('close', () => {
          clearInterval(t);
          resolve({ text, closed: true });
        });
      });
      assert.match(
        await socketRequest(path, 'true'),
        /^ACK [a-z]+$/,
        'served while the others hang',
      );
      const [a, b] = await Promise.all([silent, trickle]);
      assert.ok(a.closed && /^ERR no complete request within/.test(a.text), JSON.stringify(a));
      assert.ok(b.closed && /^ERR the line did not end within/.test(b.text), JSON.stringify(b));
    } finally {
      await s.close();
      await svc.close();
    }
  });

  test('a stale socket file left by a killed backend is replaced; a regular file at the path is refused', async () => {
    const root = tempDir('jobdir-socket-');
    const path = join(root, 'jobs/backend.sock');
    const cfgFile = await writeConfig(root, {
      general: { service: FIXTURE_SERVICE, socket: path },
    });
    await fs.mkdir(join(root, 'jobs'), { recursive: true });
    const child = spawn(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    await new Promise((r) => child.once('exit', r));
    assert.ok((await fs.stat(path)).isSocket(), 'a dead process left its socket file');
    const svc = await serveForTest(cfgFile);
    assert.match(await socketRequest(path, 'true'), /^ACK /);
    await svc.close();
    await fs.writeFile(path, 'not a socket');
    await assert.rejects(serveForTest(cfgFile), /exists and is not a socket/);
  });
});

describe('a socket path too long for a Unix socket', () => {
  test('is refused naming the key, and the backend lets go of its state lock', async () => {
    const root = tempDir('jobdir-socket-');
    const long = join(root, 'jobs', 'x'.repeat(100), 'backend.sock');
    await fs.mkdir(join(root, 'jobs', 'x'.repeat(100)), { recursive: true });
    const cfgFile = await writeConfig(root, {
      general: { service: FIXTURE_SERVICE, socket: long },
    });
    await assert.rejects(
      serveForTest(cfgFile),
      /\[general\] socket: .* is too long for a Unix socket/,
    );
    const ok = await writeConfig(root, {
      general: { service: FIXTURE_SERVICE, socket: join(root, 'jobs/b.sock') },
    });
    const svc = await serveForTest(ok);
    await svc.close();
  });
});

describe('split mode: web and backend in separate processes', () => {
  test('the web-only process tells the backend of a new job over the socket (no watcher, no rescan to find it)', async () => {
    const root = tempDir('jobdir-socket-');
    const sock = join(root, 'jobs/backend.sock');
    // Polling every 10 min and a rescan every 10 min: only the socket can make the job run soon.
    const cfgFile = await writeConfig(root, {
      general: { service: FIXTURE_SERVICE, socket: sock },
      backend: { watch_poll_ms: 600_000, check_minutes: 10 },
    });
    const stop = async (b: BackendProcess) => {
      b.proc.kill('SIGTERM');
      await b.exited;
    };
    let backend = await startBackend(cfgFile);
    const web = await serveForTest(cfgFile, { webOnly: true });
    const submitAndWait = async (text: string, after?: string) => {
      const res = await fetch(`${web.url}/api/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'ok', text, ...(after ? { after } : {}) }),
      });
      assert.equal(res.status, 201);
      const { id } = (await res.json()) as { id: string };
      await waitFor(
        async () => (await idsIn(root, 'completed')).includes(id),
        20_000,
        `job "${text}" completed through the backend process`,
      );
      return id;
    };
    try {
      const first = await submitAndWait('split');
      // after=ID from the web-only process goes through the socket: the backend records it in ID.
      const then = await submitAndWait('then', first);
      assert.match(
        await fs.readFile(join(root, 'jobs/completed', first, 'config.ini'), 'utf8'),
        new RegExp(`${then} = ok after`),
      );
      // A restarted backend: the web's kept connection is gone; the next notice opens a new one.
      await stop(backend);
      backend = await startBackend(cfgFile);
      await submitAndWait('after a backend restart');
    } finally {
      await web.close();
      await stop(backend);
    }
  });
});
