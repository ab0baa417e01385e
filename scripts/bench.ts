/**
 * `npm run bench [NAME…]`: runs each scenario in scripts/bench/ (or only those named) and
 * prints its figures. Every figure is given beside a baseline measured in the same run,
 * because the machine is shared and noisy. Scenarios export `default async () => void`;
 * other modules there (helpers) are skipped. Each scenario runs in a fresh process of its
 * own: one that fills a 100k-job store must not slow the forks of the next one. Their data
 * (under one temporary folder, their TMPDIR) is removed only after the last one: on these
 * VMs' journal-less ext4, files deleted in the last ~30 s make every file creation up to
 * 30× dearer (scripts/bench/machine.ts), and a scenario's cleanup would tax the next.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = new URL('./bench/', import.meta.url);
const [flag, one] = process.argv.slice(2);
if (flag === '--one') {
  const mod = (await import(new URL(`${one}.ts`, dir).href)) as { default?: unknown };
  if (typeof mod.default === 'function') {
    console.log(`\n## ${one}`);
    await (mod.default as () => Promise<void>)();
  }
  process.exit(0);
}
const only = process.argv.slice(2);
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .sort();
const unknown = only.filter((n) => !names.includes(n));
if (unknown.length) {
  console.error(
    `npm run bench: no scenario named ${unknown.join(', ')} in scripts/bench/ (there are: ${names.join(', ')})`,
  );
  process.exit(2);
}
let failed = 0;
const data = mkdtempSync(join(tmpdir(), 'jobdir-bench-run-'));
const env = { ...process.env, TMPDIR: data, JOBDIR_KEEP_TEMP: '1' };
for (const name of names) {
  if (only.length && !only.includes(name)) continue;
  const r = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--one', name],
    { stdio: 'inherit', env },
  );
  if (r.status !== 0) {
    console.error(`scenario ${name} failed (exit ${r.status ?? r.signal})`);
    failed++;
  }
}
rmSync(data, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
