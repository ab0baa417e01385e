import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadAdminCredentials, verifyPassword } from '../src/web/security/admin-auth.js';
import { JOBDIR_BIN, SLOWDIV, tempDir, writeConfig } from './helpers.js';
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

describe('/metrics: open by default, behind the admin credentials with [web] metrics_auth = yes', () => {
  const metrics = (svc: TestServer, headers: Record<string, string> = {}) =>
    fetch(`${svc.url}/metrics`, { headers });

  test("metrics_auth = yes: 401 with a Basic challenge without or with wrong credentials, the Prometheus text with the admin's", async () => {
    const svc = await startTestServer({ web: { metrics_auth: 'yes' } }, { admin: true });
    try {
      for (const headers of [{}, basic('ada', 'wrong password'), basic('eve', 'x')]) {
        const res = await metrics(svc, headers);
        assert.equal(res.status, 401);
        assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="jobdir admin"/);
        assert.doesNotMatch(await res.text(), /jobdir_jobs/);
      }
      const ok = await metrics(svc, basic('ada', 'correct horse battery'));
      assert.equal(ok.status, 200);
      assert.match(ok.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      assert.match(await ok.text(), /^jobdir_jobs\{state="incoming"\} 0$/m);
      // /healthz stays open for load balancers.
      assert.equal((await fetch(`${svc.url}/healthz`)).status, 200);
    } finally {
      await svc.close();
    }
  });

  test('by default (and with metrics_auth = no) /metrics is open, though admin pages ask for credentials', async () => {
    for (const web of [{}, { metrics_auth: 'no' }] as Record<string, string>[]) {
      const svc = await startTestServer({ web }, { admin: true });
      try {
        const res = await metrics(svc);
        assert.equal(res.status, 200, JSON.stringify(web));
        assert.match(await res.text(), /^jobdir_jobs\{state="incoming"\} 0$/m);
        assert.equal((await fetch(`${svc.url}/admin`)).status, 401);
      } finally {
        await svc.close();
      }
    }
  });

  test('metrics_auth is validated like other keys: not yes/no, or yes without admin_credentials, is a config error naming it', async () => {
    const { loadConfig, ConfigError } = await import('../src/config/index.js');
    const root = tempDir();
    for (const [web, rule] of [
      [{ metrics_auth: 'sometimes' }, /\[web\] metrics_auth must be true or false .*"sometimes"/],
      [{ metrics_auth: 'yes' }, /\[web\] metrics_auth is yes, but no admin_credentials file/],
    ] as const) {
      assert.throws(
        () => loadConfig(writeConfigSyncFor(root, web)),
        (err: unknown) => err instanceof ConfigError && rule.test(err.message),
      );
    }
    const on = loadConfig(writeConfigSyncFor(root, { metrics_auth: 'on', admin_credentials: 'a' }));
    assert.equal(on.web.metricsAuth, true);
    assert.equal(loadConfig(writeConfigSyncFor(root, {})).web.metricsAuth, false);
  });
});

/** A config with these [web] keys, written synchronously (writeConfig's defaults otherwise). */
function writeConfigSyncFor(root: string, web: Record<string, string>): string {
  const file = join(root, `web-${Math.random().toString(36).slice(2)}.ini`);
  const lines = Object.entries(web).map(([k, v]) => `${k} = ${v}\n`);
  writeFileSync(
    file,
    `[general]\nservice_name = T\nservice = ${SLOWDIV}\nadmin_email = a@example.test\n[directories]\ninstall = .\nincoming = ${root}/incoming\npreprocessing = ${root}/preprocessing\n[web]\n${lines.join('')}`,
  );
  return file;
}
