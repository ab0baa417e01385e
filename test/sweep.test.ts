/**
 * Old-job sweeps with an injected clock: archive and expire per [oldjobs], NEVER handled,
 * the service's archive/expire hooks called, the results page 410 with the archive date,
 * and an expired job gone from every index.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  FIXTURE_SERVICE,
  idFromRedirect,
  idsIn,
  submitForm,
  tempDir,
  waitFor,
  writeConfig,
} from './helpers.js';
import { serveForTest, startTestServer } from './server.js';
import { loadConfig } from '../src/config/index.js';
import { silentLog } from '../src/log.js';
import { sweepIntervalMs, sweepOldJobs } from '../src/ops/sweep.js';
import type { Service } from '../src/service/types.js';
import { listUserJobs } from '../src/store/index.js';

const DAY = 86_400_000;

describe('old-job sweeps', () => {
  test('archive after 30d and expire after 60d: 410 with the date, then gone with its index links; hooks called once each', async () => {
    const svc = await startTestServer(
      { general: { service: FIXTURE_SERVICE }, oldjobs: { archive: '30d', expire: '60d' } },
      { prefix: 'jobdir-sweep-' },
    );
    const { root } = svc;
    try {
      const id = idFromRedirect(
        await submitForm(svc.url, { type: 'ok', text: 'old', email: 'old@example.test' }),
      );
      const young = idFromRedirect(await submitForm(svc.url, { type: 'ok', text: 'young' }));
      await waitFor(async () => {
        const d = await idsIn(root, 'completed');
        return d.includes(id) && d.includes(young);
      }, 20_000);
      const calls: string[] = [];
      const service: Service = {
        ...svc.service,
        jobTypes: svc.service.jobTypes.map((t) => ({
          ...t,
          archive: (j) => void calls.push(`archive ${j.id}`),
          expire: (j) => void calls.push(`expire ${j.id}`),
        })),
      };
      const env = { cfg: svc.cfg, service, store: svc.store, log: silentLog };
      const now = Date.now();
      assert.deepEqual(
        await sweepOldJobs(env, now + 29 * DAY),
        { archived: [], expired: [], failed: [] },
        'nothing is due at 29 days',
      );
      // Make the young job finish 20 days later than the old one.
      const youngCfg = join(root, 'jobs/completed', young, 'config.ini');
      await fs.writeFile(
        youngCfg,
        (await fs.readFile(youngCfg, 'utf8')).replace(
          /finished = \S+/,
          `finished = ${new Date(now + 20 * DAY).toISOString()}`,
        ),
      );
      await fs.utimes(
        join(root, 'jobs/completed', young),
        new Date(now + 20 * DAY),
        new Date(now + 20 * DAY),
      );

      const at31 = await sweepOldJobs(env, now + 31 * DAY);
      assert.deepEqual(at31.archived, [id]);
      assert.deepEqual(await idsIn(root, 'archived'), [id]);
      const page = await fetch(`${svc.url}/jobs/${id}`);
      assert.equal(page.status, 410);
      assert.match(
        await page.text(),
        new RegExp(`archived on ${new Date(now + 31 * DAY).toISOString().slice(0, 10)}`),
      );
      assert.equal(
        (await sweepOldJobs(env, now + 31 * DAY)).archived.length,
        0,
        'a second sweep does nothing',
      );

      const at61 = await sweepOldJobs(env, now + 61 * DAY);
      assert.deepEqual(at61.expired, [id]);
      assert.deepEqual(at61.archived, [young]);
      assert.equal((await fetch(`${svc.url}/jobs/${id}`)).status, 404);
      await assert.rejects(fs.lstat(join(root, 'jobs/by-id', id)), 'by-id link removed');
      assert.deepEqual(
        await listUserJobs(svc.store, 'old@example.test'),
        [],
        'users index link removed',
      );
      assert.deepEqual(calls, [`archive ${id}`, `expire ${id}`, `archive ${young}`]);
    } finally {
      await svc.close();
    }
  });

  test('NEVER is handled: with both NEVER nothing is swept and no sweeper runs; the interval is 10% of the shorter age', async () => {
    const root = tempDir('jobdir-sweep-');
    const never = loadConfig(
      await writeConfig(root, {
        general: { service: FIXTURE_SERVICE },
        oldjobs: { archive: 'NEVER', expire: 'NEVER' },
      }),
    );
    assert.equal(sweepIntervalMs(never), null);
    const svc = await serveForTest(never.file);
    try {
      const id = idFromRedirect(await submitForm(svc.url, { type: 'ok', text: 'kept' }));
      await waitFor(async () => (await idsIn(root, 'completed')).includes(id), 20_000);
      const r = await sweepOldJobs(
        { cfg: svc.cfg, service: svc.service, store: svc.store, log: silentLog },
        Date.now() + 3650 * DAY,
      );
      assert.deepEqual(r, { archived: [], expired: [], failed: [] });
    } finally {
      await svc.close();
    }
    const archiveOnly = loadConfig(
      await writeConfig(tempDir(), {
        general: { service: FIXTURE_SERVICE },
        oldjobs: { archive: '10d', expire: 'NEVER' },
      }),
    );
    assert.equal(sweepIntervalMs(archiveOnly), DAY);
    const short = loadConfig(
      await writeConfig(tempDir(), {
        general: { service: FIXTURE_SERVICE },
        oldjobs: { archive: '5h', expire: '2d' },
      }),
    );
    assert.equal(sweepIntervalMs(short), 30 * 60_000);
  });

  test('a failing archive hook leaves its job in place and reports it; other jobs are still archived', async () => {
    const svc = await startTestServer(
      { general: { service: FIXTURE_SERVICE }, oldjobs: { archive: '1d', expire: '2d' } },
      { prefix: 'jobdir-sweep-' },
    );
    const { root } = svc;
    try {
      const bad = idFromRedirect(await submitForm(svc.url, { type: 'exit1' }));
      const good = idFromRedirect(await submitForm(svc.url, { type: 'ok', text: 'fine' }));
      await waitFor(
        async () =>
          (await idsIn(root, 'failed')).includes(bad) &&
          (await idsIn(root, 'completed')).includes(good),
        20_000,
      );
      const service: Service = {
        ...svc.service,
        jobTypes: svc.service.jobTypes.map((t) =>
          t.name === 'exit1'
            ? {
                ...t,
                archive: () => {
                  throw new Error('tape robot offline');
                },
              }
            : t,
        ),
      };
      const r = await sweepOldJobs(
        { cfg: svc.cfg, service, store: svc.store, log: silentLog },
        Date.now() + 1.5 * DAY,
      );
      assert.deepEqual(r.archived, [good]);
      assert.deepEqual(r.failed, [{ id: bad, error: 'tape robot offline' }]);
      assert.deepEqual(await idsIn(root, 'failed'), [bad]);
    } finally {
      await svc.close();
    }
  });
});
