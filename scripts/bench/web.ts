/**
 * Issue 6's figures: requests/s and p99 latency of a completed job's API status and its
 * results page, served by a web-only `jobdir serve` in its own process, beside a bare hono
 * handler returning a constant (same machine, same run, same autocannon settings), plus
 * the latency of an unknown id against a malformed one (misses must look alike).
 * autocannon runs in this process; each server in a child, so they do not share a loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startService } from '../../src/cli/serve.js';
import { silentLog } from '../../src/log.js';
import { ROOT, tempDir, writeConfig, JOBDIR_BIN } from '../../test/helpers.js';
import { figure } from './util.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

const BARE = `
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
const app = new Hono();
app.get('/', (c) => c.json({ ok: true }));
const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (i) => console.log('serving on http://127.0.0.1:' + i.port));
`;

/** Start a child, its output to a log file (as a daemon's), and resolve with the URL it prints ("… serving on URL …"). */
async function child(
  args: string[],
  logFile: string,
): Promise<{ url: string; proc: ChildProcess }> {
  const fd = openSync(logFile, 'w');
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  for (let i = 0; i < 600; i++) {
    const m = /serving on (http:\/\/[^\s]+)/.exec(await fs.readFile(logFile, 'utf8'));
    if (m) return { url: m[1]!, proc };
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  proc.kill();
  throw new Error(`server did not start: ${await fs.readFile(logFile, 'utf8')}`);
}

async function load(
  url: string,
  title: string,
): Promise<{ rps: number; p99: number; non2xx: number }> {
  await autocannon({ url, connections: CONNECTIONS, duration: 1 }); // warm-up
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION, title });
  return { rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx + r.errors };
}

export default async function (): Promise<void> {
  const root = tempDir('jobdir-bench-web-');
  const cfgFile = await writeConfig(root, {
    web: { miss_limit: '100000000/1h', submit_limit: '100000/1h' },
  });
  // Make one completed job with the full stack, then serve it from a web-only process.
  const svc = await startService(cfgFile, { port: 0, log: silentLog });
  const res = await fetch(`${svc.url}/api/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ x: 7, y: 2 }),
  });
  const { id } = (await res.json()) as { id: string };
  for (;;) {
    const s = (await (await fetch(`${svc.url}/api/jobs/${id}`)).json()) as { state: string };
    if (s.state === 'completed') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await svc.close();

  const bare = await child(['--input-type=module', '-e', BARE], join(root, 'bare.log'));
  const web = await child(
    [JOBDIR_BIN, 'serve', '--web-only', '--port', '0', '--config', cfgFile],
    join(root, 'web.log'),
  );
  try {
    console.log(
      `autocannon: ${CONNECTIONS} connections, ${DURATION} s per figure, servers in child processes, loopback`,
    );
    const b = await load(`${bare.url}/`, 'bare hono');
    const api = await load(`${web.url}/api/jobs/${id}`, 'api status');
    const page = await load(`${web.url}/jobs/${id}`, 'results page');
    const unknown = await load(`${web.url}/api/jobs/bcdfghjkmnpq`, 'unknown id');
    const malformed = await load(`${web.url}/api/jobs/not-an-id`, 'malformed id');
    figure('bare hono constant: requests/s', b.rps, 'req/s', `p99 ${b.p99} ms`);
    figure(
      'API status of a completed job: requests/s',
      api.rps,
      'req/s',
      `p99 ${api.p99} ms; ${((api.rps / b.rps) * 100).toFixed(0)}% of bare (target ≥ 5000 req/s, p99 < 20 ms)`,
    );
    figure(
      'results page of a completed job: requests/s',
      page.rps,
      'req/s',
      `p99 ${page.p99} ms; ${((page.rps / b.rps) * 100).toFixed(0)}% of bare`,
    );
    figure('404 unknown well-formed id: requests/s', unknown.rps, 'req/s', `p99 ${unknown.p99} ms`);
    figure('404 malformed id: requests/s', malformed.rps, 'req/s', `p99 ${malformed.p99} ms`);
    const bad = api.non2xx + page.non2xx + b.non2xx;
    if (bad) console.log(`warning: ${bad} non-2xx answers or errors during the 200 runs`);
  } finally {
    bare.proc.kill();
    web.proc.kill();
  }
}
