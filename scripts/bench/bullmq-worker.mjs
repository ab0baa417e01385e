// The BullMQ side of `npm run bench peers`, in a process of its own as a deployment has it:
// a Worker with concurrency C whose processor spawns /bin/true and resolves on its exit.
// Prints "ready" once connected and "warm" once W warm-up jobs have completed; after N
// more it prints one JSON line {done: ms since epoch of the last completion, starts:
// [processor start - job.timestamp, …] of those N} and waits for stdin to close.
//   node bullmq-worker.mjs PORT QUEUE N C W
import { spawn } from 'node:child_process';
import { Worker } from 'bullmq';

const [port, queue, n, c, w = '0'] = process.argv.slice(2);
const W = Number(w);
const N = Number(n) + W;
const starts = [];
let completed = 0;
const worker = new Worker(
  queue,
  (job) =>
    new Promise((resolve, reject) => {
      starts.push(Date.now() - job.timestamp);
      const p = spawn('/bin/true', [], { stdio: 'ignore' });
      p.once('error', reject);
      p.once('exit', () => resolve(null));
    }),
  { connection: { host: '127.0.0.1', port: Number(port) }, concurrency: Number(c) },
);
worker.on('completed', () => {
  if (++completed === W && W > 0) process.stdout.write('warm\n');
  if (completed === N) {
    const done = Date.now();
    process.stdout.write(`${JSON.stringify({ done, starts: starts.slice(W) })}\n`);
  }
});
worker.on('failed', (_job, err) => process.stderr.write(`bullmq job failed: ${err.message}\n`));
await worker.waitUntilReady();
process.stdout.write('ready\n');
process.stdin.resume();
process.stdin.once('end', () => void worker.close().then(() => process.exit(0)));
