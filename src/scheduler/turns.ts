/**
 * Turns: the order of start-time fair queueing (Goyal, Vin and Cheng, SIGCOMM 1996).
 *
 * Each job arriving gives its submitter a turn with a fixed tag:
 *   tag = max(V, the submitter's latest tag + 1)
 * where the latest tag is that of its last turn still waiting, else of its last job
 * started, and V (the virtual time) is the highest tag of any job started so far. Turns
 * are ordered by tag, ties by the submission time of the job whose arrival gave the turn
 * (then by arrival). A submitter's waiting jobs hold its turns in submission order: its
 * k-th waiting job (from 0) holds its k-th turn, so a job arriving out of order (a job
 * requeued with its old submission time) takes the turn of the job it goes before, and
 * the jobs after it move to their next turn, the new one last. A job leaving the queue
 * (started, cancelled, found running) takes its own turn with it; nothing else moves.
 *
 * What follows: submitters with waiting jobs take turns, one job each per tag; a
 * newcomer's first tag is V, the current round, so it never waits behind a backlog; one
 * submitter's jobs keep their order. Nothing here is stored: a restarted backend derives
 * the turns again from the job directories (V = 0, the jobs it finds running as started
 * at 0, the waiting jobs queued in submission order: a submitter's waiting jobs get rounds
 * 0, 1, 2…, or 1, 2, 3… when one of its jobs is running).
 *
 * Three order-statistics trees (rank-tree.ts) hold it: all turns, and per submitter its
 * waiting jobs and its turns. A job's turn is its submitter's turn at the job's rank among
 * the submitter's waiting jobs, and its place in the queue is that turn's rank among all
 * turns: O(log n) for a position, an arrival, a departure.
 */
import type { Entry } from './deque.js';
import { type Key, RankTree } from './rank-tree.js';

/** A turn of a submitter. */
export interface Turn {
  tag: number;
  /** Submission time of the job whose arrival gave this turn (ties between submitters). */
  submitted: number;
  seq: number;
  sub: Sub;
  /** Its place: by tag, then by submission of the job that gave it, then by arrival. */
  key: Key;
}

/** A waiting job and its submitter's queue. */
export interface Waiting extends Entry {
  sub: Sub;
  /** Its place among its submitter's: by submission, then by arrival. */
  key: Key;
}

/** One submitter with waiting jobs. */
export interface Sub {
  name: string;
  jobs: RankTree<Waiting>;
  turns: RankTree<Turn>;
  /** Per job type: its waiting jobs of that type, and the turn of the first of them. */
  byType: Map<string, { jobs: RankTree<Waiting>; turn: Turn }>;
}

const keyOf = (x: { key: Key }): Key => x.key;

/** Whether turn a comes before turn b (the order of their keys). */
export const turnBefore = (a: Turn, b: Turn): boolean =>
  a.tag !== b.tag
    ? a.tag < b.tag
    : a.submitted !== b.submitted
      ? a.submitted < b.submitted
      : a.seq < b.seq;

/**
 * The queue in turn order. `firstMoved(sub, type)` hears of every change of the turn
 * held by `sub`'s first waiting job of `type` (also when it has none left).
 */
export class Turns {
  /** Waiting jobs by id. */
  readonly entries = new Map<string, Waiting>();
  /** Submitters with waiting jobs. */
  readonly subs = new Map<string, Sub>();
  private readonly all = new RankTree<Turn>(keyOf);
  /** The tag of each submitter's last job started, while it may still matter (>= V). */
  private readonly lastStarted = new Map<string, number>();
  /** The virtual time V: the highest tag started. */
  private v = 0;
  private seq = 0;
  private pruneAt = 1024;

  constructor(private readonly firstMoved: (sub: Sub, type: string) => void) {}

  /** Queue `job`: it and its submitter get a turn. */
  add(job: Omit<Entry, 'seq'>): Waiting {
    const sub = this.subOf(job.submitter);
    const latest = Math.max(sub.turns.last()?.tag ?? -1, this.lastStarted.get(sub.name) ?? -1);
    const tag = Math.max(this.v, latest + 1);
    const seq = this.seq++;
    const turn: Turn = { tag, submitted: job.submitted, seq, sub, key: [tag, job.submitted, seq] };
    const { id, type, submitted, submitter } = job;
    const w: Waiting = { id, type, submitted, submitter, seq, sub, key: [submitted, seq, 0] };
    this.entries.set(w.id, w);
    sub.jobs.insert(w);
    sub.turns.insert(turn);
    this.all.insert(turn);
    let t = sub.byType.get(w.type);
    if (!t) {
      t = { jobs: new RankTree<Waiting>(keyOf), turn };
      sub.byType.set(w.type, t);
    }
    t.jobs.insert(w);
    if (sub.jobs.last() === w) {
      // Arrived last (the usual case): it holds the new turn, nobody else moved.
      if (t.jobs.first() === w) this.setFirst(sub, w.type);
    } else {
      for (const type of sub.byType.keys()) this.setFirst(sub, type);
    }
    return w;
  }

  /** Take waiting job `w` off the queue with its turn (`turn`, when the caller knows it); returns that turn. */
  remove(w: Waiting, turn = this.turnOf(w)): Turn {
    const { sub } = w;
    this.entries.delete(w.id);
    sub.jobs.delete(w);
    sub.turns.delete(turn);
    this.all.delete(turn);
    const t = sub.byType.get(w.type)!;
    const wasFirst = t.jobs.first() === w;
    t.jobs.delete(w);
    if (t.jobs.size === 0) sub.byType.delete(w.type);
    if (wasFirst) this.setFirst(sub, w.type);
    if (sub.jobs.size === 0) this.subs.delete(sub.name);
    return turn;
  }

  /** A job of `submitter` holding turn `turn` started (null: found running, taken as started now). */
  started(submitter: string, turn: Turn | null): void {
    const tag = turn ? turn.tag : this.v;
    if (tag > this.v) this.v = tag;
    this.lastStarted.set(submitter, Math.max(tag, this.lastStarted.get(submitter) ?? -1));
    // Forget the submitters whose last start no longer matters (their next tag is V anyway).
    if (this.lastStarted.size > this.pruneAt) {
      for (const [name, t] of this.lastStarted) if (t < this.v) this.lastStarted.delete(name);
      this.pruneAt = 1024 + 2 * this.lastStarted.size;
    }
  }

  /** The turn waiting job `w` holds. */
  turnOf(w: Waiting): Turn {
    return w.sub.turns.at(w.sub.jobs.rank(w))!;
  }

  /** How many waiting jobs hold a turn before `w`'s. */
  rank(w: Waiting): number {
    return this.all.rank(this.turnOf(w));
  }

  /** The first `limit` waiting jobs in turn order. */
  *ordered(limit = Infinity): IterableIterator<Waiting> {
    // A turn's holder: the job at the turn's rank in its submitter's queue.
    for (const turn of this.all.items(limit)) yield turn.sub.jobs.at(turn.sub.turns.rank(turn))!;
  }

  private setFirst(sub: Sub, type: string): void {
    const t = sub.byType.get(type);
    if (t) t.turn = this.turnOf(t.jobs.first()!);
    this.firstMoved(sub, type);
  }

  private subOf(name: string): Sub {
    const known = this.subs.get(name);
    if (known) return known;
    const sub: Sub = {
      name,
      jobs: new RankTree<Waiting>(keyOf),
      turns: new RankTree<Turn>(keyOf),
      byType: new Map(),
    };
    this.subs.set(name, sub);
    return sub;
  }
}
