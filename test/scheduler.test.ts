/**
 * The scheduler on its own: fair share (submitters take turns, FIFO within a submitter;
 * the order itself is tested in fair-order.test.ts), the per-user cap, per-type limits,
 * slots given back by their holders, queue_order = fifo.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { createScheduler, type QueuedJob } from '../src/scheduler/index.js';
import { free, ids, job } from './queued.js';

describe('fair share', () => {
  test("A queues 50 jobs, then B one: B's job takes the next free slot", () => {
    const s = createScheduler(2, () => null);
    const a = Array.from({ length: 50 }, (_, i) => job('a@x', i));
    a.forEach((j) => s.enqueue(j));
    assert.deepEqual(ids(s.admit()), ids(a.slice(0, 2)));
    const b = job('b@x', 100);
    s.enqueue(b);
    assert.equal(s.position(b.id), 0);
    free(s, a[0]!.id);
    assert.deepEqual(ids(s.admit()), [b.id]);
    free(s, a[1]!.id);
    assert.deepEqual(ids(s.admit()), [a[2]!.id], 'then A again, in submission order');
  });

  test('two submitters in the same round: the job submitted first goes first', () => {
    const s = createScheduler(1, () => null);
    const late = job('late', 20);
    const early = job('early', 10);
    s.enqueue(late);
    s.enqueue(early);
    assert.deepEqual(ids(s.admit()), [early.id]);
  });

  test("per_user caps one submitter's running jobs; the free slots go to others, and none stays idle while a job may run", () => {
    const s = createScheduler(4, () => null, { perUser: 2 });
    const a = Array.from({ length: 5 }, (_, i) => job('a', i));
    a.forEach((j) => s.enqueue(j));
    assert.deepEqual(ids(s.admit()), ids(a.slice(0, 2)));
    assert.equal(s.activeCount(), 2, 'two slots idle: nobody else has a job');
    const b = job('b', 50);
    s.enqueue(b);
    assert.deepEqual(ids(s.admit()), [b.id]);
    free(s, a[0]!.id);
    assert.deepEqual(ids(s.admit()), [a[2]!.id]);
  });

  test("a job of a full type does not hold up another type's job; FIFO within the submitter otherwise", () => {
    const s = createScheduler(3, (t) => (t === 'big' ? 1 : null));
    const j = [job('a', 1, 'big'), job('a', 2, 'big'), job('a', 3, 'small')];
    j.forEach((x) => s.enqueue(x));
    assert.deepEqual(ids(s.admit()), [j[0]!.id, j[2]!.id]);
    free(s, j[0]!.id);
    assert.deepEqual(ids(s.admit()), [j[1]!.id]);
  });

  test('jobs found running after a restart count for their submitter', () => {
    const s = createScheduler(3, () => null);
    s.activate('r1', 't', 'a');
    s.activate('r2', 't', 'a');
    const a = job('a', 1);
    const b = job('b', 2);
    s.enqueue(a);
    s.enqueue(b);
    assert.deepEqual(ids(s.admit()), [b.id]);
    assert.deepEqual(
      s.submitters().sort((x, y) => x.submitter.localeCompare(y.submitter)),
      [
        { submitter: 'a', queued: 1, running: 2 },
        { submitter: 'b', queued: 0, running: 1 },
      ],
    );
  });
});

describe('slots are given back by their holders', () => {
  for (const order of ['fair', 'fifo'] as const) {
    test(`${order}: a late release of a slot given up before frees nothing (the job's new slot holds)`, () => {
      const s = createScheduler(2, () => null, { order });
      const x = job('a', 1);
      s.enqueue(x);
      const [first] = s.admit();
      s.release(x.id, first!.slot);
      // Back in incoming/ and seen there (the watcher): queued and admitted again...
      s.enqueue(x);
      assert.deepEqual(ids(s.admit()), [x.id]);
      // ...then the step that gave up the first slot names it once more.
      s.release(x.id, first!.slot);
      assert.ok(s.isActive(x.id), 'the second slot still holds');
      assert.equal(s.activeCount(), 1);
      assert.equal(s.release(x.id, s.slotOf(x.id)!), true, 'its holder frees it');
      assert.equal(s.activeCount(), 0);
    });

    test(`${order}: a queued job found holding a slot (a census, a judgement) leaves the queue: never admitted twice`, () => {
      const s = createScheduler(2, () => null, { order });
      const y = job('b', 2);
      const z = job('b', 3);
      s.enqueue(y);
      s.enqueue(z);
      s.activate(y.id, 't', 'b');
      assert.deepEqual(ids(s.admit()), [z.id], 'z takes the other slot; y is not admitted again');
      assert.equal(s.isQueued(y.id), false);
      assert.equal(s.activeCount(), 2);
    });
  }
});

describe('queue_order = fifo', () => {
  test('jobs start in submission order whoever sent them, a full type skipped as before', () => {
    const s = createScheduler(2, (t) => (t === 'x' ? 1 : null), { order: 'fifo' });
    const a = Array.from({ length: 5 }, (_, i) => job('a', i, i === 1 ? 'x' : 't'));
    const x2 = job('b', 5, 'x');
    const b = job('b', 6);
    [...a, x2, b].forEach((j) => s.enqueue(j));
    assert.equal(s.position(b.id), 6);
    assert.deepEqual(ids(s.admit()), [a[0]!.id, a[1]!.id]);
    free(s, a[0]!.id);
    free(s, a[1]!.id);
    assert.deepEqual(ids(s.admit()), [a[2]!.id, a[3]!.id]);
    free(s, a[2]!.id);
    free(s, a[3]!.id);
    assert.deepEqual(ids(s.admit()), [a[4]!.id, x2.id]);
    free(s, a[4]!.id);
    assert.deepEqual(ids(s.admit()), [b.id], 'B last: no fair share');
  });
});

describe('queue_position', () => {
  test('a submitter with one job waits behind at most one job of each busier submitter', () => {
    const s = createScheduler(1, () => null);
    s.activate('busy', 't', 'z');
    for (let u = 0; u < 100; u++)
      for (let i = 0; i < 100; i++) s.enqueue(job(`u${u}`, i * 100 + u));
    const newcomer = job('new', 1e9);
    s.enqueue(newcomer);
    assert.equal(
      s.position(newcomer.id),
      100,
      'one round of the 100 others (each has its first job ahead), then it',
    );
  });
});

describe('per_user under random load', () => {
  test('property: no submitter exceeds the cap, and a slot is idle only when no waiting job may run', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.boolean(), fc.nat()), {
          maxLength: 100,
        }),
        (cap, limit, steps) => {
          const s = createScheduler(limit, (t) => (t === 'one' ? 1 : null), { perUser: cap });
          const running: QueuedJob[] = [];
          let t = 0;
          for (const [who, arrive, pick] of steps) {
            if (arrive || !running.length)
              s.enqueue(job(`s${who}`, t++, pick % 3 === 0 ? 'one' : 't'));
            else free(s, running.splice(pick % running.length, 1)[0]!.id);
            running.push(...s.admit());
            const per = new Map<string, number>();
            for (const r of running) per.set(r.submitter, (per.get(r.submitter) ?? 0) + 1);
            for (const [who2, k] of per) assert.ok(k <= cap, `${who2} runs ${k} > ${cap}`);
            if (running.length < limit) {
              for (const q of s.queued()) {
                const typeFull = q.type === 'one' && running.some((r) => r.type === 'one');
                assert.ok(
                  typeFull || (per.get(q.submitter) ?? 0) >= cap,
                  `job ${q.id} could run but a slot is idle`,
                );
              }
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('[limits] per_user and queue_order', () => {
  test('bad values are refused with the file, section and key named; the defaults are fair and no cap', async () => {
    const { writeConfig, tempDir } = await import('./helpers.js');
    const { loadConfig } = await import('../src/config/index.js');
    const ok = loadConfig(await writeConfig(tempDir()));
    assert.deepEqual([ok.limits.queueOrder, ok.limits.perUser], ['fair', null]);
    for (const [limits, rule] of [
      [{ per_user: 0 }, /per_user.*between 1 and/],
      [{ per_user: 'two' }, /per_user.*whole number/],
      [{ queue_order: 'random' }, /queue_order.*fair .*or fifo.*"random"/],
    ] as const) {
      const file = await writeConfig(tempDir(), { limits });
      assert.throws(
        () => loadConfig(file),
        (err: Error) =>
          err.message.includes(file) && err.message.includes('[limits]') && rule.test(err.message),
        JSON.stringify(limits),
      );
    }
  });
});
