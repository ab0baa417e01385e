/**
 * Fair share: what one admission, one queue position and one cancel cost with 1,000,
 * 10,000 and 100,000 jobs queued, from 1 submitter and from 100 (also 1,000 submitters),
 * printed side by side so the growth with the queue's size shows: O(log n) grows by the
 * ratio of logarithms (100k/1k: 1.67×), a scan by 100×.
 *
 * Baselines, measured in the same run at the same sizes:
 * - queue_order = fifo, whose position is a binary search in a sorted array (O(log n) by
 *   construction);
 * - `isQueued` of a random job (one hash lookup, O(1)): the price of touching a random
 *   job's memory at that size. Past the CPU's caches every random access pays a memory
 *   latency, whatever the algorithm; a position asked of the jobs in queue order (each
 *   next to the last in memory) shows the structure's own growth without it.
 *
 * An admission is measured in steady state: a running job ends, the scheduler admits the
 * next, a new job arrives (the queue keeps its size). A cancel: a random queued job
 * leaves, a new one arrives. Each figure is CPU time, the median of 3 runs.
 */
import { createScheduler, type QueuedJob, type Scheduler } from '../../src/scheduler/index.js';
import { pct } from './util.js';

const RUNNING = 20;
const SIZES = [1_000, 10_000, 100_000] as const;
type Order = 'fair' | 'fifo';
interface Costs {
  admit: number;
  position: number;
  inOrder: number;
  lookup: number;
  cancel: number;
}

function filled(queued: number, submitters: number, order: Order) {
  const s: Scheduler = createScheduler(RUNNING, () => null, { order });
  let n = 0;
  let t = 0;
  const next = (): QueuedJob => ({
    id: `j${n++}`,
    type: 't',
    submitted: t++,
    submitter: `u${Math.floor(Math.random() * submitters)}`,
  });
  for (let i = 0; i < queued + RUNNING; i++) s.enqueue(next());
  return { s, next, running: s.admit() };
}

/** Microseconds of CPU per operation of `fn` over `xs` (on a shared machine, wall time counts others' turns). */
function per<X>(xs: X[], fn: (x: X) => number): number {
  const t0 = process.cpuUsage();
  let sum = 0;
  for (const x of xs) sum += fn(x);
  if (Number.isNaN(sum)) throw new Error('unreachable');
  const { user, system } = process.cpuUsage(t0);
  return (user + system) / xs.length;
}

function measure(queued: number, submitters: number, order: Order): Costs {
  const { s, next, running } = filled(queued, submitters, order);
  const cycles = Array.from({ length: 20_000 }, () => Math.floor(Math.random() * RUNNING));
  const admit = per(cycles, (k) => {
    s.release(running[k]!.id, running[k]!.slot);
    running[k] = s.admit()[0]!;
    s.enqueue(next());
    return 0;
  });
  const ids = s.queued().map((j) => j.id);
  const pick = () => ids[Math.floor(Math.random() * ids.length)]!;
  const asks = Array.from({ length: 20_000 }, pick);
  const position = per(asks, (id) => s.position(id)!);
  const lookup = per(asks, (id) => (s.isQueued(id) ? 1 : 0));
  const inOrder = per(ids.slice(0, 20_000), (id) => s.position(id)!);
  const gone = [...new Set(Array.from({ length: 5_000 }, pick))];
  const cancel = per(gone, (id) => {
    s.dequeue(id);
    s.enqueue(next());
    return 0;
  });
  if (s.queuedCount() !== queued) throw new Error(`queue size ${s.queuedCount()}, not ${queued}`);
  return { admit, position, inOrder, lookup, cancel };
}

function measured(queued: number, submitters: number, order: Order): Costs {
  const runs = [0, 1, 2].map(() => measure(queued, submitters, order));
  const m = (k: keyof Costs) =>
    pct(
      runs.map((r) => r[k]),
      50,
    );
  return {
    admit: m('admit'),
    position: m('position'),
    inOrder: m('inOrder'),
    lookup: m('lookup'),
    cancel: m('cancel'),
  };
}

const ROWS: [keyof Costs, string][] = [
  ['admit', 'admission (end + admit + arrival)'],
  ['position', 'queue position, random job'],
  ['inOrder', 'queue position, jobs in queue order'],
  ['lookup', 'baseline: isQueued, random job (O(1))'],
  ['cancel', 'cancel (+ arrival)'],
];
const cell = (v: number) => v.toFixed(v < 10 ? 2 : 1).padStart(9);

/** Run the scenario. */
export default async function fairshare(): Promise<void> {
  measure(10_000, 100, 'fair'); // warm up the JIT
  measure(10_000, 100, 'fifo');
  const runs: [string, Costs[]][] = [];
  for (const [label, subs, order] of [
    ['fair, 1 submitter', 1, 'fair'],
    ['fair, 100 submitters', 100, 'fair'],
    ['fair, 1,000 submitters', 1_000, 'fair'],
    ['fifo (baseline), 100 submitters', 100, 'fifo'],
  ] as const) {
    runs.push([label, SIZES.map((n) => measured(n, subs, order))]);
  }
  console.log(
    `${'µs of CPU per operation, queued:'.padEnd(66)}${SIZES.map((n) => n.toLocaleString('en').padStart(9)).join('')}  100k/1k (log n: ${(Math.log(1e5) / Math.log(1e3)).toFixed(2)}×)`,
  );
  for (const [key, what] of ROWS) {
    for (const [label, costs] of runs) {
      const v = costs.map((c) => c[key]);
      console.log(
        `${`${what}, ${label}`.padEnd(66)}${v.map(cell).join('')}  ${(v[2]! / v[0]!).toFixed(2)}×`,
      );
    }
  }
}
