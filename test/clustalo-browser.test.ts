/**
 * The Clustal Omega service (src/services/clustalo) in a real browser, running Debian's
 * real clustalo behind a real server: the form (either the box or a file, the example
 * globins, errors), a short job's result at the first reload, the alignment readable at
 * 1280 px and 390 px (blocks that fit, residue numbers in view, Clustal X colours and their
 * switch), the guide tree as text, an upload listed by name and size, and axe-core on each
 * page, with screenshots in test-artifacts/e2e/.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, openPage, pageKind, type Size, sizedContexts, SIZES } from './browser.js';
import { freePort, ROOT } from './helpers.js';
import { startTestServer, type TestServer } from './server.js';

const SIZE_NAMES = Object.keys(SIZES) as Size[];
const THREE = `>sp|P69905|HBA_HUMAN Hemoglobin subunit alpha
MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDLSHGSAQVKGHGKKVADALTNAVAHVDDMPNALSALSDLHAHKLRVDPVNFKLLSHCLLVTLAAHLPAEFTPAVHASLDKFLASVSTVLTSKYR
>sp|P68871|HBB_HUMAN Hemoglobin subunit beta
MVHLTPEEKSAVTALWGKVNVDEVGGEALGRLLVVYPWTQRFFESFGDLSTPDAVMGNPKVKAHGKKVLGAFSDGLAHLDNLKGTFATLSELHCDKLHVDPENFRLLGNVLVCVLAHHFGKEFTPPVQAAYQKVVAGVANALAHKYH
>sp|P02144|MYG_HUMAN Myoglobin
MGLSDGEWQLVLNVWGKVEADIPGHGQEVLIRLFKGHPETLEKFDKFKHLKSEDEMKASEDLKKHGATVLTALGGILKKKGHHEAEIKPLAQSHATKHKIPVKYLEFISECIIQVLQSKHPGDFGADAQGAMNKALELFRKDMASNYKELGFQG
`;

/** Submit the form as it is filled and follow the results page to the end; returns the job id. */
async function submitAndWait(page: Page): Promise<{ id: string; first: string; reloads: number }> {
  await Promise.all([
    page.waitForURL(/\/jobs\/[a-z]+$/),
    page.getByRole('button', { name: 'Submit' }).click(),
  ]);
  const id = /\/jobs\/([a-z]+)$/.exec(page.url())![1]!;
  const first = (await page.locator('#state').textContent()) ?? '';
  let reloads = 0;
  while (!['completed', 'failed'].includes((await page.locator('#state').textContent()) ?? '')) {
    await page.waitForEvent('load', { timeout: 60_000 });
    reloads++;
  }
  return { id, first, reloads };
}

/** What the alignment looks like on the page: the block width shown, and anything cut off. */
async function layout(page: Page) {
  return page.evaluate(() => {
    const shown = [...document.querySelectorAll<HTMLElement>('.aln-w')].filter(
      (v) => getComputedStyle(v).display !== 'none',
    );
    const blocks = shown.flatMap((v) => [...v.querySelectorAll<HTMLElement>('.aln-block')]);
    return {
      shown: shown.map((v) => v.className),
      blocks: blocks.length,
      // A block wider than its box would scroll sideways (the residue numbers out of view).
      cut: blocks.filter((b) => b.scrollWidth > b.clientWidth).length,
      lines: blocks[0]?.textContent?.split('\n') ?? [],
    };
  });
}

describe('in a browser: Clustal Omega, with Debian’s clustalo', () => {
  let svc: TestServer;
  let browser: Browser;
  let ctx: Record<Size, BrowserContext>;
  let exampleJob = '';

  before(async () => {
    const port = await freePort();
    svc = await startTestServer(
      {
        general: {
          service: join(ROOT, 'src/services/clustalo/index.ts'),
          urltop: `http://127.0.0.1:${port}`,
          service_name: 'Clustal Omega',
        },
        web: { port, submit_limit: '1000/1h' },
        'job clustalo': { time_limit: '2h' },
      },
      { port },
    );
    browser = await launchBrowser();
    ctx = await sizedContexts(browser);
  });
  after(async () => {
    await browser?.close();
    await svc?.close();
  });

  test('the form says the box or a file is required, states the time limit, and fills in the example globins', async () => {
    for (const size of SIZE_NAMES) {
      const page = await openPage(ctx[size]);
      await page.goto(`${svc.url}/`);
      const label = (await page.locator('label[for=sequence]').textContent()) ?? '';
      assert.doesNotMatch(label, /optional/);
      assert.match(label, /one of the two is required/);
      assert.equal(await page.locator('label[for=sequence] .req').count(), 1);
      assert.doesNotMatch(
        (await page.locator('label[for=sequence_file]').textContent()) ?? '',
        /optional/,
      );
      assert.match((await page.locator('#time-limit').textContent()) ?? '', /at most 2 h/);
      await pageKind(page, 'clustalo-form', size);
      await Promise.all([page.waitForURL(/example/), page.locator('#example').click()]);
      const example = await page.locator('#sequence').inputValue();
      assert.equal((example.match(/^>/gm) ?? []).length, 6, 'six globins');
      assert.match(example, /HBA_HORSE/);
      await page.close();
    }
  });

  test('neither box nor file, or both: the form is shown again with the message at the top', async () => {
    for (const size of SIZE_NAMES) {
      const page = await openPage(ctx[size]);
      await page.goto(`${svc.url}/`);
      await page.getByRole('button', { name: 'Submit' }).click();
      await page.locator('#error-summary').waitFor();
      const summary = (await page.locator('#error-summary').textContent()) ?? '';
      assert.match(summary, /Sequences \(FASTA\): is required: paste two or more sequences/);
      assert.equal(await page.locator('#error-summary a[href="#sequence"]').count(), 1);
      await pageKind(page, 'clustalo-form-errors', size);
      await page.close();
    }
  });

  test('the example: its result shows at the first reload; the alignment fits at 1280 px and at 390 px with its residue numbers, coloured by class with a switch, and the guide tree is listed', async (t) => {
    const page = await openPage(ctx.desktop);
    await page.goto(`${svc.url}/?type=clustalo&example`);
    const sent = Date.now();
    const { id, first, reloads } = await submitAndWait(page);
    exampleJob = id;
    t.diagnostic(
      `first page said "${first}"; the result showed after ${reloads} reload(s), ${Date.now() - sent} ms after the submission`,
    );
    assert.equal(await page.locator('#state').textContent(), 'completed');
    assert.match((await page.locator('#ran').textContent()) ?? '', /^\d+(\.\d)? (ms|s)$/);
    assert.match(
      (await page.locator('#result').textContent()) ?? '',
      /6 sequences aligned, \d+ columns/,
    );

    for (const size of SIZE_NAMES) {
      const p = size === 'desktop' ? page : await openPage(ctx.phone);
      if (p !== page) await p.goto(page.url());
      const l = await layout(p);
      t.diagnostic(`${size}: ${l.shown.join(' ')}, ${l.blocks} blocks, first line "${l.lines[0]}"`);
      assert.equal(l.cut, 0, `${size}: no block scrolls sideways`);
      assert.deepEqual(l.shown, [size === 'desktop' ? 'aln-w aln-w60' : 'aln-w aln-w20']);
      // Each sequence's line ends with its residue count; the conservation line follows.
      assert.match(
        l.lines[0]!,
        /^(HB[AB]|MYG)_(HUMAN|HORSE) +-?[A-Z-]{1,10}( [A-Z-]{1,10})* +\d+$/,
      );
      assert.equal(l.lines.length, 7, 'six sequences and the conservation line');
      assert.match(l.lines[6]!, /^ +[ *:.]*\*[ *:.]*$/);
      // Clustal X colours: glycine is orange; the switch turns them off.
      const glycine = p.locator('.aln-w:visible .aO').first();
      assert.equal(
        await glycine.evaluate((e) => getComputedStyle(e).backgroundColor),
        'rgb(240, 144, 72)',
      );
      const tree = await p.locator('.tree .leaf').allTextContents();
      assert.deepEqual([...tree].sort(), [
        'HBA_HORSE',
        'HBA_HUMAN',
        'HBB_HORSE',
        'HBB_HUMAN',
        'MYG_HORSE',
        'MYG_HUMAN',
      ]);
      await pageKind(p, 'clustalo-results', size);
      await p.locator('#aln-colour').uncheck();
      assert.equal(
        await glycine.evaluate((e) => getComputedStyle(e).backgroundColor),
        'rgba(0, 0, 0, 0)',
      );
      await pageKind(p, 'clustalo-results-plain', size);
      if (p !== page) await p.close();
    }
    await page.close();
  });

  test('an uploaded file is listed by name and size; running again says the file is not copied', async () => {
    const page = await openPage(ctx.desktop);
    await page.goto(`${svc.url}/`);
    await page.locator('#sequence_file').setInputFiles({
      name: 'three globins.fa',
      mimeType: 'text/plain',
      buffer: Buffer.from(THREE),
    });
    await page.locator('#outfmt').selectOption('fa');
    const { id } = await submitAndWait(page);
    assert.equal(await page.locator('#state').textContent(), 'completed');
    const rows = Object.fromEntries(
      await page
        .locator('#parameters tr')
        .evaluateAll((trs) =>
          trs.map((tr) => [tr.children[0]!.textContent, tr.children[1]!.textContent]),
        ),
    );
    assert.equal(rows['FASTA file'], `three_globins.fa (${THREE.length} bytes)`);
    assert.equal(rows['Sequences (FASTA)'], 'not given');
    assert.equal(rows['Output format'], 'fa');
    assert.equal(rows['Output guide tree'], 'yes');
    assert.match(
      (await page.locator('#rerun-uploads').textContent()) ?? '',
      /choose FASTA file again/,
    );
    // The FASTA alignment is read back too: the viewer, without a conservation line.
    assert.equal((await layout(page)).cut, 0);
    assert.equal((await layout(page)).lines.length, 3);
    await pageKind(page, 'clustalo-results-upload', 'desktop');
    await Promise.all([page.waitForURL(/from=/), page.locator('#rerun').click()]);
    assert.match(
      (await page.locator('#notice').textContent()) ?? '',
      /Uploaded files are not copied: choose FASTA file again/,
    );
    assert.equal(await page.locator('#outfmt').inputValue(), 'fa');
    assert.equal(await page.locator('#sequence').inputValue(), '');
    await pageKind(page, 'clustalo-form-rerun', 'desktop');
    assert.ok(id && exampleJob);
    await page.close();
  });

  test('an alignment in a format the page does not read back (MSF) is shown as the file, in a box that scrolls rather than the page', async () => {
    const page = await openPage(ctx.phone);
    await page.goto(`${svc.url}/?type=clustalo&example`);
    await page.locator('#outfmt').selectOption('msf');
    await submitAndWait(page);
    assert.match((await page.locator('pre.alignment').textContent()) ?? '', /MSF: +\d+ +Type: P/);
    await pageKind(page, 'clustalo-results-msf', 'phone');
    await page.close();
  });
});
