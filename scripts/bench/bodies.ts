/**
 * Issue 16's figures: the server's peak memory while a 100 MiB body is sent to each route
 * that takes one, by Content-Length and chunked, beside its idle RSS. The server is
 * `jobdir serve` in a child process; its peak (VmHWM) is reset before each request by
 * writing 5 to /proc/PID/clear_refs and read after the answer. The client writes the
 * body 64 KiB at a time while no answer has come, as a real upload would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { setAdminUser } from '../../src/web/security/admin-auth.js';
import { FIXTURE_SERVICE, ROOT, tempDir, writeConfig, JOBDIR_BIN } from '../../test/helpers.js';
import { rawRequest } from '../../test/http-raw.js';
import { figure } from './util.js';

const BODY = Number(process.env.BENCH_BODY_MIB ?? 100) * 1024 * 1024;
const ONLY = process.env.BENCH_ROUTE ?? '';
const REPEAT = Number(process.env.BENCH_REPEAT ?? 1);
const ADMIN = `Basic ${Buffer.from('ada:correct horse battery').toString('base64')}`;

const mib = (kb: number) => kb / 1024;
async function status(pid: number): Promise<{ rss: number; hwm: number }> {
  const text = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: mib(kb('VmRSS')), hwm: mib(kb('VmHWM')) };
}

async function start(cfg: string, log: string): Promise<{ url: string; proc: ChildProcess }> {
  const out = await fs.open(log, 'w');
  const proc = spawn(process.execPath, [JOBDIR_BIN, 'serve', '--config', cfg], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', out.fd],
  });
  await out.close();
  for (let i = 0; i < 600; i++) {
    const m = /"event":"web_ready","url":"([^"]+)"/.exec(await fs.readFile(log, 'utf8'));
    if (m) return { url: m[1]!, proc };
    await new Promise((r) => setTimeout(r, 50));
  }
  proc.kill();
  throw new Error(`server did not start: ${await fs.readFile(log, 'utf8')}`);
}

export default async function bodies(): Promise<void> {
  const root = tempDir('jobdir-bench-bodies-');
  const creds = join(root, 'admins');
  await setAdminUser(creds, 'ada', 'correct horse battery');
  const cfg = await writeConfig(root, {
    general: { service: FIXTURE_SERVICE },
    web: { admin_credentials: creds, miss_limit: '100000/1h' },
  });
  const { url, proc } = await start(cfg, join(root, 'server.log'));
  try {
    const page = await fetch(`${url}/`);
    const cookie = page.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const csrf = /name="csrf" value="([a-f0-9]+)"/.exec(await page.text())![1]!;
    const id = (
      (await (
        await fetch(`${url}/api/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"type":"sleep","seconds":"600"}',
        })
      ).json()) as { id: string }
    ).id;
    const form = {
      'Content-Type': 'application/x-www-form-urlencoded',
      Cookie: cookie,
      Authorization: ADMIN,
    };
    const json = { 'Content-Type': 'application/json' };
    const routes: [string, Record<string, string>, string][] = [
      ['/jobs', form, `csrf=${csrf}&type=ok&text=`],
      ['/api/jobs', json, '{"type":"ok","text":"'],
      ['/my-jobs', form, `csrf=${csrf}&email=a%40example.test&pad=`],
      ['/api/my-jobs', json, '{"email":"a@example.test","pad":"'],
      [`/jobs/${id}/cancel`, form, `csrf=${csrf}&pad=`],
      [`/api/jobs/${id}/cancel`, json, '{"pad":"'],
      [`/admin/jobs/${id}/cancel`, form, `csrf=${csrf}&pad=`],
    ];
    // Warm up: every route once with a small body (an unknown job: nothing is cancelled), so code loaded on first use is not counted.
    for (const [path, headers, prefix] of routes)
      await rawRequest(url, {
        path: path.replace(id, 'bcdfghjkmnpq'),
        headers,
        prefix,
        bodyBytes: 10,
      });
    await new Promise((r) => setTimeout(r, 500));
    const idle = await status(proc.pid!);
    figure('server RSS, idle', idle.rss, 'MiB');
    let top = idle.rss;
    for (const [path, headers, prefix] of routes) {
      if (ONLY && !path.startsWith(ONLY)) continue;
      for (const chunked of [false, true]) {
        for (let i = 0; i < REPEAT; i++) {
          const before = (await status(proc.pid!)).rss;
          await fs.writeFile(`/proc/${proc.pid}/clear_refs`, '5');
          const res = await rawRequest(url, { path, headers, prefix, bodyBytes: BODY, chunked });
          const s = await status(proc.pid!);
          top = Math.max(top, s.hwm);
          const name = `${path.replace(id, ':id')} ${chunked ? 'chunked' : 'length'}`;
          figure(
            `peak RSS, ${BODY / 1048576} MiB to ${name}`,
            s.hwm,
            'MiB',
            `(+${(s.hwm - before).toFixed(1)} during it, +${(s.hwm - idle.rss).toFixed(1)} over idle; ${res.status}; ${(res.wrote / 1048576).toFixed(1)} MiB sent before the answer)`,
          );
        }
      }
    }
    figure('highest peak over idle, all routes', top - idle.rss, 'MiB');
    await fetch(`${url}/api/jobs/${id}/cancel`, { method: 'POST' });
  } finally {
    proc.kill('SIGTERM');
  }
}
