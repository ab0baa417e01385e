import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig, parseAge } from '../src/config/index.js';
import { createJob, openStore } from '../src/store/index.js';
import { ROOT, tempDir, JOBDIR_BIN } from './helpers.js';

async function configWith(text: string): Promise<string> {
  const dir = tempDir('jobdir-cfg-');
  const file = join(dir, 'svc.ini');
  await fs.writeFile(file, text);
  return file;
}

const MINIMAL = `[general]
service_name = Demo
service = svc.ts
admin_email = admin@example.test
[directories]
install = .
incoming = data/incoming
preprocessing = data/preprocessing
`;

function rejects(file: string, section: string | null, key: string | null, rule: RegExp) {
  assert.throws(
    () => loadConfig(file),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
      assert.equal(err.file, file);
      assert.equal(err.section, section);
      assert.equal(err.key, key);
      assert.match(err.message, rule);
      assert.ok(err.message.startsWith(file), 'the message names the file');
      return true;
    },
  );
}

describe('config: a saliweb-compatible INI reader whose errors name file, section, key and rule', () => {
  test('the demo config loads as it is, with every state in its own folder under jobs/', () => {
    const cfg = loadConfig(join(ROOT, 'src/services/slowdiv/slowdiv.ini'));
    assert.equal(cfg.general.serviceName, 'Slow division');
    assert.equal(cfg.directories.states.incoming, join(ROOT, 'jobs/incoming'));
    assert.equal(cfg.directories.states.failed, join(ROOT, 'jobs/failed'));
    assert.equal(cfg.limits.running, 5);
    assert.equal(cfg.web.port, 8080);
  });

  test('saliweb syntax (key: value), defaults, relative paths and inherited state folders', async () => {
    const file = await configWith(
      MINIMAL.replace('service_name = Demo', 'service_name: Demo') + '[database]\ndb: modloop\n',
    );
    const notices: string[] = [];
    const cfg = loadConfig(file, (m) => notices.push(m));
    const dir = join(file, '..');
    assert.equal(cfg.general.serviceName, 'Demo');
    assert.equal(cfg.limits.running, 5);
    assert.equal(cfg.limits.runningTasks, 5);
    assert.equal(cfg.backend.checkMinutes, 10);
    assert.equal(cfg.general.idLength, 12);
    assert.equal(cfg.oldjobs.archiveMs, null);
    assert.equal(cfg.oldjobs.expireMs, null);
    assert.equal(cfg.directories.states.incoming, join(dir, 'data/incoming'));
    // running..completed inherit preprocessing's directory; failed inherits completed's.
    assert.equal(cfg.directories.states.running, join(dir, 'data/preprocessing/running'));
    assert.equal(cfg.directories.states.completed, join(dir, 'data/preprocessing/completed'));
    assert.equal(cfg.directories.states.failed, join(dir, 'data/preprocessing/completed/failed'));
    assert.equal(cfg.directories.data, join(dir, 'data'));
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /\[database\] is ignored/);
  });

  test('ages: NEVER, h/d/w/m/y, and archive not later than expire', async () => {
    assert.equal(parseAge('NEVER'), null);
    assert.equal(parseAge('2h'), 2 * 3_600_000);
    assert.equal(parseAge('30d'), 30 * 86_400_000);
    assert.equal(parseAge('1w'), 7 * 86_400_000);
    assert.equal(parseAge('1y'), 365 * 86_400_000);
    rejects(
      await configWith(MINIMAL + '[oldjobs]\narchive = 90d\nexpire = 30d\n'),
      'oldjobs',
      'archive',
      /not be later than expire/,
    );
    rejects(
      await configWith(MINIMAL + '[oldjobs]\narchive = soon\n'),
      'oldjobs',
      'archive',
      /NEVER or a number with a unit/,
    );
    const ok = loadConfig(await configWith(MINIMAL + '[oldjobs]\narchive = 30d\nexpire = NEVER\n'));
    assert.equal(ok.oldjobs.expireMs, null);
  });

  test('each broken rule is named', async () => {
    rejects(
      await configWith(MINIMAL.replace('service_name = Demo\n', '')),
      'general',
      'service_name',
      /required/,
    );
    rejects(
      await configWith(MINIMAL.replace('admin_email = admin@example.test', 'admin_email = nobody')),
      'general',
      'admin_email',
      /not an email address/,
    );
    rejects(
      await configWith(MINIMAL.replace('incoming = data/incoming\n', '')),
      'directories',
      'incoming',
      /required/,
    );
    rejects(
      await configWith(MINIMAL + '[limits]\nrunning = many\n'),
      'limits',
      'running',
      /whole number/,
    );
    rejects(
      await configWith(MINIMAL + '[limits]\nrunning = 0\n'),
      'limits',
      'running',
      /between 1 and/,
    );
    rejects(
      await configWith(MINIMAL + '[limits]\nrunnning = 3\n'),
      'limits',
      'runnning',
      /not a known key/,
    );
    rejects(
      await configWith(MINIMAL + '[backend]\ncheck_minutes = -1\n'),
      'backend',
      'check_minutes',
      /positive/,
    );
    rejects(
      await configWith(MINIMAL + '[web]\nport = 99999\n'),
      'web',
      'port',
      /between 0 and 65535/,
    );
    rejects(
      await configWith(MINIMAL + '[general2]\nx = 1\n'),
      'general2',
      null,
      /not a known section/,
    );
    rejects(await configWith(MINIMAL + '[job Bad Name]\n'), 'job Bad Name', null, /job type names/);
    rejects(
      await configWith(MINIMAL + '[job divide]\nrunner = pbs\n'),
      'job divide',
      'runner',
      /local, slurm or sge/,
    );
    rejects(
      await configWith(
        MINIMAL + '[directories]\nrunning = data/incoming\n'.replace('[directories]\n', ''),
      ),
      'directories',
      'running',
      /same folder as incoming/,
    );
    rejects(
      await configWith(MINIMAL + 'just some words\n'),
      'directories',
      null,
      /neither \[section\] nor key = value/,
    );
    rejects(join(tempDir(), 'missing.ini'), null, null, /file not found/);
    const withUmask = (v: string) =>
      configWith(
        MINIMAL.replace(
          'admin_email = admin@example.test',
          `admin_email = admin@example.test\numask = ${v}`,
        ),
      );
    rejects(await withUmask('rw-'), 'general', 'umask', /octal umask such as 007/);
    rejects(await withUmask('0770'), 'general', 'umask', /every user of the machine write/);
  });

  test('[general] umask is what the store creates with (007: 770 folders, 660 files)', async () => {
    const file = await configWith(
      MINIMAL.replace(
        'admin_email = admin@example.test',
        'admin_email = admin@example.test\numask = 007',
      ),
    );
    const cfg = loadConfig(file);
    assert.equal(cfg.general.umask, 0o007);
    const was = process.umask();
    try {
      const store = await openStore(cfg);
      assert.equal((await fs.stat(store.states.incoming)).mode & 0o777, 0o770);
      const ref = await createJob(store, { service: 's', type: 't', email: '', inputs: {} });
      assert.equal((await fs.stat(ref.dir)).mode & 0o777, 0o770);
      assert.equal((await fs.stat(join(ref.dir, 'config.ini'))).mode & 0o777, 0o660);
    } finally {
      process.umask(was);
    }
  });
});

describe('[job NAME] runner options', () => {
  test('running_tasks, as the README lists it, passes check-config and reaches the runner; a bad count names its key', async () => {
    const root = tempDir();
    const { writeConfig } = await import('./helpers.js');
    const file = await writeConfig(root, {
      'job divide': { runner: 'slurm', array_tasks: 4, running_tasks: 2 },
    });
    const out = execFileSync(process.execPath, [JOBDIR_BIN, 'check-config', '--config', file], {
      encoding: 'utf8',
      stdio: 'pipe',
    });
    assert.match(out, /: OK \(service slowdiv/);
    assert.deepEqual(loadConfig(file).jobs.divide?.runnerOptions, {
      array_tasks: '4',
      running_tasks: '2',
    });
    rejects(
      await writeConfig(root, { 'job divide': { running_tasks: 0 } }),
      'job divide',
      'running_tasks',
      /between 1 and/,
    );
    rejects(
      await writeConfig(root, { 'job divide': { array_tasks: 'many' } }),
      'job divide',
      'array_tasks',
      /whole number/,
    );
  });
});

describe('[backend] user', () => {
  test('the backend refuses to run as another user, and as root unless user = root, saying so plainly', async () => {
    const { checkBackendUser } = await import('../src/ops/user.js');
    const cfg = loadConfig(await configWith(MINIMAL + '[backend]\nuser = modloop\n'));
    assert.doesNotThrow(() => checkBackendUser(cfg, { username: 'modloop', uid: 1001 }));
    assert.throws(
      () => checkBackendUser(cfg, { username: 'alice', uid: 1002 }),
      /\[backend\] user says the backend runs as "modloop", but this process runs as "alice"/,
    );
    assert.throws(
      () => checkBackendUser(cfg, { username: 'root', uid: 0 }),
      /as root is refused unless user = root/,
    );
    const rootCfg = loadConfig(await configWith(MINIMAL + '[backend]\nuser = root\n'));
    assert.doesNotThrow(() => checkBackendUser(rootCfg, { username: 'root', uid: 0 }));
    const none = loadConfig(await configWith(MINIMAL));
    assert.doesNotThrow(() => checkBackendUser(none, { username: 'anyone', uid: 5 }));
  });

  test('a real serve as the wrong user exits with the plain message', async () => {
    const { startTestServer } = await import('./server.js');
    await assert.rejects(
      startTestServer({ backend: { user: 'nosuchuser' } }),
      /this process runs as "root"|this process runs as "/,
    );
  });
});
