/**
 * End to end in a real browser: Debian's /usr/bin/chromium driven by playwright-core,
 * against a real server (web + backend), real programs and a real SMTP receiver.
 * Screenshots of every page at phone and desktop sizes go to test-artifacts/e2e/.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { checkTidy, launchBrowser, shot, type Size, sizedContexts } from './browser.js';
import { freePort, ROOT, submitJson, tempDir, waitFor } from './helpers.js';
import { ADMIN, type MailingTestServer, startTestServer } from './server.js';

describe('in a browser: form, results, email link, download, dashboard', () => {
  let svc: MailingTestServer;
  let browser: Browser;
  let contexts: Record<Size, BrowserContext>;
  let flag: string;

  before(async () => {
    const root = tempDir();
    flag = join(root, 'flag');
    const port = await freePort();
    svc = await startTestServer(
      {
        general: {
          service: join(ROOT, 'test/fixtures/e2e-service.ts'),
          urltop: `http://127.0.0.1:${port}`,
        },
        web: { port },
        service: { sleep_seconds: '0.1', greet_delay: '0.5', flag_file: flag },
        'job greet': { time_limit: '5m', concurrent: 1 },
      },
      { root, admin: true, mail: true, port },
    );
    browser = await launchBrowser();
    contexts = await sizedContexts(browser, { httpCredentials: ADMIN });
  });
  after(async () => {
    await browser?.close();
    await svc?.close();
  });

  let greetId = '';

  test('the form is filled and sent with the keyboard; the results page reloads itself and its progress bar moves until "Hello, Ada!"', async () => {
    const page = await contexts.desktop.newPage();
    await page.goto(`${svc.url}/?type=greet`);
    await checkTidy(page, 'form (desktop)');
    await shot(page, 'form-desktop');
    await page.getByLabel('Name').focus();
    await page.keyboard.type('Ada');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('30');
    await page.keyboard.press('Tab');
    await page.keyboard.type('ada@example.test');
    await Promise.all([page.waitForURL(/\/jobs\/[a-z]+$/), page.keyboard.press('Enter')]);
    greetId = /\/jobs\/([a-z]+)$/.exec(page.url())![1]!;

    // The page reloads itself (meta refresh): record what each load shows until the job is done.
    const seen: number[] = [];
    let loads = 0;
    let shotRunning = false;
    for (;;) {
      const state = await page.locator('#state').textContent();
      if (state === 'completed') break;
      const value = await page
        .locator('#progress')
        .getAttribute('value', { timeout: 100 })
        .catch(() => null);
      if (value !== null) seen.push(Number(value));
      if (value !== null && Number(value) > 0 && !shotRunning) {
        await shot(page, 'results-running-desktop');
        shotRunning = true;
      }
      await page.waitForEvent('load', { timeout: 30_000 });
      loads++;
    }
    assert.ok(loads >= 2, `the page reloaded itself ${loads} time(s)`);
    assert.ok(
      new Set(seen).size >= 2 && seen.at(-1)! > seen[0]!,
      `the progress bar moved: ${seen.join(' → ')}`,
    );
    assert.equal((await page.locator('#result').textContent())?.trim(), 'Hello, Ada!');
    await checkTidy(page, 'results (desktop)');
    await shot(page, 'results-done-desktop');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'stdout.txt' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'stdout.txt');
    assert.equal((await fs.readFile(await download.path(), 'utf8')).trim(), 'Hello, Ada!');
    await page.close();
  });

  test('the link in the received email opens the results', async () => {
    const mails = await svc.smtp.waitForCount(1, 30_000);
    const mail = mails.find((m) => m.subject?.includes(greetId));
    assert.ok(mail, 'an email about the job');
    assert.match(mail.subject ?? '', /completed/);
    const link = /Results: (\S+)/.exec(mail.text ?? '')?.[1];
    assert.equal(link, `${svc.url}/jobs/${greetId}`);
    const page = await contexts.phone.newPage();
    await page.goto(link!);
    assert.equal((await page.locator('#result').textContent())?.trim(), 'Hello, Ada!');
    await checkTidy(page, 'results (phone)');
    await shot(page, 'results-done-phone');
    await page.goto(`${svc.url}/?type=greet`);
    await checkTidy(page, 'form (phone)');
    await shot(page, 'form-phone');
    await page.close();
  });

  test('a failed job is resubmitted with its dashboard button, confirmed, and the live dashboard shows it complete', async () => {
    const page = await contexts.desktop.newPage();
    await page.goto(`${svc.url}/?type=flaky`);
    await page.getByLabel('Note (optional)').fill('first try');
    await Promise.all([
      page.waitForURL(/\/jobs\/[a-z]+$/),
      page.getByRole('button', { name: 'Submit' }).click(),
    ]);
    const id = /\/jobs\/([a-z]+)$/.exec(page.url())![1]!;
    await waitFor(
      async () =>
        ((await (await fetch(`${svc.url}/api/jobs/${id}`)).json()) as { state: string }).state ===
        'failed',
      30_000,
      'the flaky job failed',
    );
    await page.reload();
    await shot(page, 'results-failed-desktop');

    await page.goto(`${svc.url}/admin`);
    await checkTidy(page, 'dashboard (desktop)');
    const row = page.locator(`#failed-${id}`);
    assert.match((await row.textContent()) ?? '', /does not exist/);
    assert.equal(await page.locator('#count-completed b').textContent(), '1');
    await page.locator('#chart-last-24-hours svg rect.c').first().waitFor();
    await shot(page, 'dashboard-desktop');

    await fs.writeFile(flag, 'fixed\n');
    await page.locator(`#resubmit-${id}`).focus();
    await Promise.all([
      page.waitForURL(/\/admin\/jobs\/[a-z]+\/resubmit$/),
      page.keyboard.press('Enter'),
    ]);
    assert.match(
      (await page.locator('h1').textContent()) ?? '',
      new RegExp(`Resubmit job ${id}\\?`),
    );
    await checkTidy(page, 'confirm page');
    await shot(page, 'confirm-desktop');
    await Promise.all([
      page.waitForURL(/\/admin\?done=resubmit/),
      page.locator('#confirm').click(),
    ]);

    // From here on the page is not reloaded: the panel updates over server-sent events.
    let navigations = 0;
    page.on('framenavigated', () => navigations++);
    await page
      .locator('#count-completed b')
      .filter({ hasText: /^2$/ })
      .waitFor({ timeout: 30_000 });
    assert.equal(await page.locator(`#failed-${id}`).count(), 0);
    assert.equal(navigations, 0, 'the dashboard updated without reloading');
    assert.ok(Number(await page.locator('#live').getAttribute('data-updates')) >= 1);
    await shot(page, 'dashboard-after-resubmit-desktop');

    await page.goto(`${svc.url}/admin/jobs/${id}`);
    assert.equal(await page.locator('#state').textContent(), 'completed');
    assert.match((await page.locator('#log').textContent()) ?? '', /resubmitted/);
    await shot(page, 'admin-job-desktop');
    const phone = await contexts.phone.newPage();
    await phone.goto(`${svc.url}/admin`);
    await checkTidy(phone, 'dashboard (phone)');
    await shot(phone, 'dashboard-phone');
    await phone.goto(`${svc.url}/jobs/${id}`);
    assert.equal(
      (await phone.locator('#result').textContent())?.trim(),
      'Flag found: the job works now.',
    );
    await phone.close();
    await page.close();
  });

  test('the dashboard shows a running job with its progress and pid, the queue behind it, and cancels the running one with its button', async () => {
    const submit = (name: string, steps: number) =>
      submitJson(svc.url, { type: 'greet', name, steps: String(steps) });
    const long = await submit('Bob', 100);
    const queued = await submit('Cy', 1);
    await waitFor(
      async () =>
        ((
          (await (await fetch(`${svc.url}/api/jobs/${long}`)).json()) as {
            progress?: { fraction: number } | null;
          }
        ).progress?.fraction ?? 0) > 0,
      30_000,
      'Bob running with progress',
    );
    const page = await contexts.desktop.newPage();
    await page.goto(`${svc.url}/admin`);
    const run = page.locator(`#run-${long}`);
    await run.locator('progress').waitFor();
    assert.match((await run.textContent()) ?? '', /local pid \d+/);
    assert.match((await run.textContent()) ?? '', /Thinking of a greeting for Bob/);
    assert.equal(await page.locator(`#queued-${queued} td`).first().textContent(), '1');
    await checkTidy(page, 'dashboard with a running job');
    await shot(page, 'dashboard-running-desktop');
    const phone = await contexts.phone.newPage();
    await phone.goto(`${svc.url}/admin`);
    await checkTidy(phone, 'dashboard with a running job (phone)');
    await shot(phone, 'dashboard-running-phone');
    await phone.close();

    await Promise.all([page.waitForURL(/\/cancel$/), page.locator(`#cancel-${long}`).click()]);
    await Promise.all([page.waitForURL(/\/admin\?done=cancel/), page.locator('#confirm').click()]);
    assert.match(
      (await page.locator('#note').textContent()) ?? '',
      new RegExp(`Cancel: job ${long} is now (failed|postprocessing|finalizing)`),
    );
    // The queued job runs once the slot is free; the open dashboard sees it complete.
    await page.locator(`#failed-${long}`).waitFor({ timeout: 30_000 });
    await waitFor(
      async () =>
        (await page.locator(`#queued-${queued}`).count()) === 0 &&
        (await page.locator(`#run-${queued}`).count()) === 0,
      30_000,
      'Cy done',
    );
    assert.match((await page.locator(`#failed-${long}`).textContent()) ?? '', /cancelled/);
    await page.close();
  });
});
