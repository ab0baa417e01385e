/** The demo's greet job type: progress on the results page, a greeting, and its time limit. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { idFromRedirect, idsIn, submitForm, tempDir, waitFor, writeConfig } from './helpers.js';
import { startTestServer, type TestServer } from './server.js';

describe('demo job type greet (greeter-app)', () => {
  let svc: TestServer;
  before(async () => {
    svc = await startTestServer({
      service: { sleep_seconds: '0.1', greet_delay: '0.1' },
      'job greet': { time_limit: '3s', concurrent: 2 },
      backend: { kill_grace: '1s' },
    });
  });
  after(() => svc.close());
  const page = async (id: string) => (await fetch(`${svc.url}/jobs/${id}`)).text();

  test("the form offers both job types and greet's fields", async () => {
    const html = await (await fetch(`${svc.url}/?type=greet`)).text();
    assert.match(html, /href="\/\?type=divide"/);
    assert.match(html, /<input id="name" name="name" required[^>]*maxlength="40"/);
    assert.match(html, /name="steps"/);
  });

  test('a short greeting completes and shows "Hello, NAME!"', async () => {
    const id = idFromRedirect(
      await submitForm(svc.url, { type: 'greet', name: 'Ada <Lovelace>', steps: '3' }),
    );
    await waitFor(
      async () => (await idsIn(svc.root, 'completed')).includes(id),
      20_000,
      'greeting completed',
    );
    const html = await page(id);
    assert.match(html, /Hello, Ada &lt;Lovelace&gt;!/);
    assert.doesNotMatch(html, /<progress/);
  });

  test('while it runs the page shows a progress bar and the program\'s message; past the limit it fails with "time limit exceeded (3 s)"', async () => {
    const id = idFromRedirect(
      await submitForm(svc.url, { type: 'greet', name: 'Grace', steps: '100' }),
    );
    const running = await waitFor(
      async () => {
        const html = await page(id);
        return /<progress id="progress" max="100" value="\d+">/.test(html) &&
          /Thinking of a greeting for Grace \(step \d+ of 100\)/.test(html)
          ? html
          : null;
      },
      20_000,
      'a progress bar with the message',
    );
    const api = await waitFor(
      async () => {
        const body = (await (await fetch(`${svc.url}/api/jobs/${id}`)).json()) as {
          progress?: { fraction: number | null; message: string } | null;
        };
        return body.progress?.message.includes('Thinking of a greeting for Grace')
          ? body.progress
          : null;
      },
      20_000,
      'the API reporting progress',
    );
    assert.ok(api.fraction !== null && api.fraction >= 0 && api.fraction < 1);
    assert.match(running, /http-equiv="refresh"/);
    assert.match(running, /Cancel this job/);
    await waitFor(
      async () => (await idsIn(svc.root, 'failed')).includes(id),
      20_000,
      'greeting stopped',
    );
    const html = await page(id);
    assert.match(html, /time limit exceeded \(3 s\)/);
    assert.doesNotMatch(html, /<progress/);
  });

  test('a greeting with too many steps or a two-line name is refused with the reason', async () => {
    const res = await submitForm(svc.url, { type: 'greet', name: 'x'.repeat(41), steps: '101' });
    assert.equal(res.status, 400);
    const html = await res.text();
    assert.match(html, /id="name-err"[^>]*>is 41 characters long; the limit is 40/);
    assert.match(html, /id="steps-err"[^>]*>must be at most 100/);
  });
});

test('[job greet] enabled = false: the type is not offered and a submission of it is refused', async () => {
  const { loadConfig } = await import('../src/config/index.js');
  const { loadService } = await import('../src/service/load.js');
  const { validateSubmission } = await import('../src/service/validate.js');
  const service = await loadService(
    loadConfig(await writeConfig(tempDir(), { 'job greet': { enabled: 'false' } })),
  );
  assert.deepEqual(
    service.jobTypes.map((t) => t.name),
    ['divide'],
  );
  assert.throws(
    () => validateSubmission(service, { type: 'greet', name: 'x' }),
    /there is no job type "greet"; choose one of divide/,
  );
});
