/**
 * The fair order on its own (src/scheduler/turns.ts, fair.ts): submitters take turns, a
 * newcomer joins the current round, a limit of 1 is no longer first come first served,
 * positions predict the order in which waiting jobs start while nothing arrives (whatever
 * ends or is cancelled meanwhile), and where a limit holds a job back the slot goes to the
 * first job after it in that order that may start.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { createScheduler, type QueuedJob, type Scheduler } from '../src/scheduler/index.js';
import { RankTree } from '../src/scheduler/rank-tree.js';
import { free, ids, job } from './queued.js';

/** Free slots one at a time (ending the running job `end(running)` picks) until the queue is empty. */
function drain(
  s: Scheduler,
  running: QueuedJob[],
  end: (r: QueuedJob[]) => number = () => 0,
): string[] {
  const order: string[] = [];
  while (s.queuedCount()) {
    const [done] = running.splice(end(running) % running.length, 1);
    free(s, done!.id);
    const got = s.admit();
    running.push(...got);
    order.push(...ids(got));
  }
  return order;
}

describe('turns', () => {
  test("running = 1: A queues 6 jobs, then B one, then C one: B's and C's start before A's second", () => {
    const s = createScheduler(1, () => null);
    const a = [job('a', 0)];
    s.enqueue(a[0]!);
    const running = s.admit();
    for (let i = 1; i < 6; i++) a.push(job('a', i));
    a.slice(1).forEach((j) => s.enqueue(j));
    const b = job('b', 10);
    const c = job('c', 11);
    s.enqueue(b);
    s.enqueue(c);
    assert.deepEqual([s.position(b.id), s.position(c.id), s.position(a[1]!.id)], [0, 1, 2]);
    assert.deepEqual(drain(s, running), ids([b, c, ...a.slice(1)]));
  });

  test('submitters with waiting jobs take turns, one job each, each in its own submission order', () => {
    const s = createScheduler(1, () => null);
    const queued = ['a', 'a', 'a', 'b', 'b', 'c', 'a'].map((who, i) => job(who, i));
    queued.forEach((j) => s.enqueue(j));
    const [a0, a1, a2, b0, b1, c0, a3] = queued;
    assert.deepEqual(ids(s.queued()), ids([a0!, b0!, c0!, a1!, b1!, a2!, a3!]));
    assert.deepEqual(drain(s, s.admit()), ids([b0!, c0!, a1!, b1!, a2!, a3!]));
  });

  test("a newcomer joins the current round: it waits behind one job of each other submitter, never a backlog; an end changes nobody's place", () => {
    const s = createScheduler(2, () => null);
    for (let i = 0; i < 30; i++) s.enqueue(job('a', i));
    for (let i = 0; i < 30; i++) s.enqueue(job('b', 100 + i));
    const running = s.admit();
    for (let k = 0; k < 20; k++) {
      free(s, running.shift()!.id);
      running.push(...s.admit());
    }
    const d = job('d', 1000);
    s.enqueue(d);
    assert.ok(
      s.position(d.id)! <= 2,
      `position ${s.position(d.id)}: at most A's and B's turn of this round`,
    );
    const before = new Map(s.queued().map((q) => [q.id, s.position(q.id)]));
    free(s, running[0]!.id); // an end, no admission yet
    assert.deepEqual(new Map(s.queued().map((q) => [q.id, s.position(q.id)])), before);
  });

  test("a job requeued with its old submission time goes before its submitter's later jobs, taking the turn of the first of them", () => {
    const s = createScheduler(1, () => null);
    const a = [job('a', 0), job('a', 1), job('a', 2)];
    a.forEach((j) => s.enqueue(j));
    const b = job('b', 5);
    s.enqueue(b);
    const [first] = s.admit();
    free(s, first!.id); // it never ran: back in the queue with its submission time
    s.enqueue(a[0]!);
    // A had its round-0 turn (a0 started), so B's round-0 turn comes first; then a0 takes
    // a1's turn, a1 a2's, and a2 the turn its return gave A.
    assert.deepEqual(ids(s.queued()), ids([b, a[0]!, a[1]!, a[2]!]));
  });

  test("after a restart: a submitter's waiting jobs get rounds 0, 1, 2…, or 1, 2, 3… when it has a job running", () => {
    const s = createScheduler(1, () => null);
    s.activate('ran', 't', 'a'); // found running
    const a = [job('a', 1), job('a', 2)];
    const b = [job('b', 3), job('b', 4)];
    [...a, ...b].sort((x, y) => x.submitted - y.submitted).forEach((j) => s.enqueue(j));
    assert.deepEqual(ids(s.queued()), ids([b[0]!, a[0]!, b[1]!, a[1]!]));
  });

  test('a cancelled job takes its turn with it; the others keep theirs', () => {
    const s = createScheduler(1, () => null);
    s.activate('busy', 't', 'z');
    const a = [job('a', 0), job('a', 1), job('a', 2)];
    const b = [job('b', 3), job('b', 4)];
    [...a, ...b].forEach((j) => s.enqueue(j));
    s.dequeue(a[1]!.id);
    assert.deepEqual(ids(s.queued()), ids([a[0]!, b[0]!, b[1]!, a[2]!]));
    assert.equal(s.position(a[2]!.id), 3);
  });
});

/** Positions of every queued job, in queue order. */
const positions = (s: Scheduler) => s.queued().map((j) => [j.id, s.position(j.id)] as const);

describe('positions (property)', () => {
  test('random arrivals (some requeued with old times), ends and cancels: a snapshot of positions is the order in which the waiting jobs then start, whatever ends or is cancelled meanwhile', () => {
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('arrive' as const),
        who: fc.nat(5),
        dt: fc.nat(3),
        back: fc.nat(6),
      }),
      fc.record({ kind: fc.constant('end' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.array(step, { maxLength: 100 }),
        fc.array(fc.tuple(fc.boolean(), fc.nat()), { maxLength: 200 }),
        (limit, steps, later) => {
          const s = createScheduler(limit, () => null);
          const running: QueuedJob[] = [];
          let now = 0;
          let newcomers = 0;
          for (const e of steps) {
            const waiting = s.queued();
            if (e.kind === 'arrive') {
              // back > 3: a requeue, submitted before its submitter's newest jobs
              // who 5: a submitter never seen before
              const fresh = e.who === 5;
              const q = job(
                fresh ? `new${newcomers++}` : `s${e.who}`,
                e.back > 3 ? now - e.back : (now += e.dt),
              );
              const others = new Set(waiting.map((w) => w.submitter));
              s.enqueue(q);
              if (fresh)
                assert.ok(
                  s.position(q.id)! <= others.size,
                  `a newcomer behind ${s.position(q.id)} jobs of ${others.size} submitters`,
                );
            } else if (e.kind === 'end' && running.length) {
              free(s, running.splice(e.pick % running.length, 1)[0]!.id);
            } else if (e.kind === 'cancel' && waiting.length) {
              s.dequeue(waiting[e.pick % waiting.length]!.id);
            }
            const ranks = positions(s);
            ranks.forEach(([id, p], i) => assert.equal(p, i, `${id}: queued() order and position`));
            const got = s.admit();
            got.forEach((j, i) => assert.equal(ranks[i]?.[0], j.id, `started ${i}th`));
            running.push(...got);
          }
          // Nothing arrives now: ends and cancels in any order.
          const expected = positions(s).map(([id]) => id);
          const cancelled = new Set<string>();
          const order: string[] = [];
          let k = 0;
          while (s.queuedCount()) {
            const [cancel, pick] = later[k++] ?? [false, 0];
            if (cancel) {
              const w = s.queued();
              const id = w[pick % w.length]!.id;
              s.dequeue(id);
              cancelled.add(id);
            } else free(s, running.splice(pick % running.length, 1)[0]!.id);
            const got = s.admit();
            running.push(...got);
            order.push(...ids(got));
          }
          assert.deepEqual(
            order,
            expected.filter((id) => !cancelled.has(id)),
          );
        },
      ),
      { numRuns: 400 },
    );
  });

  test('with per_user and a per-type limit: each job started is the first in position order that may start, and no slot is idle while one may', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
        fc.integer({ min: 1, max: 2 }),
        fc.array(fc.tuple(fc.nat(4), fc.nat(3), fc.nat()), { maxLength: 120 }),
        (limit, perUser, bigCap, steps) => {
          const s = createScheduler(limit, (t) => (t === 'big' ? bigCap : null), { perUser });
          const running: QueuedJob[] = [];
          const may = (q: QueuedJob, run: QueuedJob[]) =>
            run.length < limit &&
            (q.type !== 'big' || run.filter((r) => r.type === 'big').length < bigCap) &&
            (perUser === null || run.filter((r) => r.submitter === q.submitter).length < perUser);
          let t = 0;
          for (const [who, what, pick] of steps) {
            if (what === 0 && running.length)
              free(s, running.splice(pick % running.length, 1)[0]!.id);
            else if (what === 1 && s.queuedCount())
              s.dequeue(s.queued()[pick % s.queuedCount()]!.id);
            else s.enqueue(job(`s${who}`, t++, pick % 3 === 0 ? 'big' : 't'));
            const waiting = s.queued();
            const got = s.admit();
            for (const j of got) {
              const first = waiting.find((q) => may(q, running));
              assert.equal(j.id, first?.id, 'the first that may start');
              waiting.splice(waiting.indexOf(first!), 1);
              running.push(j);
            }
            const idle = waiting.find((q) => may(q, running));
            assert.equal(idle, undefined, `${idle?.id} may start but waits`);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('RankTree', () => {
  /** x's key in three parts (all three compared), in x's order. */
  const spread = (x: number) => [x >> 4, (x >> 2) & 3, x & 3] as const;
  /** Check `t` against the sorted array `model`. */
  const agree = (t: RankTree<number>, model: number[]) => {
    assert.equal(t.size, model.length);
    assert.deepEqual([...t.items()], model);
    assert.deepEqual([...t.items(3)], model.slice(0, 3));
    model.forEach((v, k) => assert.deepEqual([t.rank(v), t.at(k)], [k, v]));
    assert.deepEqual(
      [t.first(), t.last(), t.at(model.length)],
      [model[0], model.at(-1), undefined],
    );
  };

  test('property: inserts and deletes in any order agree with a sorted array (rank, at, first, last, items)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.nat(400)), {
          minLength: 200,
          maxLength: 1500,
          size: 'max',
        }),
        fc.boolean(),
        (ops, drainAfter) => {
          const t = new RankTree<number>(spread);
          const model: number[] = [];
          const del = (x: number) => {
            const i = model.indexOf(x);
            assert.equal(t.delete(x), i >= 0, `delete ${x}`);
            if (i >= 0) model.splice(i, 1);
          };
          ops.forEach(([add, x], k) => {
            if (!add) del(x);
            else if (!model.includes(x)) {
              t.insert(x);
              model.push(x);
              model.sort((a, b) => a - b);
            }
            if (k % 50 === 0) agree(t, model);
          });
          agree(t, model);
          assert.equal(t.rank(401), -1);
          if (drainAfter) for (const x of [...model].reverse()) del(x);
          agree(t, model);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('20,000 items in random order, three levels deep, then most removed at random: still in agreement', () => {
    const t = new RankTree<number>(spread);
    const xs = Array.from({ length: 20_000 }, (_, i) => i * 2);
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    xs.forEach((x) => t.insert(x));
    const model = [...xs].sort((a, b) => a - b);
    agree(t, model);
    assert.equal(t.rank(3), -1, 'an item never in');
    const gone = new Set(xs.slice(0, 19_000));
    for (const x of gone) {
      assert.equal(t.delete(x), true);
      assert.equal(t.delete(x), false, 'not twice');
    }
    agree(
      t,
      model.filter((x) => !gone.has(x)),
    );
  });
});
