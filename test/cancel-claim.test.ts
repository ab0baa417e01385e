/**
 * A queued job cancelled by another process (`serve --web-only` with no backend socket to
 * ask, so it cancels itself) just as the backend gives it the one free run slot. With no
 * preprocess hook the backend works on the job in incoming/ until its first move, so the
 * cancel's rename can take the folder from under a read or a write of the backend there.
 * The backend must give the slot back however that shows (its move finding the job gone,
 * or its read of config.ini), or every later job waits for a rescan (an hour away here).
 * Both processes are held (JOBDIR_PAUSE) so the rename lands in that window every time:
 * the cancel between its CANCEL marker and its rename (cancel:config), the backend between
 * seeing that marker and recording the failure (preprocess:cancelled).
 */
import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decodeJobConfig } from '../src/store/index.js';
import { FIXTURE_SERVICE, tempDir, waitFor, writeConfig } from './helpers.js';
import { inState, kill9, post, startBackend, submit, urlOf } from './backend-process.js';

describe('a queued job cancelled by another process as the backend admits it', () => {
  test('the run slot it was given is free again: the next job starts without a rescan', async () => {
    const root = tempDir('jobdir-cancel-claim-');
    const cfg = await writeConfig(root, {
      limits: { running: 1 },
      backend: { check_minutes: 60 },
      general: { service: FIXTURE_SERVICE },
    });
    const b = await startBackend(cfg, { JOBDIR_PAUSE: 'preprocess:cancelled:6000' });
    const web = await startBackend(
      cfg,
      { JOBDIR_PAUSE: 'cancel:config:4000' },
      { args: ['--web-only'] },
    );
    try {
      const blocker = await submit(urlOf(b), { type: 'sleep', seconds: '300' });
      await waitFor(inState(root, 'running', blocker), 20_000, 'the blocker running');
      const queued = await submit(urlOf(web), { type: 'sleep', seconds: '300' });

      // The web-only process writes its CANCEL marker, then is held before its rename.
      let answered = false;
      const cancelling = post(`${urlOf(web)}/api/jobs/${queued}/cancel`).then(async (r) => {
        answered = true;
        assert.equal(r.status, 202, await r.text());
      });
      await waitFor(
        () => existsSync(join(root, 'jobs/incoming', queued, 'CANCEL')),
        20_000,
        'the cancel under way',
      );
      // Meanwhile the slot comes free: the backend admits the queued job, sees its marker and
      // is held there, the job still in incoming/, while the held cancel renames it away.
      assert.equal((await post(`${urlOf(b)}/api/jobs/${blocker}/cancel`)).status, 202);
      await waitFor(inState(root, 'failed', blocker), 20_000, 'the blocker cancelled');
      assert.ok(!answered, 'the slot came free while the cancel was held before its rename');
      await cancelling;
      await waitFor(inState(root, 'failed', queued), 20_000, 'the queued job cancelled');
      const cancelled = decodeJobConfig(
        await fs.readFile(join(root, 'jobs/failed', queued, 'config.ini'), 'utf8'),
      );
      assert.match(
        cancelled.result?.failure ?? '',
        /cancelled \(by the API client\) before it started/,
      );
      assert.equal(existsSync(join(root, 'jobs/failed', queued, 'RUNNING')), false, 'never ran');

      // The next job takes the slot, with no rescan to come (check_minutes = 60).
      const next = await submit(urlOf(web), { type: 'sleep', seconds: '1' });
      await waitFor(inState(root, 'completed', next), 30_000, 'the next job to complete').catch(
        (err: Error) => {
          throw new Error(`${err.message}; the backend said:\n${b.output().slice(-3000)}`);
        },
      );
      assert.doesNotMatch(b.output(), /step_failed/, 'the backend lost the race quietly');
    } finally {
      web.proc.kill('SIGKILL');
      await kill9(b, join(root, 'jobs/backend.state'));
    }
  });
});
