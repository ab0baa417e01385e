/**
 * Issue 8's figures: submitting through the command socket beside HTTP submit, in the
 * same run, to the same backend (fixture `true` jobs, running = 4, every job durable).
 * Latency: 300 submissions one after another on one connection each way (a kept HTTP
 * keep-alive connection; one socket connection). Rate: 2,000 submissions by 8 clients at
 * once, each way. Both go through validateSubmission and createJob; the difference is
 * the transport (HTTP parsing, middleware, CSRF and rate-limit checks vs one line).
 */
import { join } from 'node:path';
import { startService } from '../../src/cli/serve.js';
import { silentLog } from '../../src/log.js';
import { openSocketClient, socketRequest } from '../../src/socket/index.js';
import { FIXTURE_SERVICE, tempDir, writeConfig } from '../../test/helpers.js';
import { figure, pct } from './util.js';

const LAT = 300;
const BURST = Number(process.env.BENCH_SOCKET_JOBS ?? 2000);
const CLIENTS = 8;

export default async function (): Promise<void> {
  const root = tempDir('jobdir-bench-socket-');
  const sock = join(root, 'jobs/backend.sock');
  const cfgFile = await writeConfig(root, {
    general: { service: FIXTURE_SERVICE, socket: sock },
    limits: { running: 4 },
  });
  const svc = await startService(cfgFile, { port: 0, log: silentLog });
  try {
    const httpSubmit = async () => {
      const res = await fetch(`${svc.url}/api/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"type":"true"}',
      });
      if (res.status !== 201) throw new Error(`HTTP submit failed: ${res.status}`);
      await res.arrayBuffer();
    };
    const client = await openSocketClient(sock);
    const sockSubmit = async (c = client) => {
      const r = await c.send('true');
      if (!r.startsWith('ACK ')) throw new Error(`socket submit failed: ${r}`);
    };
    const timeEach = async (fn: () => Promise<void>, n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        await fn();
        out.push(performance.now() - t);
      }
      return out;
    };
    // Warm both paths, then alternate rounds so both see the same machine.
    await timeEach(httpSubmit, 20);
    await timeEach(sockSubmit, 20);
    const httpLat: number[] = [];
    const sockLat: number[] = [];
    const oneShot: number[] = [];
    for (let round = 0; round < 3; round++) {
      httpLat.push(...(await timeEach(httpSubmit, LAT / 3)));
      sockLat.push(...(await timeEach(sockSubmit, LAT / 3)));
      oneShot.push(
        ...(await timeEach(async () => void (await socketRequest(sock, 'true')), LAT / 3)),
      );
    }
    const rate = async (fn: () => Promise<void>) => {
      let left = BURST;
      const t = performance.now();
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (left-- > 0) await fn();
        }),
      );
      return BURST / ((performance.now() - t) / 1000);
    };
    const httpRate = await rate(httpSubmit);
    // Opened now: the socket closes connections idle for 10 s, and the HTTP burst takes a while.
    const clients = await Promise.all(
      Array.from({ length: CLIENTS }, () => openSocketClient(sock)),
    );
    let k = 0;
    const sockRate = await rate(() => sockSubmit(clients[k++ % CLIENTS]));
    for (const c of clients) c.close();
    client.close();
    // Let the backend run what was submitted before the folders are removed.
    const drainStart = performance.now();
    while (svc.backend!.scheduler.queued().length || svc.backend!.scheduler.activeCount())
      await new Promise((r) => setTimeout(r, 100));
    const drained = (performance.now() - drainStart) / 1000;
    console.log(
      `fixture /bin/true jobs, running = 4, every submission durable; ${LAT} sequential submissions per way, then ${BURST} by ${CLIENTS} clients`,
    );
    figure('HTTP submit latency p50 (baseline, JSON API)', pct(httpLat, 50), 'ms');
    figure('HTTP submit latency p99', pct(httpLat, 99), 'ms');
    figure(
      'socket submit latency p50 (kept connection)',
      pct(sockLat, 50),
      'ms',
      `ratio ${(pct(sockLat, 50) / pct(httpLat, 50)).toFixed(2)} of HTTP`,
    );
    figure(
      'socket submit latency p99',
      pct(sockLat, 99),
      'ms',
      `ratio ${(pct(sockLat, 99) / pct(httpLat, 99)).toFixed(2)} of HTTP`,
    );
    figure('socket submit p50, a connection per submission', pct(oneShot, 50), 'ms');
    figure('socket submit p99, a connection per submission', pct(oneShot, 99), 'ms');
    figure(`HTTP submissions/s, ${CLIENTS} clients (baseline)`, httpRate, '/s');
    figure(
      `socket submissions/s, ${CLIENTS} clients`,
      sockRate,
      '/s',
      `ratio ${(sockRate / httpRate).toFixed(2)} of HTTP`,
    );
    console.log(`(the backend then needed ${drained.toFixed(1)} s to run the jobs still queued)`);
  } finally {
    await svc.close();
  }
}
