/**
 * `npm run bench peers`: jobdir beside the durable queue a lab would pick instead (issue 27).
 * The workload: JOBS jobs, each running /bin/true, at most 4 at once; one client submits one
 * job at a time (each answered before the next), then waits for all to complete; or one
 * bulk request carrying all of them. Every system runs in every round (BENCH_ROUNDS, 3 by
 * default), and each rate is divided by raw Node spawn's in the same round: the machine is
 * shared and its speed drifts, a ratio within a round does not.
 */
import { tempDir } from '../../test/helpers.js';
import { bullmq, startRedis } from './peers-bullmq.js';
import { CONCURRENCY, JOBS, rawSpawn, type Result, spread, WARMUP } from './peers-common.js';
import { jobdir } from './peers-jobdir.js';
import { fileCreateCost } from './machine.js';
import { pct } from './util.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ONLY = (process.env.BENCH_PEERS ?? '').split(',').filter(Boolean);

const RAW = 'raw Node spawn, no queue';
const SYSTEMS: [
  string,
  (ctx: { redis: Awaited<ReturnType<typeof startRedis>> }) => Promise<Result | null>,
][] = [
  ['BullMQ queue.add (Redis AOF fsync always)', ({ redis }) => bullmq(redis, 'add')],
  ['BullMQ addBulk (one call)', ({ redis }) => bullmq(redis, 'bulk')],
  ['jobdir POST /api/jobs, one at a time', () => jobdir('one')],
  ['jobdir POST /api/jobs, one bulk request', () => jobdir('bulk')],
  ['jobdir one at a time, --web-only + backend', () => jobdir('one', { split: true })],
  ['jobdir one at a time, every state visited', () => jobdir('one', { visitAll: true })],
];

const f = (x: number | null | undefined, d = 1) =>
  x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d);

function show(name: string, r: Result, ratio: number): void {
  const sub = r.submit.length ? `${f(pct(r.submit, 50), 2)} / ${f(pct(r.submit, 99), 2)}` : '–';
  console.log(
    `  ${name.padEnd(42)} ${f(r.rate, 0).padStart(7)} ${f(ratio, 2).padStart(6)} ${sub.padStart(18)} ${f(pct(r.starts, 50)).padStart(10)} ${f(r.serverMs, 2).padStart(7)} ${f(r.jobsMs, 2).padStart(6)} ${f(r.clientMs, 2).padStart(7)} ${f(r.machineMs, 2).padStart(8)}`,
  );
}

export default async function (): Promise<void> {
  const redis = await startRedis(tempDir('jobdir-peers-redis-'));
  // What one file creation costs the kernel here now: on these VMs' journal-less ext4 it
  // grows tenfold while neighbours delete files (scripts/bench/machine.ts), and jobdir
  // creates ~12 inodes per job where Redis appends to one file.
  const probe = tempDir('jobdir-peers-probe-');
  console.log(`creating one small file: ${fileCreateCost(probe)} µs CPU (median of 300) before`);
  const systems = SYSTEMS.filter(([name]) => !ONLY.length || ONLY.some((o) => name.includes(o)));
  const ratios = new Map<string, number[]>();
  const all = new Map<string, Result[]>();
  console.log(
    `${JOBS} jobs of /bin/true, at most ${CONCURRENCY} at once, each queue after ${WARMUP} warm-up jobs (not counted); ${ROUNDS} rounds, every system in each`,
  );
  console.log(
    `${'system'.padEnd(44)} ${'jobs/s'.padStart(7)} ${'× raw'.padStart(6)} ${'submit p50/p99 ms'.padStart(18)} ${'→start p50'.padStart(10)} ${'server'.padStart(7)} ${'jobs'.padStart(6)} ${'client'.padStart(7)} ${'machine'.padStart(8)}`,
  );
  console.log(
    `${''.padEnd(44)} ${''.padStart(7)} ${''.padStart(6)} ${''.padStart(18)} ${''.padStart(10)} ${'CPU ms per job (machine: every core, neighbours too)'}`,
  );
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`round ${round}`);
      // Raw spawn before each system and after the last: each rate is divided by the mean
      // of the two raw rates around it (the machine's speed drifts within a round too).
      let before = await rawSpawn();
      show(RAW, before, 1);
      for (const [name, run] of systems) {
        const r = await run({ redis });
        const after = await rawSpawn();
        show(RAW, after, 1);
        const raw = (before.rate + after.rate) / 2;
        before = after;
        if (!r) {
          console.log(`  ${name.padEnd(42)} not available (the server refused a bulk body)`);
          continue;
        }
        (ratios.get(name) ?? ratios.set(name, []).get(name)!).push(r.rate / raw);
        (all.get(name) ?? all.set(name, []).get(name)!).push(r);
        show(name, r, r.rate / raw);
      }
    }
  } finally {
    await redis.stop();
  }
  console.log(`creating one small file: ${fileCreateCost(probe)} µs CPU after`);
  console.log(
    `summary over ${ROUNDS} rounds: ratio to raw spawn min / median / max; medians of the rest`,
  );
  for (const [name, rs] of ratios) {
    const s = spread(rs);
    const runs = all.get(name)!;
    const med = (g: (r: Result) => number | null) => {
      const xs = runs.map(g).filter((x): x is number => x !== null && !Number.isNaN(x));
      return xs.length ? pct(xs, 50) : null;
    };
    console.log(
      `  ${name.padEnd(42)} ${f(s.min, 2)} / ${f(s.med, 2)} / ${f(s.max, 2)}   submit p50 ${f(
        med((r) => pct(r.submit, 50)),
        2,
      )} p99 ${f(
        med((r) => pct(r.submit, 99)),
        2,
      )} ms, →start p50 ${f(med((r) => pct(r.starts, 50)))} ms, server ${f(
        med((r) => r.serverMs),
        2,
      )} ms/job (kernel ${f(
        med((r) => r.serverSysMs),
        2,
      )}), jobs' processes ${f(
        med((r) => r.jobsMs),
        2,
      )}, client ${f(
        med((r) => r.clientMs),
        2,
      )}, machine ${f(
        med((r) => r.machineMs),
        2,
      )} core-ms/job`,
    );
  }
}
