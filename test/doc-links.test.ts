/**
 * Every relative link of the documentation resolves: each `](path)` of README.md and
 * docs/*.md names a file of the repository, and each `#anchor` a heading of its page (as
 * GitHub makes anchors of headings).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** Markdown without its fenced blocks and inline code (a `#` or `](` there is no heading or link). */
const prose = (md: string) => md.replace(/^```[^]*?^```$/gm, '').replace(/`[^`\n]*`/g, '');

/** GitHub's anchor of a heading: lower case, punctuation dropped, each space a hyphen. */
const anchor = (heading: string) =>
  heading
    .replace(/`/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

/** The anchors of a page's headings (a repeated one gets -1, -2… as on GitHub). */
function anchorsOf(file: string): Set<string> {
  const md = readFileSync(file, 'utf8').replace(/^```[^]*?^```$/gm, '');
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, h] of md.matchAll(/^#{1,6} (.+)$/gm)) {
    const a = anchor(h!);
    const n = seen.get(a) ?? 0;
    seen.set(a, n + 1);
    out.add(n ? `${a}-${n}` : a);
  }
  return out;
}

/** Every relative link target of a page, as written. */
const linksOf = (md: string) =>
  [...prose(md).matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));

describe('the documentation', () => {
  test('finds pages to check, links in them, and anchors the way GitHub writes them', () => {
    assert.ok(PAGES.includes('docs/internals.md') && PAGES.includes('docs/deploy.md'));
    assert.ok(linksOf(readFileSync(join(ROOT, 'README.md'), 'utf8')).length >= 5);
    assert.equal(
      anchor('Running on a cluster (Slurm, Grid Engine)'),
      'running-on-a-cluster-slurm-grid-engine',
    );
    assert.equal(
      anchor('How fast, beside a durable queue (`npm run bench`)'),
      'how-fast-beside-a-durable-queue-npm-run-bench',
    );
    assert.deepEqual(linksOf('[a](b.md) `[c](d.md)` [e](https://x.org) [f](#g)'), ['b.md', '#g']);
  });

  for (const page of PAGES) {
    test(`every relative link of ${page} resolves, anchors included`, () => {
      const broken: string[] = [];
      for (const target of linksOf(readFileSync(join(ROOT, page), 'utf8'))) {
        const [path, hash] = target.split('#') as [string, string | undefined];
        const file = path ? join(dirname(join(ROOT, page)), decodeURI(path)) : join(ROOT, page);
        if (relative(ROOT, file).startsWith('..') || !existsSync(file)) {
          broken.push(`${target}: no file ${relative(ROOT, file)}`);
          continue;
        }
        if (hash !== undefined && !(file.endsWith('.md') && anchorsOf(file).has(hash)))
          broken.push(`${target}: no heading with the anchor #${hash} in ${relative(ROOT, file)}`);
      }
      assert.deepEqual(broken, []);
    });
  }
});
