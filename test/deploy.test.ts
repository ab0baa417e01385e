/**
 * docs/deploy.md, step by step: the blocks it marks "tested" are read from the file and run
 * here, with /srv, /var/lib and /var/backups moved under a temporary root, fresh users
 * (useradd) for `myservice` and `myservice-web`, and free ports. systemd is not PID 1 on
 * this machine: the units pass `systemd-analyze verify` and their ExecStart runs by hand as
 * their User and Group (setpriv), in their WorkingDirectory, with a clean environment.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { simpleParser } from 'mailparser';
import { JOBDIR_BIN, ROOT, tempDir, waitFor } from './helpers.js';

const run = promisify(execFile);
const DOC = readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8');
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The fenced block after `<!-- tested: NAME -->` in docs/deploy.md. */
function block(name: string): string {
  const m = new RegExp(`<!-- tested: ${name} -->\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\`\`\`\\n`).exec(DOC);
  assert.ok(m, `docs/deploy.md has a tested block "${name}"`);
  return m[1]!;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

const tag = `jdt${process.pid % 100000}`;
const SVC = tag;
const WEB = `${tag}w`;
const T = tempDir('jobdir-deploy-');
const DATA = join(T, 'var/lib/myservice');
const PROJECT = join(T, 'srv/myservice');
const CONFIG = join(PROJECT, 'service.ini');
let ports: { web: number; backend: number };

/** A block of the doc as it runs here: paths under T, these users, these ports. */
function local(text: string): string {
  return text
    .replaceAll('/var/lib', join(T, 'var/lib'))
    .replaceAll('/var/backups', join(T, 'var/backups'))
    .replaceAll('/srv', join(T, 'srv'))
    .replace(/(?<![\w/.-])myservice-web(?![\w./-])/g, WEB)
    .replace(/(?<![\w/.-])myservice(?![\w./-])/g, SVC)
    .replaceAll('8080', String(ports.web))
    .replaceAll('8081', String(ports.backend));
}

/** `argv` as `user`:`group` (setpriv: exec in place, as systemd does), in `cwd`, with a clean environment. */
function asUser(user: string, group: string, argv: string[], cwd = '/'): ChildProcess {
  return spawn(
    'setpriv',
    [
      `--reuid=${user}`,
      `--regid=${group}`,
      '--init-groups',
      '/usr/bin/env',
      '-i',
      `PATH=${PATH}`,
      'LANG=C.UTF-8',
      '/bin/sh',
      '-c',
      'cd "$1" && shift && exec "$@"',
      'sh',
      cwd,
      ...argv,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/** Run to the end; its output and exit code. */
function finish(p: ChildProcess): Promise<{ out: string; err: string; code: number | null }> {
  let out = '';
  let err = '';
  p.stdout!.on('data', (d: Buffer) => void (out += d.toString()));
  p.stderr!.on('data', (d: Buffer) => void (err += d.toString()));
  return new Promise((r) => p.once('exit', (code) => r({ out, err, code })));
}

/** A unit's [Service] keys. */
function service(unit: string): Record<string, string> {
  const body = unit.slice(unit.indexOf('[Service]'));
  return Object.fromEntries(
    [...body.matchAll(/^([A-Za-z]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.trim()]),
  );
}

const running = new Set<ChildProcess>();
/** Start a unit's ExecStart by hand (as `user`, default its User); resolves once it serves. */
async function startUnit(unit: string, user?: string): Promise<ChildProcess> {
  const s = service(unit);
  const p = asUser(user ?? s.User!, s.Group!, s.ExecStart!.split(/\s+/), s.WorkingDirectory);
  running.add(p);
  let out = '';
  p.stdout!.on('data', (d: Buffer) => void (out += d.toString()));
  p.stderr!.on('data', (d: Buffer) => void (out += d.toString()));
  p.once('exit', () => running.delete(p));
  await waitFor(
    () => {
      if (p.exitCode !== null) throw new Error(`${s.ExecStart} exited ${p.exitCode}:\n${out}`);
      return out.includes(' is serving on ');
    },
    60_000,
    `${s.ExecStart} to serve`,
  );
  return p;
}
/** What `systemctl stop` does with KillMode=process: TERM to the main process, then wait. */
async function stop(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await gone;
}

const jobdirAs = (user: string, ...args: string[]) =>
  finish(asUser(user, SVC, [join(PROJECT, 'node_modules/.bin/jobdir'), ...args], PROJECT));

async function submit(url: string, fields: Record<string, string>): Promise<string> {
  const res = await fetch(`${url}/api/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fields),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return ((await res.json()) as { id: string }).id;
}
async function waitState(url: string, id: string, state: string): Promise<void> {
  await waitFor(
    async () =>
      ((await (await fetch(`${url}/api/jobs/${id}`)).json()) as { state: string }).state === state,
    60_000,
    `job ${id} ${state}`,
  );
}

/** Every path under `dir` (itself included). */
async function walk(dir: string): Promise<string[]> {
  const out = [dir];
  for (const e of await fs.readdir(dir, { withFileTypes: true }))
    out.push(...(e.isDirectory() ? await walk(join(dir, e.name)) : [join(dir, e.name)]));
  return out;
}

describe('docs/deploy.md, each step', () => {
  let gid = 0;
  let backend: ChildProcess | undefined;
  let web: ChildProcess | undefined;
  const units: Record<string, string> = {};
  const webUrl = () => `http://127.0.0.1:${ports.web}`;
  let done = '';
  let myJobsPath = '';

  before(async () => {
    ports = { web: await freePort(), backend: await freePort() };
    await fs.chmod(T, 0o755);
    // The setup block: the two users and the data root.
    await run('bash', ['-euc', local(block('setup'))]);
    gid = Number((await run('id', ['-g', SVC])).stdout.trim());
    // The project as `jobdir new-service` writes it, its dependency installed as npm links it.
    await run(process.execPath, [
      JOBDIR_BIN,
      'new-service',
      'myservice',
      '--dir',
      PROJECT,
      '--jobdir',
      `file:${ROOT}`,
    ]);
    await fs.mkdir(join(PROJECT, 'node_modules/.bin'), { recursive: true });
    await fs.symlink(ROOT, join(PROJECT, 'node_modules/jobdir'));
    await fs.symlink('../jobdir/dist/src/cli/bin.cjs', join(PROJECT, 'node_modules/.bin/jobdir'));
    const scaffold = await fs.readFile(join(PROJECT, 'myservice.ini'), 'utf8');
    const jobSections = scaffold.slice(scaffold.indexOf('[oldjobs]'));
    await fs.writeFile(CONFIG, `${local(block('config'))}\n${jobSections}`);
    await run('chmod', ['-R', 'a+rX', join(T, 'srv')]);
    for (const name of ['backend-unit', 'web-unit']) units[name] = local(block(name));
  });

  after(async () => {
    await stop(backend);
    await stop(web);
    for (const p of running) await stop(p);
    await jobdirAs(SVC, 'stop', '--config', CONFIG).catch(() => {});
    // Processes left under the test's users (a daemon, a wrapper), each by its pid.
    for (const user of [SVC, WEB]) {
      const { stdout } = await run('pgrep', ['-u', user]).catch(() => ({ stdout: '' }));
      for (const pid of stdout.split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
    }
    await run('userdel', [WEB]).catch(() => {});
    await run('userdel', [SVC]).catch(() => {});
    await run('groupdel', [SVC]).catch(() => {});
  });

  test('setup: the users, and a data root that only they can enter', async () => {
    assert.match((await run('id', [WEB])).stdout, new RegExp(`gid=${gid}\\(${SVC}\\)`));
    const st = await fs.stat(DATA);
    assert.equal(st.mode & 0o7777, 0o2770);
    assert.equal(st.gid, gid);
  });

  test('the units pass systemd-analyze verify', async () => {
    const dir = join(T, 'units');
    await fs.mkdir(dir);
    for (const [name, text] of Object.entries(units)) {
      const file = join(dir, `${SVC}-${name.replace('-unit', '')}.service`);
      await fs.writeFile(file, text);
      const { stdout, stderr } = await run('systemd-analyze', ['verify', file]);
      assert.equal(stdout + stderr, '', `${name}: ${stdout}${stderr}`);
    }
  });

  test('[backend] user: the backend started as the web user refuses, naming the key and the user', async () => {
    const s = service(units['backend-unit']!);
    const r = await finish(asUser(WEB, SVC, s.ExecStart!.split(/\s+/), s.WorkingDirectory));
    assert.notEqual(r.code, 0);
    assert.match(
      r.err,
      new RegExp(
        `\\[backend\\] user says the backend runs as "${SVC}", but this process runs as "${WEB}"`,
      ),
    );
  });

  test("backend and web as their users: a job taken by the web runs as the backend; its files are the group's, no one else may read them; the secret is 660", async () => {
    backend = await startUnit(units['backend-unit']!);
    web = await startUnit(units['web-unit']!);
    const id = await submit(webUrl(), {
      type: 'run',
      text: 'hello',
      times: '2',
      email: 'ada@example.test',
    });
    await waitState(webUrl(), id, 'completed');
    done = id;
    const page = await fetch(`${webUrl()}/jobs/${id}`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /hello\nhello/);
    const dir = join(DATA, 'completed', id);
    // The web made the folder, the backend's program wrote its output: one group, nothing for others.
    assert.equal((await fs.stat(dir)).uid, Number((await run('id', ['-u', WEB])).stdout));
    assert.equal(
      (await fs.stat(join(dir, 'stdout.txt'))).uid,
      Number((await run('id', ['-u', SVC])).stdout),
    );
    for (const path of await walk(DATA)) {
      const st = await fs.lstat(path);
      if (st.isSymbolicLink()) continue;
      assert.equal(st.gid, gid, `${path} is in the service's group`);
      assert.equal(st.mode & 0o007, 0, `${path} gives others nothing`);
    }
    const secret = await fs.stat(join(DATA, 'web-secret'));
    assert.equal(secret.mode & 0o777, 0o660);
    const nobody = await finish(asUser('nobody', 'nogroup', ['ls', DATA]));
    assert.notEqual(nobody.code, 0);
    assert.match(nobody.err, /Permission denied/);
    // An admin command as the service user.
    const list = await jobdirAs(SVC, 'list', 'completed', '--config', CONFIG);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, new RegExp(`^${id}\\s+completed`, 'm'));
    // The completion mail's my-jobs link (checked again after a restore).
    const mails = (await fs.readdir(join(DATA, 'outbox'))).filter((f) => f.startsWith(id));
    const mail = await simpleParser(await fs.readFile(join(DATA, 'outbox', mails[0]!)));
    myJobsPath = /https:\/\/lab\.example\.org\/myservice(\/my-jobs\S*)/.exec(mail.text ?? '')![1]!;
    assert.match(await (await fetch(`${webUrl()}${myJobsPath}`)).text(), new RegExp(id));
    await stop(web);
    await stop(backend);
  });

  test('cron: condstart starts the daemon as the service user, and is silent while it runs', async () => {
    const line = block('cron')
      .split('\n')
      .find((l) => /^\*/.test(l))!;
    const [, user, cmd] = /^(?:\S+\s+){5}(\S+)\s+(.*)$/.exec(local(line))!;
    assert.equal(user, SVC);
    const first = await finish(asUser(SVC, SVC, ['/bin/sh', '-c', cmd!]));
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /The backend started/);
    const again = await finish(asUser(SVC, SVC, ['/bin/sh', '-c', cmd!]));
    assert.equal(again.code, 0, again.err);
    assert.equal(again.out + again.err, '');
  });

  test("logrotate's rule: the old lines rotated, the daemon's next lines start the new file, with no zero bytes", async () => {
    const log = join(DATA, 'backend.state.log');
    assert.match(await fs.readFile(log, 'utf8'), /"event":"web_ready"/);
    await fs.writeFile(join(T, 'logrotate.conf'), local(block('logrotate')));
    await run('logrotate', ['-f', '-s', join(T, 'logrotate.state'), join(T, 'logrotate.conf')]);
    assert.match(await fs.readFile(`${log}.1`, 'utf8'), /"event":"web_ready"/);
    const id = await submit(webUrl(), { type: 'run', text: 'after', times: '1' });
    await waitState(webUrl(), id, 'completed');
    const text = await waitFor(
      async () => {
        const t = await fs.readFile(log, 'utf8');
        return t.includes(`"job":"${id}"`) ? t : null;
      },
      30_000,
      'the new job in the new log',
    );
    assert.ok(!text.includes('\0'), 'no zero bytes');
    assert.match(text, /^\{"t":/, 'the new file starts with a log line');
    assert.ok(!text.includes('"event":"web_ready"'), 'the old lines are gone from it');
    const stopped = await jobdirAs(SVC, 'stop', '--config', CONFIG);
    assert.equal(stopped.code, 0, stopped.err);
  });

  test('backup, loss, restore: old results, a my-jobs link made before the backup and the failed job are back', async () => {
    backend = await startUnit(units['backend-unit']!);
    web = await startUnit(units['web-unit']!);
    const failing = await submit(webUrl(), { type: 'run', text: 'x', times: '1' });
    await waitState(webUrl(), failing, 'completed');
    const failed = await jobdirAs(SVC, 'fail', failing, '-n', '--config', CONFIG);
    assert.equal(failed.code, 0, failed.err);
    const secret = await fs.readFile(join(DATA, 'web-secret'), 'utf8');
    await fs.mkdir(join(T, 'var/backups'));
    /** A doc block, line by line: its `systemctl` lines done as the units would be. */
    const runBlock = async (text: string) => {
      for (const line of local(text)
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith('#'))) {
        if (line.startsWith('systemctl stop')) {
          await stop(web);
          await stop(backend);
        } else if (line.startsWith('systemctl start')) {
          backend = await startUnit(units['backend-unit']!);
          web = await startUnit(units['web-unit']!);
        } else await run('bash', ['-euc', line]);
      }
    };
    await runBlock(block('backup'));
    await runBlock(block('restore'));
    assert.equal(await fs.readFile(join(DATA, 'web-secret'), 'utf8'), secret);
    assert.equal((await fs.stat(DATA)).mode & 0o7777, 0o2770);
    const page = await fetch(`${webUrl()}/jobs/${done}`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /hello\nhello/);
    assert.match(await (await fetch(`${webUrl()}${myJobsPath}`)).text(), new RegExp(done));
    const list = await jobdirAs(SVC, 'list', 'failed', '--config', CONFIG);
    assert.match(list.out, new RegExp(`^${failing}\\s+failed`, 'm'));
    assert.ok(existsSync(join(DATA, 'wrappers')), 'the wrapper copies are kept');
    await stop(web);
    await stop(backend);
  });
});
