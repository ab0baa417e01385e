/** What `npm pack` ships: what `jobdir` needs at run time, and none of the repo's own test and bench tooling. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ROOT } from './helpers.js';

const run = promisify(execFile);

describe('the npm package', () => {
  test('ships src, templates, wrapper, the jobdir command and the docs, every file they import, and no tests, bench, CI or job data', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--loglevel=error'], {
      cwd: ROOT,
    });
    const files = new Set(
      (JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path),
    );
    for (const f of files)
      assert.doesNotMatch(
        f,
        /^(test|\.ci|jobs|scripts\/bench)\/|^scripts\/(?!jobdir\.mjs$)/,
        `${f} is not shipped`,
      );
    for (const f of [
      'package.json',
      'README.md',
      'docs/writing-a-service.md',
      'scripts/jobdir.mjs',
      'wrapper/jobdir-wrapper.sh',
      'wrapper/jobdir-launcher.sh',
      'src/cli/main.ts',
      'src/services/slowdiv/slowdiv.ini',
    ]) {
      assert.ok(files.has(f), `${f} is shipped`);
    }
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
      exports: Record<string, string>;
    };
    for (const target of [...Object.values(pkg.bin), ...Object.values(pkg.exports)])
      assert.ok(files.has(normalize(target)), `${target} (bin/exports) is shipped`);
    // Every relative import of a shipped module resolves to a shipped file (.js names the .ts source).
    for (const f of files) {
      if (!/\.(ts|tsx|mjs)$/.test(f)) continue;
      for (const [, spec] of readFileSync(join(ROOT, f), 'utf8').matchAll(
        /(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g,
      )) {
        const to = normalize(join(dirname(f), spec!));
        assert.ok(
          [to, to.replace(/\.js$/, '.ts'), to.replace(/\.js$/, '.tsx')].some((p) => files.has(p)),
          `${f} imports ${spec}, which is not shipped`,
        );
      }
    }
  });

  test('the pages render from a project whose tsconfig says nothing of JSX (each .tsx names its JSX runtime, jobdir)', async () => {
    // tsx compiles every file with the tsconfig of the directory it runs in: a service's own.
    const dir = await mkdtemp(join(tmpdir(), 'jobdir-project-'));
    try {
      await writeFile(join(dir, 'tsconfig.json'), '{"compilerOptions":{"strict":true}}');
      const pages = pathToFileURL(join(ROOT, 'templates/pages.tsx')).href;
      const { stdout } = await run(
        process.execPath,
        [
          '--import',
          import.meta.resolve('tsx'),
          '--input-type=module',
          '-e',
          `const { errorPage } = await import(${JSON.stringify(pages)});
          process.stdout.write(String(errorPage({ serviceName: 'S' }, 404, 'm', 'n')));`,
        ],
        { cwd: dir },
      );
      assert.match(stdout, /<h1>Not found<\/h1>/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
