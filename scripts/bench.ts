/**
 * `npm run bench [NAME…]`: runs each scenario in scripts/bench/ (or only those named) and
 * prints its figures. Every figure is given beside a baseline measured in the same run,
 * because the machine is shared and noisy. Scenarios export `default async () => void`.
 */
import { readdirSync } from 'node:fs';

const only = process.argv.slice(2);
const dir = new URL('./bench/', import.meta.url);
const names = readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
for (const name of names) {
  if (only.length && !only.includes(name)) continue;
  console.log(`\n## ${name}`);
  const mod = (await import(new URL(`${name}.ts`, dir).href)) as { default: () => Promise<void> };
  await mod.default();
}
