/**
 * What really ran: the run log that test/fixtures/count.sh appends to (one `start` and one
 * `end` line per run of the program, with its job id, pid and time). Recovery tests assert
 * on this, not on jobdir's own logs.
 */
import { readFileSync } from 'node:fs';

/** One run of a program: when it started, and ended (null: it never finished). */
export interface Run {
  id: string;
  pid: number;
  start: number;
  end: number | null;
}

/** The runs recorded in `log`, in start order. */
export function readRuns(log: string): Run[] {
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    return [];
  }
  const runs: Run[] = [];
  const open = new Map<string, Run>();
  for (const line of text.split('\n')) {
    const m = /^(start|end) ([a-z]+) (\d+) (\d+)$/.exec(line);
    if (!m) continue;
    const t = Number(BigInt(m[4]!) / 1000n) / 1000; // ms, with µs kept
    const key = `${m[2]} ${m[3]}`;
    if (m[1] === 'start') {
      const r: Run = { id: m[2]!, pid: Number(m[3]), start: t, end: null };
      runs.push(r);
      open.set(key, r);
    } else {
      const r = open.get(key);
      if (r) r.end = t;
      open.delete(key);
    }
  }
  return runs.sort((a, b) => a.start - b.start);
}

/** Runs per job id. */
export function runsById(runs: Run[]): Map<string, Run[]> {
  const out = new Map<string, Run[]>();
  for (const r of runs) out.set(r.id, [...(out.get(r.id) ?? []), r]);
  return out;
}

/** The most programs running at one moment (an unfinished run counts until `now`). */
export function maxConcurrent(runs: Run[], now = Date.now()): number {
  const edges: [number, number][] = [];
  for (const r of runs) edges.push([r.start, 1], [r.end ?? now, -1]);
  // Ends before starts at the same instant: a slot handed on is not two at once.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of edges) max = Math.max(max, (cur += d));
  return max;
}

/** Pairs of runs of one job that overlapped in time. */
export function overlaps(runs: Run[]): [Run, Run][] {
  const out: [Run, Run][] = [];
  for (const list of runsById(runs).values()) {
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!;
      if (prev.end === null || prev.end > list[i]!.start) out.push([prev, list[i]!]);
    }
  }
  return out;
}
