/**
 * A cancel of a queued parent and an `after=PARENT` submission arriving together, through
 * a real `jobdir serve` process (web, API and backend) and real programs. The cancel is
 * held between its read of the parent's config.ini and its write (JOBDIR_PAUSE on the
 * pausepoint `cancel:config`) while the dependent is submitted: the dependent must be
 * refused naming the parent's state, or recorded in the parent's [children] and failed
 * with it, never left waiting in incoming/ for the next rescan (an hour away here). The
 * cancel comes through the API or from `jobdir cancel`, another process (held at the same
 * point if it writes the config itself, as it did before it asked the backend's socket).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decodeJobConfig } from '../src/store/index.js';
import { FIXTURE_SERVICE, idsIn, JOBDIR_BIN, tempDir, waitFor, writeConfig } from './helpers.js';
import { inState, kill9, post, startBackend, submit, urlOf } from './backend-process.js';

/** `jobdir cancel ID` as the admin runs it: resolves with its exit code and output. */
function cliCancel(cfg: string, id: string): Promise<{ code: number | null; out: string }> {
  const p = spawn(process.execPath, [JOBDIR_BIN, 'cancel', id, '--config', cfg], {
    env: { ...process.env, JOBDIR_PAUSE: 'cancel:config:3000' },
  });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => p.on('close', (code) => resolve({ code, out })));
}

describe('cancelling a queued parent while a job is submitted to follow it', () => {
  for (const by of ['the API', 'the API of a web-only process', 'jobdir cancel'] as const)
    test(`the dependent is refused (409 naming the parent) or failed with its parent, never left waiting (cancel by ${by})`, async () => {
      const root = tempDir('jobdir-cancel-deps-');
      const cfg = await writeConfig(root, {
        // One run slot (the blocker holds it, so the parent stays queued); no rescan comes to the rescue.
        limits: { running: 1 },
        backend: { check_minutes: 60 },
        general: { service: FIXTURE_SERVICE, socket: join(root, 'jobs/backend.sock') },
      });
      const stateFile = join(root, 'jobs/backend.state');
      const b = await startBackend(cfg, { JOBDIR_PAUSE: 'cancel:config:3000' });
      // A web-only process beside it, held at the same point should it write the config itself.
      const web =
        by === 'the API of a web-only process'
          ? await startBackend(
              cfg,
              { JOBDIR_PAUSE: 'cancel:config:3000' },
              { args: ['--web-only'] },
            )
          : null;
      try {
        const base = urlOf(b);
        const blocker = await submit(base, { type: 'sleep', seconds: '300' });
        await waitFor(inState(root, 'running', blocker), 20_000, 'the blocker running');
        const parent = await submit(base, { type: 'true' });
        await waitFor(inState(root, 'incoming', parent), 20_000, 'the parent queued');

        // The cancel writes its CANCEL marker, reads config.ini, then is held 3 s before its write.
        const cancelling =
          by !== 'jobdir cancel'
            ? post(`${web ? urlOf(web) : base}/api/jobs/${parent}/cancel`).then(async (r) => {
                assert.equal(r.status, 202, await r.text());
              })
            : cliCancel(cfg, parent).then((r) => {
                assert.equal(r.code, 0, r.out);
                assert.match(r.out, new RegExp(`${parent}: .*cancelled`));
              });
        await waitFor(
          () => existsSync(join(root, 'jobs/incoming', parent, 'CANCEL')),
          20_000,
          'the cancel under way',
        );
        const res = await post(`${base}/api/jobs`, { type: 'true', after: parent });
        const said = await res.text();
        await cancelling;
        await waitFor(inState(root, 'failed', parent), 20_000, 'the parent failed');
        const parentCfg = decodeJobConfig(
          await fs.readFile(join(root, 'jobs/failed', parent, 'config.ini'), 'utf8'),
        );
        assert.equal(parentCfg.result?.failure_kind, 'cancelled');

        if (res.status === 409) {
          assert.match(said, new RegExp(`job ${parent} has failed`));
          assert.deepEqual(parentCfg.children ?? {}, {}, 'a refused job is recorded nowhere');
          return;
        }
        assert.equal(res.status, 201, said);
        const child = (JSON.parse(said) as { id: string }).id;
        assert.ok(
          parentCfg.children?.[child],
          `the dependent ${child} is in its parent's [children]: ${JSON.stringify(parentCfg.children)}`,
        );
        await waitFor(inState(root, 'failed', child), 30_000, 'the dependent to fail').catch(
          async (err: Error) => {
            const where = [];
            for (const s of ['incoming', 'preprocessing', 'running', 'finalizing', 'completed'])
              if ((await idsIn(root, s)).includes(child)) where.push(s);
            throw new Error(`${err.message}: the dependent ${child} is in ${where.join(', ')}`);
          },
        );
        const childCfg = decodeJobConfig(
          await fs.readFile(join(root, 'jobs/failed', child, 'config.ini'), 'utf8'),
        );
        assert.match(
          childCfg.result?.failure ?? '',
          new RegExp(`job ${parent}, which it was to follow, failed`),
        );
        await post(`${base}/api/jobs/${blocker}/cancel`);
      } finally {
        web?.proc.kill('SIGKILL');
        await kill9(b, stateFile);
      }
    });
});
