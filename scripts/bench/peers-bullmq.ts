/**
 * The peer of `npm run bench peers`: BullMQ over Debian's redis-server, durable as jobdir is
 * (AOF, appendfsync always: every write fsynced before Redis answers), on a private port
 * and folder, stopped by its pid. redis-server is installed through scripts/install-deps.sh
 * when missing (it is needed by this bench only).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import {
  CONCURRENCY,
  freePort,
  JOBS,
  measured,
  type Result,
  treeTicks,
  WARMUP,
} from './peers-common.js';

const REDIS = '/usr/bin/redis-server';
const WORKER = fileURLToPath(new URL('./bullmq-worker.mjs', import.meta.url));

/** A private redis-server. */
export interface Redis {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Start redis-server with AOF fsync on every write, in a fresh folder under `root`. */
export async function startRedis(root: string): Promise<Redis> {
  if (!existsSync(REDIS)) {
    const install = fileURLToPath(new URL('../install-deps.sh', import.meta.url));
    const r = spawnSync('bash', [install, 'redis-server'], { stdio: 'inherit' });
    if (r.status !== 0 || !existsSync(REDIS))
      throw new Error(
        'redis-server is missing and could not be installed (scripts/install-deps.sh redis-server)',
      );
  }
  const dir = mkdtempSync(join(root, 'redis-'));
  const port = await freePort();
  const proc = spawn(
    REDIS,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--daemonize',
      'no',
      '--logfile',
      join(dir, 'redis.log'),
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  // Ready once it answers PING (a Queue connects, asks, disconnects).
  const probe = new Queue('probe', { connection: { host: '127.0.0.1', port } });
  try {
    await probe.waitUntilReady();
    await probe.close();
  } catch (err) {
    // Never leave the server behind (a broken client package, a refused connection).
    process.kill(proc.pid!, 'SIGTERM');
    await exited;
    throw err;
  }
  return {
    port,
    pid: proc.pid!,
    async stop() {
      process.kill(proc.pid!, 'SIGTERM');
      await exited;
    },
  };
}

/** Start the worker process for queue `name`; resolves once it is connected. */
function startWorker(
  port: number,
  name: string,
): Promise<{
  proc: ChildProcess;
  warm: Promise<void>;
  result: Promise<{ done: number; starts: number[] }>;
}> {
  const proc = spawn(
    process.execPath,
    [WORKER, String(port), name, String(JOBS), String(CONCURRENCY), String(WARMUP)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  let out = '';
  let ready: () => void;
  let warmed: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const warm = new Promise<void>((r) => (warmed = r));
  const result = new Promise<{ done: number; starts: number[] }>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      if (lines.includes('ready')) ready();
      if (lines.includes('warm') || WARMUP === 0) warmed();
      const line = lines.find((l) => l.startsWith('{'));
      if (line && out.endsWith('\n'))
        resolve(JSON.parse(line) as { done: number; starts: number[] });
    });
    proc.once('exit', (code) => reject(new Error(`the BullMQ worker exited ${code}`)));
  });
  return isReady.then(() => ({ proc, warm, result }));
}

let runs = 0;

/** JOBS jobs through BullMQ: `add` one at a time (each awaited), or one `addBulk`. */
export async function bullmq(redis: Redis, mode: 'add' | 'bulk'): Promise<Result> {
  const name = `bench${++runs}`;
  const queue = new Queue(name, { connection: { host: '127.0.0.1', port: redis.port } });
  await queue.waitUntilReady();
  const { proc, warm, result } = await startWorker(redis.port, name);
  try {
    for (let i = 0; i < WARMUP; i++) await queue.add('true', { warmup: i });
    await warm;
    const worker = proc.pid!;
    return await measured(
      { server: [redis.pid, worker], jobs: () => treeTicks(worker, null) },
      async () => {
        const submit: number[] = [];
        const t0 = Date.now();
        if (mode === 'add') {
          for (let i = 0; i < JOBS; i++) {
            const p0 = performance.now();
            await queue.add('true', { i });
            submit.push(performance.now() - p0);
          }
        } else {
          const p0 = performance.now();
          await queue.addBulk(
            Array.from({ length: JOBS }, (_, i) => ({ name: 'true', data: { i } })),
          );
          submit.push(performance.now() - p0);
        }
        const { done, starts } = await result;
        return { rate: JOBS / ((done - t0) / 1000), submit, starts };
      },
    );
  } finally {
    proc.stdin!.end();
    await new Promise((r) => proc.once('exit', r));
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
  }
}
