import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startBackend, urlOf } from './backend-process.js';
import {
  FIXTURE_SERVICE,
  idFromRedirect,
  idsIn,
  inState,
  submitForm,
  tempDir,
  waitFor,
  writeConfig,
} from './helpers.js';
import { mailsAbout, mailsDelivered, type MailingTestServer, startTestServer } from './server.js';

describe('one fixture program per failure mode, through a real server and a real SMTP receiver', () => {
  let svc: MailingTestServer;
  before(async () => {
    svc = await startTestServer({ general: { service: FIXTURE_SERVICE } }, { mail: true });
  });
  after(() => svc.close());
  const submit = async (type: string, fields: Record<string, string> = {}) =>
    idFromRedirect(await submitForm(svc.url, { type, email: 'user@example.test', ...fields }));
  const ended = (id: string, state: 'completed' | 'failed') =>
    waitFor(inState(svc.root, state, id), 30_000, `${id} ${state}`);
  test('a program that exits 1: FAILED, its error on the page, the user mailed, the admin not', async () => {
    const id = await submit('exit1');
    await ended(id, 'failed');
    const page = await (await fetch(`${svc.url}/jobs/${id}`)).text();
    assert.match(page, /the input makes no sense/);
    await mailsDelivered(svc, id);
    assert.deepEqual(
      mailsAbout(svc, id).map((m) => (m.to && 'text' in m.to ? m.to.text : '')),
      ['user@example.test'],
    );
    assert.match(mailsAbout(svc, id)[0]!.subject ?? '', /failed/);
  });

  test('a program killed by a signal is a technical failure: the admin gets a mail with the error', async () => {
    const id = await submit('killed');
    await ended(id, 'failed');
    await waitFor(() => mailsAbout(svc, id).length >= 2, 10_000, 'user and admin mails');
    const admin = mailsAbout(svc, id).find(
      (m) => m.to && 'text' in m.to && m.to.text === 'admin@example.test',
    );
    assert.ok(admin, 'admin mail');
    assert.match(admin.text ?? '', /killed by signal KILL/);
    assert.match(admin.text ?? '', /about to be killed/);
    assert.match(admin.text ?? '', new RegExp(`jobdir resubmit ${id}`));
  });

  test('a program that floods stderr (20 MB) fails cleanly; the page shows the tail, not the flood', async () => {
    const id = await submit('flood');
    await ended(id, 'failed');
    const res = await fetch(`${svc.url}/jobs/${id}`);
    assert.equal(res.status, 200);
    const page = await res.text();
    assert.match(page, /flood: done flooding/);
    assert.ok(page.length < 50_000, `page is ${page.length} bytes`);
    const st = await fs.stat(join(svc.root, 'jobs/failed', id, 'stderr.txt'));
    assert.ok(st.size >= 20_000_000);
  });

  test("a program that runs happily completes, with its argv and the user's input intact", async () => {
    const id = await submit('ok', { text: 'hello <b>world</b> & "friends"' });
    await ended(id, 'completed');
    assert.equal(
      await fs.readFile(join(svc.root, 'jobs/completed', id, 'stdout.txt'), 'utf8'),
      'hello <b>world</b> & "friends"\n',
    );
  });
});

describe('jobs outlive the server', () => {
  test('kill -9 the server while a job runs: the wrapper goes on, and the restarted server completes the job', async () => {
    const root = tempDir();
    const cfg = await writeConfig(root, {
      general: { service: FIXTURE_SERVICE },
      web: { port: 0 },
    });
    const first = await startBackend(cfg);
    const id = idFromRedirect(await submitForm(urlOf(first), { type: 'sleep', seconds: '2' }));
    await waitFor(
      async () =>
        (await fs.readdir(join(root, 'jobs/running', id)).catch(() => [] as string[])).includes(
          'RUNNING',
        ),
      15_000,
      'job running',
    );
    first.proc.kill('SIGKILL');
    await first.exited;
    // The wrapper, detached in its own session, finishes the job with nobody watching.
    await waitFor(
      async () =>
        (await fs.readdir(join(root, 'jobs/running', id)).catch(() => [] as string[])).includes(
          'SUCCESS',
        ),
      15_000,
      'SUCCESS while the server is down',
    );
    assert.deepEqual(await idsIn(root, 'completed'), []);
    const second = await startBackend(cfg);
    try {
      await waitFor(
        async () => (await idsIn(root, 'completed')).includes(id),
        15_000,
        'completed after restart',
      );
      const page = await (await fetch(`${urlOf(second)}/jobs/${id}`)).text();
      assert.match(page, /class="state completed"/);
      const log = await fs.readFile(join(root, 'jobs/completed', id, 'jobdir.log'), 'utf8');
      assert.equal(
        log.split('\n').filter((l) => l.includes('"started"')).length,
        1,
        'the program ran once',
      );
    } finally {
      second.proc.kill('SIGTERM');
      await second.exited;
    }
  });
});
