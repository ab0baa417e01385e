/**
 * A real browser for the page tests: Debian's /usr/bin/chromium driven by playwright-core
 * (never `npx playwright install`), at a desktop and a phone size, with the checks every
 * page gets: axe-core finds no serious or critical violation, every control has a label,
 * the page does not scroll sideways, the CSP refused nothing. Screenshots go to
 * test-artifacts/e2e/.
 */
import assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ROOT } from './helpers.js';

export const ARTIFACTS = join(ROOT, 'test-artifacts/e2e');
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];
export const SIZES = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;
export type Size = keyof typeof SIZES;

/** Launch Debian's Chromium. */
export async function launchBrowser(): Promise<Browser> {
  await fs.mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

/**
 * One context per size, in a time zone and language of their own (Tokyo, British English),
 * so that local times are told apart from the server's UTC.
 */
export async function sizedContexts(
  browser: Browser,
  extra: Parameters<Browser['newContext']>[0] = {},
): Promise<Record<Size, BrowserContext>> {
  const out = {} as Record<Size, BrowserContext>;
  for (const [name, viewport] of Object.entries(SIZES)) {
    const c = await browser.newContext({
      viewport,
      timezoneId: 'Asia/Tokyo',
      locale: 'en-GB',
      acceptDownloads: true,
      ...extra,
    });
    // A step that never ends fails the test instead of holding it.
    c.setDefaultTimeout(60_000);
    out[name as Size] = c;
  }
  return out;
}

/** Messages of pages the CSP refused something on (an inline script, another origin). */
const refused = new WeakMap<Page, string[]>();

/** A page that records what the CSP refused (checked by checkPage). */
export async function openPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  const seen: string[] = [];
  refused.set(page, seen);
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) seen.push(m.text());
  });
  return page;
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** One axe violation, as the assertion lists it. */
export interface Violation {
  id: string;
  impact: string;
  help: string;
  nodes: string[];
}

/**
 * axe-core's violations on the page as it is now. Its source is evaluated in the page
 * (CDP, not a <script>: the page's CSP allows scripts from its own origin only).
 */
export async function axeViolations(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(o: object): Promise<AxeResults> } }).axe;
    type AxeResults = {
      violations: {
        id: string;
        impact: string;
        help: string;
        nodes: { target: string[] }[];
      }[];
    };
    const r = await axe.run({ resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
    }));
  });
}

/** Every visible form control has a label; the page does not scroll sideways. */
export async function checkTidy(page: Page, what: string): Promise<void> {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll('input:not([type=hidden]),select,textarea')]
      .filter(
        (el) => (el as HTMLInputElement).labels?.length === 0 && !el.getAttribute('aria-label'),
      )
      .map((el) => el.outerHTML),
  );
  assert.deepEqual(unlabelled, [], `${what}: controls without a label`);
  await checkNoSideScroll(page, what);
}

/** The page does not scroll sideways: it is no wider than its window. */
export async function checkNoSideScroll(page: Page, what: string): Promise<void> {
  const [scroll, width] = await page.evaluate(() => [
    document.documentElement.scrollWidth,
    window.innerWidth,
  ]);
  assert.ok(scroll <= width, `${what}: the page is ${scroll}px wide in a ${width}px window`);
}

/**
 * Each visible text input's, select's and textarea's border against what is on either side
 * of it (its own background, and the nearest opaque background around it): WCAG 1.4.11 asks
 * for 3:1, which axe-core does not check. Returns `contrast  control` for each one below.
 */
export async function weakBorders(page: Page): Promise<string[]> {
  // A string, not a function: the test runner's transform would add helpers the page lacks.
  return page.evaluate(WEAK_BORDERS) as Promise<string[]>;
}

const WEAK_BORDERS = `(() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = (c) => {
    const [r, g, b] = rgb(c).map((v) => {
      const x = v / 255;
      return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const opaque = (c) => rgb(c).length === 3 || rgb(c)[3] === 1;
  const around = (el) => {
    for (let e = el.parentElement; e; e = e.parentElement) {
      const bg = getComputedStyle(e).backgroundColor;
      if (opaque(bg)) return bg;
    }
    return 'rgb(255, 255, 255)';
  };
  const weak = [];
  const controls = document.querySelectorAll(
    'input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=file]),select,textarea',
  );
  for (const el of controls) {
    if (!el.offsetParent) continue;
    const st = getComputedStyle(el);
    const inside = opaque(st.backgroundColor) ? st.backgroundColor : around(el);
    const worst = Math.min(ratio(st.borderTopColor, inside), ratio(st.borderTopColor, around(el)));
    if (worst < 3) weak.push(worst.toFixed(2) + ':1  ' + el.outerHTML.slice(0, 80));
  }
  return weak;
})()`;

/**
 * The checks every page kind gets: tidy (checkTidy), nothing refused by the CSP, input
 * borders of 3:1, no serious or critical axe violation (minor and moderate ones are
 * returned, to be read).
 */
export async function checkPage(page: Page, what: string): Promise<Violation[]> {
  await checkTidy(page, what);
  assert.deepEqual(await weakBorders(page), [], `${what}: input borders under 3:1`);
  assert.deepEqual(refused.get(page) ?? [], [], `${what}: refused by the CSP`);
  const all = await axeViolations(page);
  const bad = all.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${what}: serious or critical accessibility violations`);
  return all;
}

/** A full-page screenshot, test-artifacts/e2e/NAME.png. */
export function shot(page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** A screenshot of a page kind (NAME-desktop.png or NAME-phone.png), then checkPage. */
export async function pageKind(page: Page, name: string, size: Size): Promise<Violation[]> {
  await shot(page, `${name}-${size}`);
  return checkPage(page, `${name} (${size})`);
}
