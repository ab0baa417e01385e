/** Notification targets: parsing, and a syslog socket that is missing never fails a job. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseNotify } from '../src/config/notify.js';
import { loadConfig } from '../src/config/index.js';
import { notifyJobEnd, writeSyslog } from '../src/mail/notify.js';
import { openStore } from '../src/store/index.js';
import { tempDir, writeConfig } from './helpers.js';
import { promises as fs } from 'node:fs';

describe('notifications', () => {
  test('notify_* accepts mail and syslog in either order and names what it cannot read', () => {
    assert.deepEqual(parseNotify(''), { mail: [], syslog: null });
    assert.deepEqual(parseNotify('mail a@x.org b@y.org, syslog modloop'), {
      mail: ['a@x.org', 'b@y.org'],
      syslog: 'modloop',
    });
    assert.deepEqual(parseNotify('syslog upq mail ops@lab.org'), {
      mail: ['ops@lab.org'],
      syslog: 'upq',
    });
    assert.throws(() => parseNotify('mail'), /must be followed by at least one address/);
    assert.throws(
      () => parseNotify('mail not-an-address'),
      /"not-an-address" is not an email address/,
    );
    assert.throws(() => parseNotify('syslog'), /must be followed by a tag/);
    assert.throws(() => parseNotify('syslog bad/tag'), /must be 1-32 letters/);
    assert.throws(() => parseNotify('page ops'), /"page" is not understood/);
  });

  test('a bad notify_fail in the INI names the file, section and key', async () => {
    const root = tempDir();
    const file = await writeConfig(root, { 'job divide': { notify_fail: 'mail nobody' } });
    assert.throws(
      () => loadConfig(file),
      (err: Error) =>
        err.message.includes('[job divide] notify_fail') &&
        err.message.includes('"nobody" is not an email address'),
    );
  });

  test("with no syslog listening, logger's error is reported and the job's finish goes on; the mail is still queued", async () => {
    const root = tempDir();
    const cfg = loadConfig(
      await writeConfig(root, {
        backend: { syslog_socket: join(root, 'no-such.sock') },
        'job divide': { notify_fail: 'syslog jobdir mail ops@example.test' },
      }),
    );
    await assert.rejects(
      writeSyslog(cfg.backend.syslogSocket, 'jobdir', 'err', 'hello'),
      /logger exited/,
    );
    const store = await openStore(cfg);
    const events: [string, Record<string, unknown>][] = [];
    const queued = await notifyJobEnd(
      store,
      cfg,
      {
        id: 'bcdfghjklmnp',
        type: 'divide',
        ok: false,
        failure: 'boom',
        url: 'http://x/jobs/bcdfghjklmnp',
      },
      (e, f) => void events.push([e, f]),
    );
    assert.equal(queued, true);
    assert.deepEqual(
      events.map(([e, f]) => [e, f.via]),
      [['notify_failed', 'syslog']],
    );
    assert.deepEqual(await fs.readdir(store.mailq), ['bcdfghjklmnp.notify.json']);
    assert.equal(
      await notifyJobEnd(
        store,
        cfg,
        { id: 'bcdfghjklmnp', type: 'divide', ok: true, failure: null, url: '' },
        () => {},
      ),
      false,
      'no notify_success: nothing sent',
    );
  });
});
