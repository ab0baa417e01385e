/**
 * Service hooks, time limits, cancel from the results page and per-type notifications,
 * over a real server, real programs, a real SMTP receiver and a real syslog socket.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  browserView,
  idFromRedirect,
  idsIn,
  postFrom,
  ROOT,
  submitForm,
  tempDir,
  waitFor,
  JOBDIR_BIN,
} from './helpers.js';
import { type MailingTestServer, startTestServer } from './server.js';

const run = promisify(execFile);

/** A syslog daemon stand-in: a Unix datagram socket (python3) that prints each message as a line. */
async function startSyslog(path: string): Promise<{ lines: string[]; close(): void }> {
  const lines: string[] = [];
  const p: ChildProcess = spawn(
    'python3',
    [
      '-u',
      '-c',
      [
        'import socket, sys',
        's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
        's.bind(sys.argv[1])',
        'print("ready", flush=True)',
        'while True:',
        '    print(s.recv(65536).decode("utf-8", "replace").replace("\\n", " "), flush=True)',
      ].join('\n'),
      path,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let buf = '';
  p.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  await waitFor(() => lines.includes('ready'), 15_000, 'the syslog socket');
  return { lines, close: () => void p.kill() };
}

/** Press the results page's Cancel with the cookie a browser keeps and the cancel form's CSRF token. */
async function cancelFromPage(url: string, id: string): Promise<Response> {
  const page = await browserView(await fetch(`${url}/jobs/${id}`), { anyPage: true });
  const form =
    /<form method="post" action="\/jobs\/[a-z]+\/cancel"><input type="hidden" name="csrf" value="([a-f0-9]+)"\/?>/.exec(
      page.html,
    );
  assert.ok(form, 'the results page of a running job has a cancel form');
  return postFrom({ cookie: page.cookie, csrf: form[1]! }, `${url}/jobs/${id}/cancel`);
}

/** Pids of processes whose working directory is the job's directory (wherever it moved). */
async function processesIn(id: string): Promise<number[]> {
  const out: number[] = [];
  for (const name of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cwd = await fs.readlink(`/proc/${name}/cwd`).catch(() => '');
    if (cwd.endsWith(`/${id}`)) out.push(Number(name));
  }
  return out;
}

describe('service hooks, time limits, cancel and notifications', () => {
  let root: string;
  let svc: MailingTestServer;
  let syslog: Awaited<ReturnType<typeof startSyslog>>;
  const ended = async (id: string, state = 'completed') =>
    waitFor(async () => (await idsIn(root, state)).includes(id), 30_000, `job ${id} ${state}`);
  const page = async (id: string) => (await fetch(`${svc.url}/jobs/${id}`)).text();
  const submit = async (fields: Record<string, string>) =>
    idFromRedirect(await submitForm(svc.url, fields));

  before(async () => {
    root = tempDir();
    syslog = await startSyslog(join(root, 'syslog.sock'));
    svc = await startTestServer(
      {
        general: { service: join(ROOT, 'test/fixtures/hooks.ts') },
        backend: { hook_timeout: '1s', kill_grace: '1s', syslog_socket: join(root, 'syslog.sock') },
        'job ok': { notify_success: 'mail ops@example.test, syslog jobdir-test' },
        'job exit1': {
          notify_fail: 'syslog jobdir-test mail ops@example.test oncall@example.test',
        },
        'job hang': { time_limit: '1s' },
        'job slow': { concurrent: 1 },
      },
      { root, mail: true },
    );
  });
  after(async () => {
    await svc.close();
    syslog.close();
  });

  test('preprocess may skip the run: the job completes with the file the hook wrote', async () => {
    const id = await submit({ type: 'skip' });
    await ended(id);
    assert.match(await page(id), /\/files\/answer\.txt/);
    assert.equal(
      await (await fetch(`${svc.url}/jobs/${id}/files/answer.txt`)).text(),
      'computed in preprocess\n',
    );
  });

  test('postprocess may ask for a rerun with new data; finalize sees the last run', async () => {
    const id = await submit({ type: 'rerun' });
    await ended(id);
    const dir = join(root, 'jobs/completed', id);
    assert.equal(await fs.readFile(join(dir, 'final.txt'), 'utf8'), 'round 3 ok=true\n');
    assert.match(await fs.readFile(join(dir, 'config.ini'), 'utf8'), /reschedules = 2/);
    assert.match(await page(id), /last: round 3/);
  });

  test('a postprocess that always asks for a rerun is stopped after 50 reruns', async () => {
    const id = await submit({ type: 'forever' });
    await ended(id, 'failed');
    assert.match(
      await page(id),
      /The postprocess step failed: it asked for a rerun 51 times; the limit is 50/,
    );
  });

  test('a hook that throws or hangs fails its own job with the reason; other jobs go on', async () => {
    const [thrower, hanger, postThrower, ok] = [
      await submit({ type: 'throws' }),
      await submit({ type: 'hangs' }),
      await submit({ type: 'post_throws' }),
      await submit({ type: 'ok', text: 'still here' }),
    ];
    await ended(ok);
    await ended(thrower, 'failed');
    await ended(hanger, 'failed');
    await ended(postThrower, 'failed');
    assert.match(await page(thrower), /the input file is not a PDB file/);
    assert.match(await page(hanger), /the preprocess hook did not finish within 1 s/);
    assert.match(
      await page(postThrower),
      /The postprocess step failed: could not parse the output/,
    );
  });

  test('a hook cannot write outside its job directory', async () => {
    const id = await submit({ type: 'escape' });
    await ended(id, 'failed');
    assert.match(await page(id), /is not a file name inside the job directory/);
    await assert.rejects(fs.stat(join(root, 'jobs', 'outside.txt')));
  });

  test('a program that ignores TERM is killed after the grace; the job fails with "time limit exceeded (1 s)"', async () => {
    const id = await submit({ type: 'hang', email: 'timed@example.test' });
    await ended(id, 'failed');
    const html = await page(id);
    assert.match(html, /time limit exceeded \(1 s\)/);
    const mail = await waitFor(
      () =>
        svc.smtp.messages.find((m) => m.subject?.includes(id) && !m.headers.get('x-jobdir-notify')),
      15_000,
      "the user's mail",
    );
    assert.match(mail.text ?? '', /What went wrong: time limit exceeded \(1 s\)/);
    assert.match(
      await fs.readFile(join(root, 'jobs/failed', id, 'ERROR'), 'utf8'),
      /reason=time_limit/,
    );
    assert.deepEqual(await processesIn(id), [], 'nothing of the job is left running');
  });

  test('the user cancels a running job from its results page; the program is stopped', async () => {
    const id = await submit({ type: 'sleep', seconds: '300' });
    await waitFor(
      () => fs.stat(join(root, 'jobs/running', id, 'RUNNING')).catch(() => null),
      15_000,
      'job running',
    );
    const res = await cancelFromPage(svc.url, id);
    assert.equal(res.status, 303);
    await ended(id, 'failed');
    assert.match(await page(id), /cancelled \(by the user\)/);
    assert.doesNotMatch(await page(id), /Cancel this job/);
    assert.deepEqual(await processesIn(id), []);
  });

  test('cancelling a program that ignores TERM kills it after the grace', async () => {
    const id = await submit({ type: 'stubborn' });
    await waitFor(
      () => fs.stat(join(root, 'jobs/running', id, 'RUNNING')).catch(() => null),
      15_000,
      'job running',
    );
    assert.equal((await cancelFromPage(svc.url, id)).status, 303);
    await ended(id, 'failed');
    assert.match(await page(id), /cancelled \(by the user\)/);
    assert.deepEqual(await processesIn(id), []);
  });

  test('the admin command `jobdir cancel ID` stops a running job from another process', async () => {
    const id = await submit({ type: 'sleep', seconds: '300' });
    await waitFor(
      () => fs.stat(join(root, 'jobs/running', id, 'RUNNING')).catch(() => null),
      15_000,
      'job running',
    );
    const out = await run(process.execPath, [JOBDIR_BIN, 'cancel', id, '--config', svc.cfg.file], {
      cwd: ROOT,
    });
    assert.match(out.stdout + out.stderr, new RegExp(id));
    await ended(id, 'failed');
    assert.match(await page(id), /cancelled/);
    assert.deepEqual(await processesIn(id), []);
  });

  test("a cancel without the page's CSRF token is refused and the job keeps running", async () => {
    const id = await submit({ type: 'sleep', seconds: '300' });
    const res = await fetch(`${svc.url}/jobs/${id}/cancel`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'csrf=00',
    });
    assert.equal(res.status, 403);
    assert.ok(!(await idsIn(root, 'failed')).includes(id));
    await svc.backend!.cancel(id, 'admin');
    await ended(id, 'failed');
  });

  test('[job NAME] concurrent holds a second job of that type in the queue; other types pass it', async () => {
    const first = await submit({ type: 'slow', seconds: '300' });
    await waitFor(
      () => fs.stat(join(root, 'jobs/running', first, 'RUNNING')).catch(() => null),
      15_000,
      'first slow job running',
    );
    const second = await submit({ type: 'slow', seconds: '300' });
    const other = await submit({ type: 'ok', text: 'overtakes' });
    await ended(other);
    assert.ok(
      (await idsIn(root, 'incoming')).includes(second),
      'the second slow job waits while the first runs',
    );
    assert.match(await page(second), /Your job is queued/);
    await svc.backend!.cancel(first, 'admin');
    await waitFor(
      () => fs.stat(join(root, 'jobs/running', second, 'RUNNING')).catch(() => null),
      15_000,
      'second slow job running once the first ended',
    );
    await svc.backend!.cancel(second, 'admin');
    await ended(second, 'failed');
  });

  test('notify_success and notify_fail mail the listed addresses and write a syslog line, per job type', async () => {
    const before = svc.smtp.messages.length;
    const good = await submit({ type: 'ok', text: 'hi' });
    const bad = await submit({ type: 'exit1' });
    const quiet = await submit({ type: 'skip' });
    await ended(good);
    await ended(bad, 'failed');
    await ended(quiet);
    await waitFor(
      () => syslog.lines.some((l) => l.includes(bad)),
      15_000,
      'syslog line of the failed job',
    );
    const okLine = syslog.lines.find((l) => l.includes(good))!;
    const badLine = syslog.lines.find((l) => l.includes(bad))!;
    assert.match(okLine, /^<14>.*jobdir-test.*Test service ok job [a-z]+ completed/);
    assert.match(
      badLine,
      /^<11>.*jobdir-test.*exit1 job [a-z]+ failed: The program stopped with an error: exit1: the input makes no sense/,
    );
    assert.ok(
      !syslog.lines.some((l) => l.includes(quiet)),
      'a type without notify targets writes nothing',
    );
    // Mails of jobs ended by earlier tests may still arrive: wait for these two jobs' own.
    const mails = await waitFor(
      () => {
        const m = svc.smtp.messages.slice(before).filter((x) => x.headers.get('x-jobdir-notify'));
        return m.some((x) => x.subject?.includes(good)) && m.some((x) => x.subject?.includes(bad))
          ? m
          : null;
      },
      15_000,
      "the two jobs' notification mails",
    );
    const to = (m: (typeof mails)[number]) => (m.to && 'text' in m.to ? m.to.text : '');
    const okMail = mails.find((m) => m.subject?.includes(good))!;
    const badMail = mails.find((m) => m.subject?.includes(bad))!;
    assert.equal(to(okMail), 'ops@example.test');
    assert.equal(to(badMail), 'ops@example.test, oncall@example.test');
    assert.match(badMail.text ?? '', /failed: The program stopped with an error/);
    assert.match(okMail.text ?? '', new RegExp(`http://jobs\\.example\\.test/jobs/${good}`));
  });
});
