/** The environment as src/config/env.ts reads it for the CLI, the wrapper's launcher and cluster clients. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { childEnv, clusterClientEnv, configFileFromEnv } from '../src/config/env.js';
import { tempDir, writeConfig, JOBDIR_BIN } from './helpers.js';

const run = promisify(execFile);

describe('the environment, read in src/config', () => {
  test('JOBDIR_CONFIG names the config file when --config does not; else ./jobdir.ini', async () => {
    assert.equal(configFileFromEnv({ JOBDIR_CONFIG: '/etc/jobdir.ini' }), '/etc/jobdir.ini');
    assert.equal(configFileFromEnv({}), 'jobdir.ini');
    const cfg = await writeConfig(tempDir());
    const { stdout } = await run(process.execPath, [JOBDIR_BIN, 'check-config'], {
      cwd: tempDir(),
      env: { ...process.env, JOBDIR_CONFIG: cfg },
    });
    assert.ok(stdout.startsWith(`${cfg}: OK`), stdout);
  });

  test("cluster clients get the backend's environment over the defaults, without JOBDIR_ settings", () => {
    const env = clusterClientEnv(
      { SGE_ROOT: '/var/lib/gridengine', SGE_CELL: 'default' },
      { SGE_CELL: 'lab', PATH: '/usr/bin', JOBDIR_FAILPOINT: 'x', JOBDIR_LOG: 'silent' },
    );
    assert.deepEqual(env, { SGE_ROOT: '/var/lib/gridengine', SGE_CELL: 'lab', PATH: '/usr/bin' });
  });

  test("the wrapper's launcher gets the whole environment, JOBDIR_ settings included, with its own on top", () => {
    assert.deepEqual(childEnv({ JOBDIR_BTIME: '12' }, { PATH: '/bin', JOBDIR_PAUSE: 'a:1' }), {
      PATH: '/bin',
      JOBDIR_PAUSE: 'a:1',
      JOBDIR_BTIME: '12',
    });
  });
});
