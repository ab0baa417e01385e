/**
 * The admin's search in a real browser (Debian's chromium through playwright-core) against a
 * real server: from the dashboard's search box, an admin finds a completed and an archived
 * job and opens each one's page; the search page at phone size. Screenshots go to
 * test-artifacts/e2e/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { sweepOldJobs } from '../src/ops/sweep.js';
import { silentLog } from '../src/log.js';
import { checkNoSideScroll, launchBrowser, shot, SIZES } from './browser.js';
import { FIXTURE_SERVICE, idFromRedirect, idsIn, submitForm, waitFor } from './helpers.js';
import { ADMIN, startTestServer, type TestServer } from './server.js';

describe('in a browser: the admin searches and opens what it finds', () => {
  let svc: TestServer;
  let browser: Browser;
  let archived = '';
  let completed = '';

  before(async () => {
    svc = await startTestServer(
      { general: { service: FIXTURE_SERVICE }, oldjobs: { archive: '30d', expire: 'NEVER' } },
      { admin: true },
    );
    const ended = (id: string) =>
      waitFor(async () => (await idsIn(svc.root, 'completed')).includes(id), 30_000, id);
    archived = idFromRedirect(
      await submitForm(svc.url, { type: 'ok', text: 'old', email: 'ines@lab.example' }),
    );
    await ended(archived);
    const DAY = 86_400_000;
    await sweepOldJobs(
      { cfg: svc.cfg, service: svc.service, store: svc.store, log: silentLog },
      Date.now() + 31 * DAY,
    );
    assert.deepEqual(await idsIn(svc.root, 'archived'), [archived]);
    completed = idFromRedirect(
      await submitForm(svc.url, { type: 'ok', text: 'new', email: 'ines@lab.example' }),
    );
    await ended(completed);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await svc?.close();
  });

  test('from the dashboard, "ines" finds the completed and the archived job, newest first; each opens its admin page', async () => {
    const ctx = await browser.newContext({ viewport: SIZES.desktop, httpCredentials: ADMIN });
    const page = await ctx.newPage();
    await page.goto(`${svc.url}/admin`);
    await page.getByLabel('Find a job').fill('ines');
    await Promise.all([page.waitForURL(/\/admin\/jobs\?q=ines$/), page.keyboard.press('Enter')]);
    assert.match((await page.locator('#summary').textContent()) ?? '', /^2 jobs match/);
    const rows = page.locator('#hits tr.hit');
    assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.id)), [
      `hit-${completed}`,
      `hit-${archived}`,
    ]);
    assert.equal(await page.locator(`#hit-${archived} .state`).textContent(), 'archived');
    await shot(page, 'admin-search-desktop');

    await page.getByRole('link', { name: archived }).click();
    await page.waitForURL(new RegExp(`/admin/jobs/${archived}$`));
    assert.equal(await page.locator('#state').textContent(), 'archived');
    assert.match((await page.locator('#parameters').textContent()) ?? '', /old/);
    assert.match((await page.locator('#log').textContent()) ?? '', /archived/);
    await page.goBack();
    await page.getByRole('link', { name: completed }).click();
    await page.waitForURL(new RegExp(`/admin/jobs/${completed}$`));
    assert.equal(await page.locator('#state').textContent(), 'completed');
    assert.match((await page.locator('#parameters').textContent()) ?? '', /new/);
    await shot(page, 'admin-job-files-desktop');

    // A narrower search, typed into the search page's own box.
    await page.goto(`${svc.url}/admin/jobs`);
    await page.getByLabel('Search every job, in every state').fill('ines state:archived');
    await Promise.all([page.waitForURL(/q=ines\+state%3Aarchived/), page.keyboard.press('Enter')]);
    assert.deepEqual(
      await page.locator('#hits tr.hit').evaluateAll((trs) => trs.map((tr) => tr.id)),
      [`hit-${archived}`],
    );
    await ctx.close();
  });

  test('a bad query shows its message beside the box; on a phone the page does not scroll sideways', async () => {
    const ctx = await browser.newContext({ viewport: SIZES.phone, httpCredentials: ADMIN });
    const page = await ctx.newPage();
    const res = await page.goto(`${svc.url}/admin/jobs?q=${encodeURIComponent('stat:failed')}`);
    assert.equal(res?.status(), 400);
    assert.match(
      (await page.getByRole('alert').textContent()) ?? '',
      /unknown filter stat: \(did you mean state:\?\)/,
    );
    assert.equal(
      await page.getByLabel('Search every job, in every state').inputValue(),
      'stat:failed',
    );
    await page.goto(`${svc.url}/admin/jobs?q=ines`);
    await checkNoSideScroll(page, 'the search page (phone)');
    await shot(page, 'admin-search-phone');
    await ctx.close();
  });
});
