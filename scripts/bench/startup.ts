/**
 * Issue 25's figures: how long the `jobdir` command takes to start, run as users run it
 * (the package's `bin`, in a process of its own), beside `node -e 0` measured in the same
 * run. `jobdir list` is a CLI verb (config read, state folders listed). `jobdir serve` is
 * timed from the spawn until its first HTTP answer (200 from /healthz): once with a
 * service module in JavaScript, once with the same module in TypeScript (which needs a
 * compiler at run time: tsx, loaded only then). Each is run RUNS times, interleaved, so
 * all see the same machine; the first run of each is reported apart (caches cold).
 */
import { spawn, spawnSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir, writeConfig } from '../../test/helpers.js';
import { figure, pct } from './util.js';

const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 15);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
};
const BIN = join(ROOT, pkg.bin.jobdir!);

const SERVICE = `export default {
  name: 'bench',
  title: 'Bench',
  jobTypes: [{ name: 'run', fields: {}, run: () => ['/bin/true'] }],
};
`;

function timeSync(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr.toString()}`);
  return ms;
}

/** Spawn `jobdir serve`, wait for its URL, then for a 200 from /healthz; the time from spawn to that answer. */
async function timeServe(cfg: string): Promise<number> {
  const t = performance.now();
  const p = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--config', cfg], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  p.stderr.on('data', (d: Buffer) => void (err += d.toString()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      p.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = / is serving on (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      p.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
    for (;;) {
      const res = await fetch(`${url}/healthz`).catch(() => null);
      if (res?.status === 200) {
        await res.arrayBuffer();
        return performance.now() - t;
      }
      await res?.arrayBuffer();
    }
  } finally {
    if (p.exitCode === null && p.signalCode === null) {
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await gone;
    }
  }
}

export default async function startup(): Promise<void> {
  const root = tempDir('jobdir-bench-startup-');
  // As in a project of `jobdir new-service`: its package.json makes .ts files ES modules.
  await fs.writeFile(join(root, 'package.json'), '{"type":"module"}\n');
  await fs.writeFile(join(root, 'bench.mjs'), SERVICE);
  await fs.writeFile(
    join(root, 'bench.ts'),
    SERVICE.replace('fields: {},', 'fields: {} as Record<string, never>,'),
  );
  const cfg = (dir: string, service: string) =>
    fs
      .mkdir(join(root, dir))
      .then(() => writeConfig(join(root, dir), { general: { service: join(root, service) } }));
  const js = await cfg('js', 'bench.mjs');
  const ts = await cfg('ts', 'bench.ts');
  const runs: Record<string, number[]> = { node: [], list: [], serveJs: [], serveTs: [] };
  for (let i = 0; i < RUNS; i++) {
    runs.node!.push(timeSync(['-e', '0']));
    runs.list!.push(timeSync([BIN, 'list', '--config', js]));
    runs.serveJs!.push(await timeServe(js));
    runs.serveTs!.push(await timeServe(ts));
  }
  const med = (xs: number[]) => pct(xs.slice(1), 50);
  const node = med(runs.node!);
  console.log(`${RUNS} runs each, interleaved; median of runs 2..${RUNS}, and the first run`);
  figure('node -e 0', node, 'ms', `first ${runs.node![0]!.toFixed(0)} ms`);
  const show = (name: string, xs: number[]) =>
    figure(
      name,
      med(xs),
      'ms',
      `${(med(xs) / node).toFixed(1)}x node -e 0; p90 ${pct(xs.slice(1), 90).toFixed(0)} ms; first ${xs[0]!.toFixed(0)} ms`,
    );
  show('jobdir list', runs.list!);
  show('jobdir serve ready (JS service module)', runs.serveJs!);
  show('jobdir serve ready (TS service module)', runs.serveTs!);
}
