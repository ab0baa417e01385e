/**
 * `jobdir check-config` reports every error of a config file in one run, each on its own
 * line as FILE:LINE: [section] key rule, with "did you mean" for a misspelt key or section
 * and the name of a key written before any section. Run as the real CLI.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { ConfigError, ConfigErrors, loadConfig } from '../src/config/index.js';
import { JOBDIR_BIN, SLOWDIV, tempDir } from './helpers.js';

const run = promisify(execFile);

async function checkConfig(
  file: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [JOBDIR_BIN, 'check-config', '--config', file],
      { timeout: 30_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A config with six mistakes, on the lines the tests name. */
const BROKEN = `admin_email = admin@example.test
[general]
service_name = Demo
service = ${SLOWDIV}
[directories]
install = .
incoming = data/incoming
preprocessing = data/preprocessing
[limts]
running = 3
[web]
prot = 8080
metrics_auth = maybe
[backend]
check_minutes = soon
[jobs divide]
runner = local
`;

describe('check-config: every error of the file in one run', () => {
  test('a file with several errors: each reported with its line, section, key and rule; misspellings get "did you mean"', async () => {
    const dir = tempDir('jobdir-check-');
    const file = join(dir, 'svc.ini');
    await fs.writeFile(file, BROKEN);
    const { code, stdout, stderr } = await checkConfig(file);
    assert.equal(code, 1, stderr);
    assert.equal(stdout, '');
    const lines = stderr.trimEnd().split('\n');
    const want: RegExp[] = [
      /^svc\.ini:1: admin_email is before any \[section\]; every key must be inside one \(it belongs in \[general\]\)$/,
      // admin_email, given before any section, is then missing from [general] (its header's line).
      /^svc\.ini:2: \[general\] admin_email is required$/,
      /^svc\.ini:9: \[limts\] is not a known section \(did you mean \[limits\]\?\)/,
      /^svc\.ini:12: \[web\] prot is not a known key of \[web\] \(did you mean port\?\); known keys: host, port,/,
      /^svc\.ini:13: \[web\] metrics_auth must be true or false .*not "maybe"$/,
      /^svc\.ini:15: \[backend\] check_minutes must be a positive number of minutes, not "soon"$/,
      /^svc\.ini:16: \[jobs divide\] is not a known section \(did you mean \[job divide\]\?\)/,
      /^svc\.ini: 7 errors/,
    ];
    const shown = lines.map((l) => l.replaceAll(`${dir}/`, ''));
    assert.equal(shown.length, want.length, shown.join('\n'));
    want.forEach((re, i) => assert.match(shown[i]!, re));
  });

  test('loadConfig throws them as one ConfigErrors, in the order of the file, the first naming file, section, key and line', async () => {
    const file = join(tempDir('jobdir-check-'), 'svc.ini');
    await fs.writeFile(file, BROKEN);
    assert.throws(
      () => loadConfig(file),
      (err: unknown) => {
        assert.ok(err instanceof ConfigErrors, String(err));
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(
          err.errors.map((e) => [e.line, e.section, e.key]),
          [
            [1, null, 'admin_email'],
            [2, 'general', 'admin_email'],
            [9, 'limts', null],
            [12, 'web', 'prot'],
            [13, 'web', 'metrics_auth'],
            [15, 'backend', 'check_minutes'],
            [16, 'jobs divide', null],
          ],
        );
        assert.deepEqual([err.file, err.line, err.key], [file, 1, 'admin_email']);
        assert.equal(err.message.split('\n').length, 7);
        return true;
      },
    );
  });

  test('a line that is not key = value, a header with more on its line, a key in the wrong section and a bad value are all found at once', async () => {
    const file = join(tempDir('jobdir-check-'), 'svc.ini');
    await fs.writeFile(
      file,
      [
        '[general]',
        'service_name = Demo',
        `service = ${SLOWDIV}`,
        'admin_email = admin@example.test',
        'just some words',
        '[directories]',
        'install = .',
        'incoming = data/incoming',
        'preprocessing = data/preprocessing',
        '[limits] # the limits',
        '[backend]',
        'per_user = 3',
        '[oldjobs]',
        'archive = soon',
        '',
      ].join('\n'),
    );
    const { code, stderr } = await checkConfig(file);
    assert.equal(code, 1);
    const lines = stderr.trimEnd().split('\n');
    assert.match(lines[0]!, /svc\.ini:5: \[general\] line "just some words" is neither/);
    assert.match(lines[1]!, /svc\.ini:10: "\[limits\] # the limits" is not a \[section\] header/);
    assert.match(
      lines[2]!,
      /svc\.ini:12: \[backend\] per_user is not a known key of \[backend\] \(it belongs in \[limits\]\)/,
    );
    assert.match(lines[3]!, /svc\.ini:14: \[oldjobs\] archive /);
    assert.match(lines[4]!, /svc\.ini: 4 errors/);
  });

  test('a right file still says OK, and one error is reported alone with its line', async () => {
    const dir = tempDir('jobdir-check-');
    const good = `[general]\nservice_name = Demo\nservice = ${SLOWDIV}\nadmin_email = a@example.test\n[directories]\ninstall = .\nincoming = data/incoming\npreprocessing = data/preprocessing\n`;
    await fs.writeFile(join(dir, 'good.ini'), good);
    const ok = await checkConfig(join(dir, 'good.ini'));
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /good\.ini: OK \(service slowdiv/);
    await fs.writeFile(join(dir, 'one.ini'), `${good}[web]\nport = 99999\n`);
    const one = await checkConfig(join(dir, 'one.ini'));
    assert.equal(one.code, 1);
    assert.match(one.stderr, /one\.ini:10: \[web\] port must be between 0 and 65535, not 99999\n/);
    assert.match(one.stderr, /one\.ini: 1 error /);
  });
});
