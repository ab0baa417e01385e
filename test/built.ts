/**
 * The built package (dist/) that tests run as users do: the `jobdir` command, and what
 * Node resolves "jobdir" to (the demo services, the templates' JSX runtime). npm test
 * builds it first (scripts/test.sh); a test file run on its own checks here that no
 * source is newer than its build, so a stale dist/ is never tested in silence.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The `jobdir` command as installed (package.json "bin"). */
export const JOBDIR_BIN = join(ROOT, 'dist/src/cli/bin.cjs');

/** The built sources (tsconfig.build.json): src/ but its services, and templates/. */
function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (path !== join(ROOT, 'src/services')) yield* sources(path);
    } else if (/\.(c?ts|tsx)$/.test(e.name) && !e.name.endsWith('.d.ts')) yield path;
  }
}

/** The first source whose build is missing or older than it, or null when dist/ is current. */
export function staleSource(): string | null {
  for (const dir of ['src', 'templates'])
    for (const src of sources(join(ROOT, dir))) {
      const out = join(ROOT, 'dist', relative(ROOT, src)).replace(/\.(c?)tsx?$/, '.$1js');
      const built = statSync(out, { throwIfNoEntry: false });
      if (!built || built.mtimeMs < statSync(src).mtimeMs) return relative(ROOT, src);
    }
  return null;
}

const stale = staleSource();
if (stale)
  throw new Error(
    `dist/ is not built from the current sources (${stale} is newer or not built): run \`npm run build\` (npm test builds first)`,
  );
