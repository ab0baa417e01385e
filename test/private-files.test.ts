/**
 * What jobdir writes stays private and whole on a shared host: the default umask gives
 * others nothing; the wrapper copies the backend runs cannot be changed by the group (a web
 * process run as a second user); the web secret is made durably and once, and a damaged
 * one is refused, not replaced; HSTS is left to the lab's web server; a urltop in capitals
 * still makes Secure cookies; X-Forwarded-For is believed only from a proxy on this host.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Hono } from 'hono';
import { loadConfig } from '../src/config/index.js';
import { installWrapper } from '../src/store/index.js';
import { WRAPPER } from '../src/runners/local.js';
import { loadSecret } from '../src/web/secret.js';
import { siteOf } from '../src/web/site.js';
import { clientAddress } from '../src/web/security/client.js';
import { idsIn, submitForm, tempDir, waitFor, writeConfig, idFromRedirect } from './helpers.js';
import { startTestServer } from './server.js';

/** Run `fn` with the process umask set to `mask`, then put the old one back. */
async function withUmask<T>(mask: number, fn: () => Promise<T>): Promise<T> {
  const old = process.umask(mask);
  try {
    return await fn();
  } finally {
    process.umask(old);
  }
}

describe('files on a shared host', () => {
  test("by default a job's folder and files give others nothing", async () => {
    const svc = await startTestServer();
    try {
      const id = idFromRedirect(await submitForm(svc.url, { type: 'divide', x: '6', y: '3' }));
      await waitFor(async () => (await idsIn(svc.root, 'completed')).includes(id), 20_000);
      const dir = join(svc.root, 'jobs/completed', id);
      for (const p of [dir, ...(await fs.readdir(dir)).map((f) => join(dir, f))])
        assert.equal((await fs.stat(p)).mode & 0o007, 0, `${p} gives others nothing`);
    } finally {
      await svc.close();
    }
  });

  test('the wrapper copy the backend runs is not writable by its group, whatever the umask', async () => {
    const data = tempDir('jobdir-wrappers-');
    const path = await withUmask(0o002, () => installWrapper(data, WRAPPER));
    assert.equal((await fs.stat(path)).mode & 0o777, 0o550);
    assert.equal((await fs.stat(join(data, 'wrappers'))).mode & 0o777, 0o750);
    // A copy made group-writable by hand is put right on the next start.
    await fs.chmod(path, 0o770);
    await withUmask(0o002, () => installWrapper(data, WRAPPER));
    assert.equal((await fs.stat(path)).mode & 0o777, 0o550);
  });
});

describe('the web secret', () => {
  test('is made once, durably, by whichever of two processes comes first; both read the same', async () => {
    const file = join(tempDir('jobdir-secret-'), 'sub/web-secret');
    const [a, b] = await Promise.all([loadSecret(file), loadSecret(file)]);
    assert.equal(a, b);
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.equal((await fs.stat(file)).mode & 0o007, 0);
    assert.deepEqual(await fs.readdir(join(file, '..')), ['web-secret'], 'no temp file left');
  });

  test('a damaged (empty or short) secret is refused, naming the file, and left as it is', async () => {
    const file = join(tempDir('jobdir-secret-'), 'web-secret');
    await fs.writeFile(file, '');
    await assert.rejects(loadSecret(file), new RegExp(`${file} \\(\\[web\\] secret_file\\)`));
    assert.equal(await fs.readFile(file, 'utf8'), '');
  });
});

describe('headers and addresses', () => {
  test('no Strict-Transport-Security: a service under a path does not pin the whole domain', async () => {
    const svc = await startTestServer();
    try {
      const res = await fetch(`${svc.url}/`);
      assert.equal(res.headers.get('strict-transport-security'), null);
      assert.ok(res.headers.get('content-security-policy'));
    } finally {
      await svc.close();
    }
  });

  test('an urltop whose scheme is written in capitals still makes Secure cookies', async () => {
    const root = tempDir('jobdir-site-');
    const cfg = loadConfig(
      await writeConfig(root, { general: { urltop: 'HTTPS://lab.example.org/svc' } }),
    );
    assert.equal(siteOf(cfg).secure, true);
  });

  test('with trust_proxy, X-Forwarded-For is taken from a loopback peer only', async () => {
    const app = new Hono();
    app.get('/', (c) => c.text(clientAddress(c, true)));
    const from = async (peer: string) =>
      (
        await app.request(
          '/',
          { headers: { 'x-forwarded-for': '203.0.113.9, 198.51.100.7' } },
          { incoming: { socket: { remoteAddress: peer, remotePort: 1 } } },
        )
      ).text();
    assert.equal(await from('127.0.0.1'), '198.51.100.7', 'the hop the proxy appended');
    assert.equal(await from('::ffff:127.0.0.1'), '198.51.100.7');
    assert.equal(await from('::1'), '198.51.100.7');
    assert.equal(await from('192.0.2.50'), '192.0.2.50', 'a client on the network names nothing');
  });
});
