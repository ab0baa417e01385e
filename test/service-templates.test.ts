/** A job type's own form template and a results template file. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { idFromRedirect, idsIn, ROOT, submitForm, waitFor } from './helpers.js';
import { startTestServer, type TestServer } from './server.js';

describe('service templates', () => {
  let svc: TestServer;
  before(async () => {
    svc = await startTestServer({ general: { service: join(ROOT, 'test/fixtures/templates.ts') } });
  });
  after(() => svc.close());

  test("the service's form template is shown, with the hidden inputs and the generated fields it asks for", async () => {
    const html = await (await fetch(`${svc.url}/`)).text();
    assert.match(
      html,
      /<form method="post" action="\/jobs" enctype="multipart\/form-data" id="custom-form"><input type="hidden" name="type" value="word"\/?><input type="hidden" name="csrf" value="[a-f0-9]+"\/?>/,
    );
    assert.match(html, /<legend>Say a word<\/legend>/);
    assert.match(html, /<input id="loud" name="loud" type="checkbox"/);
    assert.match(html, /<input id="email" name="email" type="email"/);
  });

  test('bad input re-shows the custom form with the escaped value and the message', async () => {
    const res = await submitForm(svc.url, { type: 'word', word: '<b>' + 'x'.repeat(40) });
    assert.equal(res.status, 400);
    const html = await res.text();
    assert.match(html, /value="&lt;b&gt;x{40}"/);
    assert.match(html, /<em id="word-problem">is 43 characters long; the limit is 30<\/em>/);
  });

  test("the results template is filled in with the job's output and inputs, escaped", async () => {
    const id = idFromRedirect(await submitForm(svc.url, { type: 'word', word: '<i>hi</i>' }));
    await waitFor(
      async () => (await idsIn(svc.root, 'completed')).includes(id),
      20_000,
      'job completed',
    );
    const html = await (await fetch(`${svc.url}/jobs/${id}`)).text();
    assert.match(
      html,
      new RegExp(
        `<p class="greeting">Job ${id} says: <strong>&lt;i&gt;hi&lt;/i&gt;\\n</strong> \\(you sent &lt;i&gt;hi&lt;/i&gt;\\)</p>`,
      ),
    );
  });
});
