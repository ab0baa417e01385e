/**
 * In Chromium (Debian's, through playwright-core), behind a real nginx over TLS configured by
 * docs/deploy.md (test/nginx.ts, a self-signed certificate): a service at /svc (nginx strips
 * the prefix) is walked form → results → download → my-jobs → admin → cancel, and every
 * request the browser makes must stay under https://127.0.0.1:P/svc/. A second service at
 * /two (nginx keeps the prefix) on the same host keeps its cookies apart from the first's.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from './browser.js';
import { freePort, myJobsLink, waitFor } from './helpers.js';
import { type Nginx, startNginx } from './nginx.js';
import { ADMIN, closeAll, type MailingTestServer, startTestServer } from './server.js';

describe('in Chromium behind nginx with TLS and a path prefix', () => {
  let nginx: Nginx;
  let svc: MailingTestServer;
  let two: MailingTestServer;
  let browser: Browser;
  let origin = '';
  let urltop = '';

  before(async () => {
    const [tlsPort, redirectPort, a, b] = await Promise.all(Array.from({ length: 4 }, freePort));
    origin = `https://127.0.0.1:${tlsPort}`;
    urltop = `${origin}/svc`;
    const demo = (top: string, port: number) =>
      startTestServer(
        {
          general: { urltop: top },
          web: { port, trust_proxy: 'true' },
          service: { sleep_seconds: '0.1', greet_delay: '1' },
        },
        { admin: true, mail: true, port },
      );
    svc = await demo(urltop, a!);
    two = await demo(`${origin}/two`, b!);
    nginx = await startNginx(
      [
        {
          port: tlsPort!,
          tls: true,
          services: [
            { prefix: '/svc', port: a! },
            { prefix: '/two', port: b!, keep: true },
          ],
        },
      ],
      redirectPort!,
    );
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await nginx?.stop();
    await closeAll(svc, two);
  });

  /** A browser context that trusts nothing but is told to go on past the self-signed certificate. */
  const context = () =>
    browser.newContext({ ignoreHTTPSErrors: true, httpCredentials: ADMIN, acceptDownloads: true });

  /** Record every request `page` makes that leaves `top` (the browser's own /favicon.ico aside). */
  function watch(page: Page, top: string): { outside: string[]; count: () => number } {
    const outside: string[] = [];
    let n = 0;
    page.on('request', (r) => {
      n++;
      const u = new URL(r.url());
      if (u.pathname === '/favicon.ico') return;
      if (!(r.url() === top || r.url().startsWith(`${top}/`))) outside.push(r.url());
    });
    return { outside, count: () => n };
  }

  test('form → results (it reloads itself) → download → my-jobs → admin (live) → cancel, every request under /svc/, cookies Secure with Path=/svc', async () => {
    const ctx: BrowserContext = await context();
    const page = await ctx.newPage();
    const seen = watch(page, urltop);

    await page.goto(`${urltop}/`);
    await page.getByLabel('x (dividend)').fill('6');
    await page.getByLabel('y (divisor)').fill('3');
    await page.getByLabel(/Email address/).fill('ada@example.test');
    await Promise.all([
      page.waitForURL(/\/svc\/jobs\/[a-z]+$/),
      page.getByRole('button', { name: 'Submit' }).click(),
    ]);
    const id = /\/jobs\/([a-z]+)$/.exec(page.url())![1]!;
    // The results page reloads itself (meta refresh) until the job is done.
    while ((await page.locator('#state').textContent()) !== 'completed')
      await page.waitForEvent('load', { timeout: 30_000 });
    assert.equal((await page.locator('#result').textContent())?.trim(), '6 / 3 = 2');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'stdout.txt' }).click(),
    ]);
    assert.match(await fs.readFile(await download.path(), 'utf8'), /answer is: 2/);

    await page.goto(`${urltop}/my-jobs`);
    await page.getByLabel('Email address').fill('ada@example.test');
    await page.getByRole('button', { name: 'Send me the link' }).click();
    await page.locator('#sent').waitFor();
    const link = await myJobsLink(svc.smtp);
    assert.ok(link.startsWith(`${urltop}/my-jobs/`), link);
    await page.goto(link);
    await Promise.all([
      page.waitForURL(`${urltop}/jobs/${id}`),
      page.getByRole('link', { name: id }).click(),
    ]);

    // A long job on the dashboard: the live panel (server-sent events through nginx) shows it end.
    await page.goto(`${urltop}/?type=greet`);
    await page.getByLabel('Name').fill('Bo');
    await page.getByLabel('Steps').fill('100');
    await Promise.all([
      page.waitForURL(/\/svc\/jobs\/[a-z]+$/),
      page.getByRole('button', { name: 'Submit' }).click(),
    ]);
    const long = /\/jobs\/([a-z]+)$/.exec(page.url())![1]!;
    await page.goto(`${urltop}/admin`);
    await page.locator(`#run-${long}, #queued-${long}`).first().waitFor();
    // The first panel event has arrived through nginx and been swapped in.
    await page.locator('#live[data-updates]').waitFor();
    await Promise.all([page.waitForURL(/\/cancel$/), page.locator(`#cancel-${long}`).click()]);
    await Promise.all([
      page.waitForURL(`${urltop}/admin?done=cancel&job=${long}`),
      page.locator('#confirm').click(),
    ]);
    await page.locator(`#failed-${long}`).waitFor({ timeout: 30_000 });
    await page.goto(`${urltop}/admin/jobs/${long}`);
    assert.equal(await page.locator('#state').textContent(), 'failed');

    // Cancel from the results page.
    await page.goto(`${urltop}/?type=greet`);
    await page.getByLabel('Name').fill('Cy');
    await page.getByLabel('Steps').fill('100');
    await Promise.all([
      page.waitForURL(/\/svc\/jobs\/[a-z]+$/),
      page.getByRole('button', { name: 'Submit' }).click(),
    ]);
    const third = page.url();
    await Promise.all([
      page.waitForEvent('load'),
      page.getByRole('button', { name: 'Cancel this job' }).click(),
    ]);
    assert.equal(page.url(), third, 'back on the results page after Cancel');
    await waitFor(
      async () =>
        (
          (await (await page.request.get(`${third.replace('/jobs/', '/api/jobs/')}`)).json()) as {
            state: string;
          }
        ).state === 'failed',
      30_000,
      'the cancelled job failed',
    );

    assert.deepEqual(seen.outside, [], 'requests outside /svc/');
    assert.ok(seen.count() >= 20, `${seen.count()} requests`);
    const cookies = await ctx.cookies();
    assert.deepEqual(cookies.map((c) => [c.name, c.path, c.secure, c.httpOnly]).sort(), [
      ['jobdir_csrf', '/svc', true, true],
      ['jobdir_email', '/svc', true, true],
    ]);
    await ctx.close();
  });

  test('two services under two prefixes of one host keep their cookies apart: each form works, and each remembers its own email', async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    const submit = async (top: string, email: string) => {
      await page.goto(`${top}/`);
      await page.getByLabel('x (dividend)').fill('1');
      await page.getByLabel('y (divisor)').fill('1');
      await page.getByLabel(/Email address/).fill(email);
      await Promise.all([
        page.waitForURL(new RegExp(`^${top}/jobs/[a-z]+$`)),
        page.getByRole('button', { name: 'Submit' }).click(),
      ]);
    };
    await submit(urltop, 'one@example.test');
    await submit(two.cfg.general.urltop, 'two@example.test');
    // Each form's CSRF token came from its own service's cookie: a second round still works.
    await submit(urltop, 'one@example.test');
    const cookies = (await ctx.cookies()).map((c) => [c.name, c.path]).sort();
    assert.deepEqual(cookies, [
      ['jobdir_csrf', '/svc'],
      ['jobdir_csrf', '/two'],
      ['jobdir_email', '/svc'],
      ['jobdir_email', '/two'],
    ]);
    await page.goto(`${urltop}/`);
    assert.equal(await page.getByLabel(/Email address/).inputValue(), 'one@example.test');
    await page.goto(`${two.cfg.general.urltop}/`);
    assert.equal(await page.getByLabel(/Email address/).inputValue(), 'two@example.test');
    await ctx.close();
  });
});
