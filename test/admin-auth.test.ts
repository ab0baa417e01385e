import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadAdminCredentials, verifyPassword } from '../src/web/security/admin-auth.js';
import { tempDir, writeConfig, JOBDIR_BIN } from './helpers.js';
import { startTestServer, type TestServer } from './server.js';

const basic = (user: string, pw: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`,
});

describe('admin credentials from a file the web process reads at start', () => {
  let svc: TestServer;
  let creds: string;
  before(async () => {
    svc = await startTestServer({}, { admin: true });
    creds = svc.cfg.web.adminCredentials!;
  });
  after(() => svc.close());

  test('the file holds user:scrypt lines, mode 660 less the umask (never for others), never the password', async () => {
    const text = await fs.readFile(creds, 'utf8');
    assert.match(text, /^ada:scrypt\$16384\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+\n$/);
    assert.doesNotMatch(text, /horse/);
    // Group-readable under the usual umask: a web process run as a second user of the
    // service's group reads it (docs/deploy.md); others never.
    const umask = process.umask();
    assert.equal((await fs.stat(creds)).mode & 0o777, 0o660 & ~umask);
    assert.equal((await fs.stat(creds)).mode & 0o007, 0);
    const map = await loadAdminCredentials(creds);
    assert.equal(await verifyPassword(map.get('ada')!, 'correct horse battery'), true);
    assert.equal(await verifyPassword(map.get('ada')!, 'wrong'), false);
  });

  test('/api/admin without, or with wrong, credentials is 401 JSON with a Basic challenge', async () => {
    for (const headers of [
      {},
      basic('ada', 'wrong password'),
      basic('eve', 'correct horse battery'),
      { authorization: 'Bearer x' },
    ]) {
      const res = await fetch(`${svc.url}/api/admin/whoami`, { headers });
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="jobdir admin"/);
      const body = (await res.json()) as { error: { code: string } };
      assert.equal(body.error.code, 'unauthorized');
    }
    const page = await fetch(`${svc.url}/admin`);
    assert.equal(page.status, 401);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    await page.text();
  });

  test('the right credentials pass, and say who is signed in', async () => {
    const res = await fetch(`${svc.url}/api/admin/whoami`, {
      headers: basic('ada', 'correct horse battery'),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { user: 'ada' });
  });

  test('without a credentials file every admin request is refused', async () => {
    const other = await startTestServer();
    try {
      const res = await fetch(`${other.url}/api/admin/whoami`, {
        headers: basic('ada', 'correct horse battery'),
      });
      assert.equal(res.status, 401);
    } finally {
      await other.close();
    }
  });

  test('jobdir admin-user NAME adds a user with the password from stdin', async () => {
    const r3 = tempDir();
    const file = join(r3, 'admins');
    const cfg = await writeConfig(r3, { web: { admin_credentials: file } });
    const out = spawnSync(process.execPath, [JOBDIR_BIN, 'admin-user', 'bob', '--config', cfg], {
      input: 'a long enough secret\n',
      encoding: 'utf8',
    });
    assert.equal(out.status, 0, out.stderr);
    const map = await loadAdminCredentials(file);
    assert.equal(await verifyPassword(map.get('bob')!, 'a long enough secret'), true);
  });
});
