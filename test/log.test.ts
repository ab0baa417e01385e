/** JOBDIR_LOG: the structured log on stderr, muted by `silent`, and a wrong value refused. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { startBackend, urlOf } from './backend-process.js';
import {
  idFromRedirect,
  inState,
  ROOT,
  submitForm,
  tempDir,
  waitFor,
  writeConfig,
} from './helpers.js';

const run = promisify(execFile);
const LOG_ONE =
  "import { createLog } from './src/log.ts'; createLog('probe')('probe_event', { n: 1 });";
/** Run LOG_ONE in a fresh process with JOBDIR_LOG set as given (undefined: unset). */
const logOne = (value: string | undefined) => {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => k !== 'JOBDIR_LOG' && k !== 'NODE_TEST_CONTEXT'),
  );
  return run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', LOG_ONE], {
    cwd: ROOT,
    env: value === undefined ? env : { ...env, JOBDIR_LOG: value },
  });
};

describe('JOBDIR_LOG', () => {
  test('unset, empty or info: one JSON line per event on stderr; silent: nothing; anything else is refused by name', async () => {
    for (const value of [undefined, '', 'info']) {
      const { stderr } = await logOne(value);
      const lines = stderr
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.deepEqual(
        lines.map((l) => [l.component, l.event, l.level, l.n]),
        [['probe', 'probe_event', 'info', 1]],
        `JOBDIR_LOG=${value}`,
      );
    }
    assert.equal((await logOne('silent')).stderr, '');
    await assert.rejects(logOne('quiet'), (err: { stderr: string }) =>
      /JOBDIR_LOG="quiet" is not a log level; known: info \(the default\), silent/.test(err.stderr),
    );
  });

  test('jobdir serve with JOBDIR_LOG=silent runs a job and writes no log line', async () => {
    const root = tempDir();
    const cfg = await writeConfig(root);
    const b = await startBackend(cfg, { JOBDIR_LOG: 'silent' });
    try {
      const id = idFromRedirect(await submitForm(urlOf(b), { type: 'divide', x: '6', y: '3' }));
      await waitFor(inState(root, 'completed', id), 30_000, 'job completed');
    } finally {
      b.proc.kill('SIGTERM');
      await b.exited;
    }
    assert.equal(b.stderr(), '', 'nothing on stderr');
  });
});
