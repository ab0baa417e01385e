import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadConfig } from '../src/config/index.js';
import { parseBytes, parseRate } from '../src/config/web.js';
import { clientKey } from '../src/web/security/client.js';
import { signEmailToken, verifyEmailToken } from '../src/web/security/tokens.js';
import { tempDir, writeConfig } from './helpers.js';

test('[web] limits parse sizes and rates, and a bad value names the file, section and key', async () => {
  assert.equal(parseBytes('64M'), 64 * 1024 * 1024);
  assert.equal(parseBytes('1G'), 1024 ** 3);
  assert.equal(parseBytes('512'), 512);
  assert.deepEqual(parseRate('30/1h'), { count: 30, windowMs: 3_600_000 });
  const root = tempDir();
  const cfg = loadConfig(
    await writeConfig(root, {
      web: { max_download: '10M', submit_limit: '5/10m', admin_credentials: 'admins' },
    }),
  );
  assert.equal(cfg.web.maxDownloadBytes, 10 * 1024 * 1024);
  assert.deepEqual(cfg.web.submitLimit, { count: 5, windowMs: 600_000 });
  assert.equal(cfg.web.adminCredentials, `${root}/admins`);
  assert.throws(
    () => loadConfig(writeConfigSync(root, { web: { submit_limit: 'lots' } })),
    /bad\.ini:\d+: \[web\] submit_limit "lots" is not COUNT\/WINDOW/,
  );
  assert.throws(
    () => loadConfig(writeConfigSync(root, { general: { id_length: '8' } })),
    /\[general\] id_length must be between 12 and 40/,
  );
});

test('my-jobs tokens: valid for their address until they expire; forged or altered ones are refused', () => {
  const t = signEmailToken('s'.repeat(64), 'ann@example.test', 60_000, 1_000_000);
  assert.equal(verifyEmailToken('s'.repeat(64), t, 1_000_000), 'ann@example.test');
  assert.equal(verifyEmailToken('s'.repeat(64), t, 1_000_000 + 61_000), null, 'expired');
  assert.equal(verifyEmailToken('x'.repeat(64), t, 1_000_000), null, 'another secret');
  const [, exp, mac] = t.split('.');
  const other = `${Buffer.from('eve@example.test').toString('base64url')}.${exp}.${mac}`;
  assert.equal(verifyEmailToken('s'.repeat(64), other, 1_000_000), null, 'another address');
  assert.equal(
    verifyEmailToken('s'.repeat(64), `${t.split('.')[0]}.zzzzzz.${mac}`, 1_000_000),
    null,
    'a later expiry',
  );
});

/** A minimal config file with the given [general] and [web] keys. */
function writeConfigSync(root: string, sections: Record<string, Record<string, string>>): string {
  const file = `${root}/bad.ini`;
  const base = `[general]\nservice_name = T\nservice = ${process.cwd()}/src/services/slowdiv/index.ts\nadmin_email = a@example.test\n${Object.entries(
    sections.general ?? {},
  )
    .map(([k, v]) => `${k} = ${v}`)
    .join(
      '\n',
    )}\n[directories]\ninstall = ${root}\nincoming = ${root}/jobs/incoming\npreprocessing = ${root}/jobs/preprocessing\n[web]\n${Object.entries(
    sections.web ?? {},
  )
    .map(([k, v]) => `${k} = ${v}`)
    .join('\n')}\n`;
  writeFileSync(file, base);
  return file;
}

test('rate limits count an IPv6 client by its /64 and an IPv4-mapped one by its IPv4 address', () => {
  assert.equal(clientKey('203.0.113.7'), '203.0.113.7');
  assert.equal(clientKey('::ffff:203.0.113.7'), '203.0.113.7');
  assert.equal(clientKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(clientKey('::1'), '0:0:0:0::/64');
  assert.equal(clientKey('local'), 'local');
});
