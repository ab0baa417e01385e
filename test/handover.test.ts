/**
 * A job this process submits is handed to its backend by `notify`, not found again on disk
 * by the watcher (submit.ts's Handover): the backend `expect`s the id before the job
 * appears in incoming/. What must hold: the watcher leaves such a job to notify, one whose
 * notify never comes is still queued by a rescan, and the form path expects, then notifies.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createJob } from '../src/store/index.js';
import { FIXTURE_SERVICE, idFromRedirect, idsIn, submitForm, waitFor } from './helpers.js';
import { startTestServer, type TestServer } from './server.js';

describe('the hand-over of a new job from the web to the backend of the same process', () => {
  let svc: TestServer;
  before(async () => {
    // No periodic rescan during the test: it forgets expectations (and queues what is left).
    svc = await startTestServer({
      general: { service: FIXTURE_SERVICE },
      backend: { check_minutes: 600 },
    });
  });
  after(() => svc.close());

  const make = (expect: boolean) =>
    createJob(svc.store, {
      service: 'fixtures',
      type: 'true',
      email: '',
      inputs: {},
      ...(expect ? { named: (id: string) => svc.backend!.expect(id) } : {}),
    });

  test('the watcher leaves an expected job to notify; a rescan queues one whose notify never came', async () => {
    const expected = await make(true);
    // The control, made after it and not expected: once the watcher has queued and run it,
    // the watcher has seen the expected job's arrival too.
    const control = await make(false);
    await waitFor(
      async () => (await idsIn(svc.root, 'completed')).includes(control.id),
      15_000,
      'the watcher to run the control job',
    );
    assert.deepEqual(await idsIn(svc.root, 'incoming'), [expected.id], 'left to notify');
    assert.equal(svc.backend!.scheduler.isQueued(expected.id), false);
    await svc.backend!.rescan();
    await waitFor(
      async () => (await idsIn(svc.root, 'completed')).includes(expected.id),
      15_000,
      'the rescan to run the job whose notify never came',
    );
  });

  test('a form submission is expected by the backend before it is notified, then runs', async () => {
    const backend = svc.backend!;
    const seen: string[] = [];
    const { expect, notify } = backend;
    backend.expect = (id) => (seen.push(`expect ${id}`), expect(id));
    backend.notify = (job) => (seen.push(`notify ${job.id}`), notify(job));
    try {
      const id = idFromRedirect(await submitForm(svc.url, { type: 'true', email: '' }));
      assert.deepEqual(seen, [`expect ${id}`, `notify ${id}`]);
      await waitFor(
        async () => (await idsIn(svc.root, 'completed')).includes(id),
        15_000,
        'the submitted job to run',
      );
    } finally {
      backend.expect = expect;
      backend.notify = notify;
    }
  });
});
