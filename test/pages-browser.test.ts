/**
 * The demo's pages in a real browser (Debian's Chromium, a real server, real programs, a
 * real SMTP receiver), as a scientist reads them at 1280 px and 390 px, in Tokyo: the form
 * (required marks, time limit, example, error summary), the results page in each state
 * (words a user knows, parameters, local times, run again, the right advice), how soon a
 * short job shows its result, and axe-core on every page kind, with screenshots in
 * test-artifacts/e2e/.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, openPage, pageKind, type Size, sizedContexts, SIZES } from './browser.js';
import { freePort, myJobsLink, ROOT, submitJson, tempDir, waitFor } from './helpers.js';
import { ADMIN, type MailingTestServer, startTestServer } from './server.js';

const SIZE_NAMES = Object.keys(SIZES) as Size[];

/** Keep a page that reloads itself as it is (its reloads answered 204, which leaves it be). */
async function freeze(page: Page): Promise<() => Promise<void>> {
  const url = page.url();
  await page.route(url, (r) => r.fulfill({ status: 204 }));
  return () => page.unroute(url);
}

/** The time of `iso` in Tokyo, as hh:mm:ss. */
const tokyo = (iso: string) =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Tokyo',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso));

describe('in a browser: the demo pages as a user reads them', () => {
  let svc: MailingTestServer;
  let browser: Browser;
  let ctx: Record<Size, BrowserContext>;
  let gate = '';

  const api = (body: object) => submitJson(svc.url, body);
  const status = async (id: string) =>
    (await (await fetch(`${svc.url}/api/jobs/${id}`)).json()) as {
      state: string;
      progress?: { fraction: number | null } | null;
    };

  before(async () => {
    const root = tempDir();
    gate = join(root, 'gate');
    const port = await freePort();
    svc = await startTestServer(
      {
        general: {
          service: join(ROOT, 'test/fixtures/e2e-service.ts'),
          urltop: `http://127.0.0.1:${port}`,
        },
        web: { port, miss_limit: '1000/1h' },
        service: {
          sleep_seconds: '0.1',
          // Bo (100 steps) holds the greet slot for 5 min, until the test cancels it.
          greet_delay: '3',
          flag_file: join(root, 'no-flag'),
          gate_file: gate,
        },
        'job greet': { time_limit: '5m', concurrent: 1 },
      },
      { root, admin: true, mail: true, port },
    );
    browser = await launchBrowser();
    ctx = await sizedContexts(browser, { httpCredentials: ADMIN });
  });
  after(async () => {
    await fs.writeFile(gate, '').catch(() => {});
    await browser?.close();
    await svc?.close();
  });

  test('the form marks required fields, says the time limit, fills in an example, and sums up its errors at the top with a link to each field', async () => {
    for (const size of SIZE_NAMES) {
      const page = await openPage(ctx[size]);
      await page.goto(`${svc.url}/?type=greet`);
      assert.equal(await page.locator('label[for=name] .req').textContent(), ' *');
      assert.equal(await page.locator('label[for=steps] .req').count(), 1);
      assert.match((await page.locator('label[for=email]').textContent()) ?? '', /optional/);
      assert.equal(await page.locator('label[for=email] .req').count(), 0);
      assert.match(
        (await page.locator('#time-limit').textContent()) ?? '',
        /at most 5 min; one that runs longer is stopped/,
      );
      await pageKind(page, 'form', size);

      await Promise.all([page.waitForURL(/example/), page.locator('#example').click()]);
      assert.equal(await page.locator('#name').inputValue(), 'Ada');
      assert.equal(await page.locator('#steps').inputValue(), '3');
      assert.match((await page.locator('#notice').textContent()) ?? '', /an example/);

      await page.goto(`${svc.url}/?type=divide`);
      await page.locator('#x').fill('a');
      await page.locator('#y').fill('1.5');
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST'),
        page.getByRole('button', { name: 'Submit' }).click(),
      ]);
      assert.equal(res.status(), 400);
      await page.locator('#error-summary').waitFor();
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'error-summary');
      const links = page.locator('#error-summary a');
      assert.deepEqual(await links.evaluateAll((as) => as.map((a) => a.getAttribute('href'))), [
        '#x',
        '#y',
      ]);
      assert.match((await links.first().textContent()) ?? '', /^x \(dividend\): must be a whole/);
      await pageKind(page, 'form-errors', size);
      await links.nth(1).click();
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'y');
      assert.equal(await page.locator('#y').getAttribute('aria-invalid'), 'true');
      await page.close();
    }
  });

  test('a short job: its page reloads after 1 s and shows the result, with the parameters, local times, how long it ran, and a link that runs it again', async (t) => {
    const page = await openPage(ctx.desktop);
    await page.goto(`${svc.url}/?type=divide`);
    await page.locator('#x').fill('355');
    await page.locator('#y').fill('113');
    await page.locator('#email').fill('reader@example.test');
    const sent = Date.now();
    await Promise.all([
      page.waitForURL(/\/jobs\/[a-z]+$/),
      page.getByRole('button', { name: 'Submit' }).click(),
    ]);
    const id = /\/jobs\/([a-z]+)$/.exec(page.url())![1]!;
    const first = await page.locator('#state').textContent();
    assert.equal(await page.locator('#waiting').getAttribute('data-refresh'), '1');
    assert.equal(
      await page.locator('#stop-reloading').count(),
      1,
      'a button that stops the reloads',
    );
    let reloads = 0;
    while ((await page.locator('#state').textContent()) !== 'completed') {
      await page.waitForEvent('load', { timeout: 30_000 });
      reloads++;
    }
    t.diagnostic(
      `first page said "${first}"; the result showed after ${reloads} reload(s), ${Date.now() - sent} ms after the submission`,
    );
    assert.ok(['queued', 'starting', 'running', 'finishing'].includes(first!), `first: ${first}`);
    assert.match((await page.locator('#result').textContent()) ?? '', /355 \/ 113 = 3\.14159/);

    const submitted = page.locator('#submitted time');
    const iso = (await submitted.getAttribute('datetime'))!;
    assert.equal(await submitted.getAttribute('data-local'), 'yes');
    const local = (await submitted.textContent()) ?? '';
    assert.ok(local.includes(tokyo(iso)) && /GMT\+9/.test(local), `local time: ${local}`);
    assert.match(
      (await submitted.getAttribute('title')) ?? '',
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/,
    );
    assert.match((await page.locator('#ran').textContent()) ?? '', /^\d+(\.\d)? (ms|s)$/);
    assert.ok(await page.locator('#started').count(), 'a start time');
    assert.ok(await page.locator('#finished').count(), 'an end time');
    const rows = await page
      .locator('#parameters tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [tr.children[0]!.textContent, tr.children[1]!.textContent]),
      );
    assert.deepEqual(rows, [
      ['x (dividend)', '355'],
      ['y (divisor)', '113'],
    ]);
    assert.ok(
      !(await page.content()).includes('reader@example.test'),
      'no email address on the page',
    );
    await pageKind(page, 'results-completed', 'desktop');
    const phone = await openPage(ctx.phone);
    await phone.goto(page.url());
    await pageKind(phone, 'results-completed', 'phone');
    await phone.close();

    // Without scripts, the <noscript> meta refresh reloads the page until the result is there.
    const plain = await browser.newContext({ javaScriptEnabled: false });
    const bare = await plain.newPage();
    await bare.goto(`${svc.url}/jobs/${await api({ type: 'greet', name: 'Ed', steps: '2' })}`);
    let bareReloads = 0;
    while ((await bare.locator('#state').textContent()) !== 'completed') {
      await bare.waitForEvent('load', { timeout: 30_000 });
      bareReloads++;
    }
    assert.ok(bareReloads >= 1, 'reloaded without scripts');
    assert.match((await bare.locator('#submitted').textContent()) ?? '', / UTC$/);
    await plain.close();

    await Promise.all([page.waitForURL(/from=/), page.locator('#rerun').click()]);
    assert.equal(await page.locator('#x').inputValue(), '355');
    assert.equal(await page.locator('#y').inputValue(), '113');
    assert.match((await page.locator('#notice').textContent()) ?? '', new RegExp(`job ${id}`));
    await pageKind(page, 'form-rerun', 'desktop');
    await page.close();
  });

  test('queued, starting and running jobs say so in words a user knows; a cancelled one says it was cancelled, without advice to reply to a mail', async () => {
    const long = await api({ type: 'greet', name: 'Bo', steps: '100' });
    await waitFor(
      async () => ((await status(long)).progress?.fraction ?? 0) > 0,
      30_000,
      'Bo running with progress',
    );
    // One submitter (the address): Di waits behind Cy.
    await api({ type: 'greet', name: 'Cy', steps: '1', email: 'di@example.test' });
    const queued = await api({ type: 'greet', name: 'Di', steps: '1', email: 'di@example.test' });
    const gated = await api({ type: 'gated', word: 'hello' });
    await waitFor(async () => (await status(gated)).state === 'preprocessing', 30_000, 'gated');

    for (const size of SIZE_NAMES) {
      const page = await openPage(ctx[size]);
      await page.goto(`${svc.url}/jobs/${queued}`);
      let thaw = await freeze(page);
      assert.equal(await page.locator('#state').textContent(), 'queued');
      assert.match(
        (await page.locator('#waiting').textContent()) ?? '',
        /queued \(1 ahead of it\)/,
      );
      await pageKind(page, 'results-queued', size);
      await thaw();

      await page.goto(`${svc.url}/jobs/${gated}`);
      thaw = await freeze(page);
      assert.equal(await page.locator('#state').textContent(), 'starting');
      assert.match((await page.locator('#waiting').textContent()) ?? '', /^Your job is starting\./);
      assert.equal(await page.locator('#progress').count(), 0);
      assert.equal(await page.locator('#started').count(), 0);
      await pageKind(page, 'results-starting', size);
      await thaw();

      await page.goto(`${svc.url}/jobs/${long}`);
      thaw = await freeze(page);
      assert.equal(await page.locator('#state').textContent(), 'running');
      assert.ok(await page.locator('#progress').count(), 'a progress bar');
      assert.match(
        (await page.locator('#waiting').textContent()) ?? '',
        /running \(for .+ so far\)/,
      );
      assert.equal(await page.locator('#ran').count(), 1);
      await pageKind(page, 'results-running', size);
      await thaw();
      if (size === 'desktop') {
        // The reader can stop the reloads (WCAG 2.2.1): the page then stays as it is.
        await page.reload();
        let loads = 0;
        page.on('load', () => loads++);
        await page.locator('#stop-reloading').click();
        assert.match((await page.locator('#reloads').textContent()) ?? '', /no longer reloads/);
        await new Promise((r) => setTimeout(r, 2500));
        assert.equal(loads, 0, 'no reload after Stop reloading');
      }
      await page.close();
    }
    // Di is cancelled while it is certainly still queued: Bo holds the one greet slot (100
    // steps of 3 s, cancelled below), and Cy is ahead of it.
    const page = await openPage(ctx.desktop);
    await page.goto(`${svc.url}/jobs/${queued}`);
    await freeze(page);
    await Promise.all([
      page.waitForURL(new RegExp(`/jobs/${queued}$`)),
      page.getByRole('button', { name: 'Cancel this job' }).click(),
    ]);
    await page.unrouteAll();
    await waitFor(async () => (await status(queued)).state === 'failed', 30_000, 'Di cancelled');
    await fs.writeFile(gate, '');
    for (const size of SIZE_NAMES) {
      const p = await openPage(ctx[size]);
      await p.goto(`${svc.url}/jobs/${queued}`);
      assert.equal(await p.locator('#state').textContent(), 'cancelled');
      assert.match(
        (await p.locator('#failure').textContent()) ?? '',
        /was cancelled( \(by the user\))? before it started/,
      );
      assert.equal(await p.locator('#advice').count(), 0, 'no advice to reply to a mail');
      await pageKind(p, 'results-cancelled', size);
      await p.close();
    }
    await page.close();
    // Free the greet slot for the tests after this one.
    const stop = await fetch(`${svc.url}/api/jobs/${long}/cancel`, { method: 'POST' });
    assert.ok(stop.status < 300 || stop.status === 409, `cancel Bo: ${stop.status}`);
  });

  test('a failed job advises replying to the email only when one was sent', async () => {
    const mailed = await api({ type: 'flaky', note: 'with mail', email: 'fay@example.test' });
    const silent = await api({ type: 'flaky', note: 'no mail' });
    for (const id of [mailed, silent])
      await waitFor(async () => (await status(id)).state === 'failed', 30_000, `${id} failed`);
    for (const size of SIZE_NAMES) {
      const page = await openPage(ctx[size]);
      await page.goto(`${svc.url}/jobs/${mailed}`);
      assert.equal(await page.locator('#state').textContent(), 'failed');
      assert.match((await page.locator('#advice').textContent()) ?? '', /reply to the email/);
      await pageKind(page, 'results-failed', size);
      await page.goto(`${svc.url}/jobs/${silent}`);
      const advice = (await page.locator('#advice').textContent()) ?? '';
      assert.match(advice, /contact the administrator/);
      assert.doesNotMatch(advice, /email/);
      await page.close();
    }
  });

  test('my jobs, the error pages, the dashboard and an admin job page have no serious accessibility violation', async () => {
    const email = 'lister@example.test';
    const done = await api({ type: 'divide', x: '1', y: '4', email });
    await waitFor(async () => (await status(done)).state === 'completed', 30_000, 'done');
    for (const size of SIZE_NAMES) {
      const page = await openPage(ctx[size]);
      await page.goto(`${svc.url}/my-jobs`);
      await pageKind(page, 'my-jobs-ask', size);
      await page.locator('#email').fill(email);
      await page.getByRole('button', { name: 'Send me the link' }).click();
      await page.locator('#sent').waitFor();
      await pageKind(page, 'my-jobs-sent', size);
      const link = await myJobsLink(svc.smtp, email);
      await page.goto(link);
      assert.equal(await page.locator(`#jobs a[href$="/jobs/${done}"]`).count(), 1);
      assert.equal(await page.locator('#jobs .state').first().textContent(), 'completed');
      await pageKind(page, 'my-jobs', size);

      assert.equal((await page.goto(`${svc.url}/no/such/page`))?.status(), 404);
      await pageKind(page, 'error-404', size);
      assert.equal((await page.goto(`${svc.url}/jobs/bcdfghjkmnpq`))?.status(), 404);
      await pageKind(page, 'error-no-job', size);
      // Running again a job that does not exist: the empty form, saying so, as a 404 (a miss).
      assert.equal((await page.goto(`${svc.url}/?from=bcdfghjkmnpq`))?.status(), 404);
      assert.match((await page.locator('#notice').textContent()) ?? '', /no job with that id/);
      await pageKind(page, 'form-from-unknown', size);

      await page.goto(`${svc.url}/admin`);
      await pageKind(page, 'admin-dashboard', size);
      await page.goto(`${svc.url}/admin/jobs/${done}`);
      await pageKind(page, 'admin-job', size);
      await page.close();
    }
  });
});
