import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { idFromRedirect, idsIn, submitForm, waitFor } from './helpers.js';
import { type MailingTestServer, startTestServer } from './server.js';

describe('the spine over a real listening server, with a real SMTP receiver', () => {
  let svc: MailingTestServer;
  before(async () => {
    svc = await startTestServer({}, { mail: true });
  });
  after(() => svc.close());

  test('a division job goes from the form to completed, shows x / y = answer, and mails the results link', async () => {
    const res = await submitForm(svc.url, {
      type: 'divide',
      x: '7',
      y: '2',
      email: 'alice@example.test',
    });
    const id = idFromRedirect(res);
    assert.match(res.headers.getSetCookie().join(';'), /jobdir_email=/);
    await waitFor(
      async () => (await idsIn(svc.root, 'completed')).includes(id),
      15_000,
      'job completed',
    );
    const page = await (await fetch(`${svc.url}/jobs/${id}`)).text();
    assert.match(page, /7 \/ 2 = 3\.5/);
    assert.doesNotMatch(page, /http-equiv="refresh"/);
    assert.match(page, new RegExp(`/jobs/${id}/files/stdout\\.txt`));
    const [mail] = await svc.smtp.waitForCount(1);
    assert.equal(mail!.to && 'text' in mail!.to ? mail!.to.text : '', 'alice@example.test');
    assert.match(mail!.text ?? '', new RegExp(`http://jobs\\.example\\.test/jobs/${id}`));
    const file = await fetch(`${svc.url}/jobs/${id}/files/stdout.txt`);
    assert.equal(await file.text(), 'The answer is: 3.5\n');
  });

  test("dividing by zero fails and the page shows the program's error in plain words", async () => {
    const id = idFromRedirect(await submitForm(svc.url, { type: 'divide', x: '1', y: '0' }));
    await waitFor(async () => (await idsIn(svc.root, 'failed')).includes(id), 15_000, 'job failed');
    const page = await (await fetch(`${svc.url}/jobs/${id}`)).text();
    assert.match(page, /cannot divide 1 by zero/);
  });

  test('bad input re-shows the form with the values and a message beside each field, and leaves no job', async () => {
    const before = (await fs.readdir(join(svc.root, 'jobs/by-id'))).length;
    const res = await submitForm(svc.url, {
      type: 'divide',
      x: 'abc',
      y: '',
      email: 'not-an-email',
    });
    assert.equal(res.status, 400);
    const page = await res.text();
    assert.match(page, /value="abc"/);
    assert.match(page, /id="x-err"[^>]*>must be a whole number/);
    assert.match(page, /id="y-err"[^>]*>is required/);
    assert.match(page, /id="email-err"/);
    assert.equal((await fs.readdir(join(svc.root, 'jobs/by-id'))).length, before);
    assert.deepEqual(await idsIn(svc.root, 'incoming'), []);
  });
});
