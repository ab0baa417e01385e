/**
 * Fair share: what one admission and one queue position cost with 10,000 jobs queued
 * from 100 submitters, beside the same with one submitter (ratios). An admission is
 * measured in steady state: a running job ends, the scheduler admits the next, and a new
 * job arrives (the queue stays at its size). A position is asked of random queued jobs.
 * Also at 1,000 and 100,000 queued, and from 1,000 submitters, to show how each scales.
 */
import {
  type Admitted,
  createScheduler,
  type QueuedJob,
  type Scheduler,
} from '../../src/scheduler/index.js';
import { figure } from './util.js';

const RUNNING = 20;

function filled(
  queued: number,
  submitters: number,
): { s: Scheduler; next: () => QueuedJob; running: Admitted[] } {
  const s = createScheduler(RUNNING, () => null);
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

/** Microseconds per admission (release + admit + a new arrival), and per position. */
function measure(queued: number, submitters: number): { admit: number; position: number } {
  const { s, next, running } = filled(queued, submitters);
  const cycles = 50_000;
  let t0 = performance.now();
  for (let i = 0; i < cycles; i++) {
    const k = Math.floor(Math.random() * running.length);
    s.release(running[k]!.id, running[k]!.slot);
    running[k] = s.admit()[0]!;
    s.enqueue(next());
  }
  const admit = ((performance.now() - t0) * 1000) / cycles;
  const ids = s.queued().map((j) => j.id);
  const asks = 20_000;
  const picks = Array.from({ length: asks }, () => ids[Math.floor(Math.random() * ids.length)]!);
  t0 = performance.now();
  let sum = 0;
  for (const id of picks) sum += s.position(id)!;
  const position = ((performance.now() - t0) * 1000) / asks;
  if (sum < 0) throw new Error('unreachable');
  return { admit, position };
}

/** Run the scenario. */
export default async function fairshare(): Promise<void> {
  measure(10_000, 100); // warm up the JIT
  const one = measure(10_000, 1);
  const many = measure(10_000, 100);
  figure('admission, 10,000 queued, 1 submitter', one.admit, 'µs');
  figure(
    'admission, 10,000 queued, 100 submitters',
    many.admit,
    'µs',
    `${(many.admit / one.admit).toFixed(2)}× one submitter`,
  );
  figure('queue position, 10,000 queued, 1 submitter', one.position, 'µs');
  figure(
    'queue position, 10,000 queued, 100 submitters',
    many.position,
    'µs',
    `${(many.position / one.position).toFixed(2)}× one submitter`,
  );
  for (const [queued, submitters] of [
    [1_000, 100],
    [100_000, 100],
    [10_000, 1_000],
  ] as const) {
    const m = measure(queued, submitters);
    figure(
      `admission, ${queued.toLocaleString('en')} queued, ${submitters} submitters`,
      m.admit,
      'µs',
      `${(m.admit / many.admit).toFixed(2)}× 10,000/100`,
    );
    figure(
      `queue position, ${queued.toLocaleString('en')} queued, ${submitters} submitters`,
      m.position,
      'µs',
      `${(m.position / many.position).toFixed(2)}× 10,000/100`,
    );
  }
}
