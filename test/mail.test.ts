/** The mail queue against a real SMTP receiver: a refused mail is retried on its own. */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { after, describe, test } from 'node:test';
import { loadConfig } from '../src/config/index.js';
import { createMailer, queueMail } from '../src/mail/queue.js';
import { openStore } from '../src/store/index.js';
import { startSmtp, tempDir, waitFor, writeConfig, type SmtpReceiver } from './helpers.js';

describe('mail queue', () => {
  const receivers: SmtpReceiver[] = [];
  after(async () => {
    for (const r of receivers) await r.close();
  });

  test('a mail the SMTP server refuses is retried with its own backoff, with no other flush, and delivered once', async () => {
    const smtp = await startSmtp({ refuse: 2 });
    receivers.push(smtp);
    const root = tempDir();
    // check_minutes far away: only the mailer's own retry can deliver it.
    const cfg = loadConfig(
      await writeConfig(root, {
        email: { host: '127.0.0.1', port: smtp.port },
        backend: { check_minutes: 600 },
      }),
    );
    const store = await openStore(cfg);
    const events: [string, Record<string, unknown>][] = [];
    const mailer = createMailer(store, cfg, (e, f) => void events.push([e, f]));
    try {
      await queueMail(store, cfg, 'bcdfghjklmnp.user', {
        to: ['dana@example.test'],
        subject: 'your job',
        text: 'done',
      });
      assert.equal(await mailer.flush(), 0, 'the first try is refused');
      await smtp.waitForCount(1, 30_000);
      assert.equal(smtp.messages[0]!.subject, 'your job');
      // The queue entry goes just before the mailer logs the send: wait for both.
      await waitFor(
        async () =>
          (await fs.readdir(store.mailq)).length === 0 && events.some(([e]) => e === 'mail_sent'),
        15_000,
        'queue emptied and the send logged',
      );
      assert.deepEqual(
        events.map(([e]) => e),
        ['mail_failed', 'mail_failed', 'mail_sent'],
      );
      assert.match(String(events[0]![1].error), /451/);
      assert.equal(smtp.messages.length, 1);
    } finally {
      mailer.close();
    }
  });
});
