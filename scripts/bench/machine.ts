/**
 * What the machine spent, for the spine and peers benches: whole-machine CPU from
 * /proc/stat, a process's and its children's CPU from /proc/PID/stat (the local launcher's
 * and its wrappers'), Node alone spawning /bin/true (the baseline of every ratio), the
 * kernel's price of creating a file in the data root, and the launcher + wrapper path alone.
 *
 * The price of a file creation is the figure to read first. These VMs' ext4 has no
 * journal, and then the kernel's inode allocator skips every inode freed in the last ~30 s
 * (find_inode_bit → recently_deleted, seen with perf): measured here, a create + unlink
 * costs ~40 µs of CPU, but ~1,200 µs for 30 s after 10,000 files were deleted in the same
 * place, then ~60-110 µs again. So nothing here deletes files before or during a
 * measurement (probes leave theirs for the end), and `npm run bench` removes the scenarios'
 * data only once all have run. A job replaces config.ini twice and its by-id link once,
 * so a burst taxes its own later creations too.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLauncher, LAUNCHER } from '../../src/runners/launcher.js';
import { WRAPPER } from '../../src/runners/local.js';

/** Busy and idle clock ticks of the whole machine since boot. */
export function machineTicks(): { busy: number; idle: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  const idle = f[3]! + f[4]!;
  return { busy: f.reduce((a, b) => a + b, 0) - idle, idle };
}

/** The fields of /proc/PID/stat after the command name (f[1]: the parent's pid; f[11..14]: utime, stime, cutime, cstime). */
export function procStat(pid: number): number[] {
  const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return raw
    .slice(raw.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
}

/**
 * Clock ticks (user + system, its own and its reaped children's) of each live child of
 * `parent` whose command line holds `marker`, by pid: subtract two of these (pid by pid)
 * for what they spent between.
 */
export function childTicks(parent: number, marker: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const f = procStat(Number(name));
      if (f[1] !== parent) continue;
      if (!readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(marker)) continue;
      out.set(Number(name), f[11]! + f[12]! + f[13]! + f[14]!);
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** childTicks of each launcher sh that `parent` started. */
export function launcherTicks(parent = process.pid): Map<number, number> {
  return childTicks(parent, LAUNCHER);
}

/** Ticks the launchers of `after` spent since `before`. */
export function launcherDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, ticks] of after) sum += ticks - (before.get(pid) ?? 0);
  return sum;
}

/** Milliseconds per clock tick (USER_HZ is 100 on Linux). */
export const TICK_MS = 10;

/**
 * Node alone, the baseline of every throughput ratio: a fresh, small node process spawning
 * `/bin/true` n times, `concurrency` at once; its jobs per second.
 */
export async function nodeSpawnRate(n: number, concurrency: number): Promise<number> {
  const code = `const {spawn}=require('child_process');let next=0;const t=performance.now();
const w=async()=>{while(next<${n}){next++;await new Promise(r=>spawn('/bin/true',[],{stdio:'ignore'}).once('exit',r));}};
Promise.all(Array.from({length:${concurrency}},w)).then(()=>console.log(${n}/((performance.now()-t)/1000)));`;
  const out = await new Promise<string>((resolve, reject) => {
    const c = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let o = '';
    c.stdout!.on('data', (d: Buffer) => void (o += d.toString()));
    c.once('exit', (st) =>
      st === 0 ? resolve(o) : reject(new Error(`node spawning /bin/true exited ${st}`)),
    );
  });
  return Number(out.trim());
}

/** Median system + user CPU (µs) of creating one small file in a fresh folder under `root` (left there). */
export function fileCreateCost(root: string, n = 300): number {
  const dir = mkdtempSync(join(root, 'probe-'));
  const costs: number[] = [];
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    writeFileSync(join(dir, `f${i}`), 'x'.repeat(100));
    const c = process.cpuUsage(c0);
    costs.push(c.user + c.system);
  }
  return costs.sort((a, b) => a - b)[n >> 1]!;
}

/**
 * The local launcher and wrapper alone, no server: `n` job folders made beforehand (and
 * left under `root`), each running /bin/true, `concurrency` at once. Jobs/s and machine
 * core-ms per job.
 */
export async function wrapperPathRate(
  root: string,
  n: number,
  concurrency: number,
): Promise<{ rate: number; coreMs: number }> {
  const base = mkdtempSync(join(root, 'wrap-'));
  for (let i = 0; i < n; i++) {
    mkdirSync(join(base, `j${i}`));
    writeFileSync(join(base, `j${i}`, 'argv'), '/bin/true\n');
  }
  const launcher = createLauncher(WRAPPER);
  const keep = setInterval(() => {}, 1000); // the launcher's pipes are unref'd
  const m0 = machineTicks();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        await new Promise<void>((resolve) =>
          launcher.launch(join(base, `j${i}`), 1, 0, 1, resolve),
        );
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const m1 = machineTicks();
  clearInterval(keep);
  launcher.close();
  return { rate: n / secs, coreMs: ((m1.busy - m0.busy) * TICK_MS) / n };
}
