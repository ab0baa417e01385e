/**
 * `jobdir serve | start | stop | restart | condstart | status`: the backend in the
 * foreground (what systemd runs) and as a daemon. Whether a backend runs is the state
 * file's lock (held by the kernel for a live process), never a pid file alone. Running
 * jobs are never touched: wrappers are detached, so stop and restart leave them running.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync, promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { loadConfig } from '../config/index.js';
import { JobdirError, messageOf } from '../errors.js';
import { reportFatal, wasReported } from '../ops/fatal.js';
import {
  acquireStateLock,
  backendStatus,
  lockoutMessage,
  type BackendStatus,
} from '../ops/statefile.js';
import { createLog } from '../log.js';
import { openStore } from '../store/index.js';
import type { Command } from './commands.js';

/** This very command, as it was started (the package's bin, its Node flags): the daemon runs `serve` with it. */
const self = () => [...process.execArgv, process.argv[1]!];

/** The daemon's log file: next to the state file. */
export function daemonLogFile(stateFile: string): string {
  return `${stateFile}.log`;
}

const say = (s: string) => void process.stdout.write(s + '\n');
const complain = (s: string) => void process.stderr.write(s + '\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function describe(st: BackendStatus): string {
  const r = st.recorded;
  return r ? `pid ${r.pid}${r.host ? ` on ${r.host}` : ''}, since ${r.at}` : 'pid unknown';
}

/** `serve`: web + backend in the foreground until TERM/INT; HUP rescans; an uncaught error is fatal (lockout + admin mail). */
export const serveCommand: Command = {
  usage: '[--port N] [--web-only]',
  help: 'run the web server and the backend in the foreground (npm start, systemd)',
  options: { port: { type: 'string' }, 'web-only': { type: 'boolean' } },
  async run({ config, values }) {
    const port = values.port === undefined ? undefined : Number(values.port);
    const webOnly = values['web-only'] === true;
    let running;
    try {
      // Loaded here: the web server and the backend are what `status` or `stop` need not load.
      const { startService } = await import('./serve.js');
      running = await startService(config, { port, webOnly });
    } catch (err) {
      // A start that failed before the backend ran (the store cannot be opened, …) is as
      // fatal as one that failed in it: record it (lockout) and tell the admin.
      if (!webOnly && !(err instanceof JobdirError) && !wasReported(err))
        await reportStartFailure(config, err);
      throw err;
    }
    for (const w of running.warnings) process.stderr.write(`jobdir serve: ${w}\n`);
    say(
      `${running.service.title} is serving on ${running.url} (data under ${running.cfg.directories.data}, pid ${process.pid})`,
    );
    return new Promise<number>((resolve) => {
      let ending = false;
      const end = (code: number, how: () => Promise<void>) => {
        if (ending) return;
        ending = true;
        how()
          .catch(() => {})
          .finally(() => resolve(code));
      };
      process.once('SIGTERM', () => end(0, running.close));
      process.once('SIGINT', () => end(0, running.close));
      process.on('SIGHUP', () => void running.backend?.rescan().catch(() => {}));
      const fatal = (err: unknown) => end(1, () => running.fatal(err));
      process.on('uncaughtException', fatal);
      process.on('unhandledRejection', fatal);
    });
  },
};

async function reportStartFailure(configFile: string, err: unknown): Promise<void> {
  const cfg = loadConfig(configFile);
  const log = createLog('jobdir');
  const lock = await acquireStateLock(cfg.backend.stateFile).catch(() => null);
  if (!lock) return;
  await reportFatal({ cfg, store: await openStore(cfg).catch(() => null), log }, lock, err);
  await lock.release();
}

/** Start `serve` detached, logging to the daemon log; resolves once it is ready (or says why not). */
async function startDaemon(configFile: string, quiet: boolean): Promise<number> {
  const cfg = loadConfig(configFile);
  const st = await backendStatus(cfg.backend.stateFile);
  if (st.running) {
    if (!quiet) say(`The backend is already running (${describe(st)}).`);
    return 0;
  }
  if (st.lockedOut) {
    complain(lockoutMessage(cfg.backend.stateFile, st.recorded!));
    return 1;
  }
  const logFile = daemonLogFile(cfg.backend.stateFile);
  await fs.mkdir(dirname(logFile), { recursive: true });
  const offset = (await fs.stat(logFile).catch(() => null))?.size ?? 0;
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...self(), 'serve', '--config', cfg.file], {
    detached: true,
    stdio: ['ignore', fd, fd],
    cwd: process.cwd(),
  });
  closeSync(fd);
  let exited: number | null = null;
  child.once('exit', (code, sig) => void (exited = code ?? (sig ? 128 : 1)));
  child.unref();
  const end = Date.now() + 120_000;
  while (Date.now() < end) {
    await sleep(100);
    const text = await readFrom(logFile, offset);
    if (exited !== null) {
      complain(
        `The backend did not start (it exited with ${exited}). The end of ${logFile}:\n${tail(text)}`,
      );
      return 1;
    }
    if (text.includes('"event":"web_ready"')) {
      say(`The backend started (pid ${child.pid} on ${hostname()}); its log is ${logFile}.`);
      return 0;
    }
  }
  complain(
    `The backend (pid ${child.pid}) did not become ready within 120 s; see ${logFile}. It was left running.`,
  );
  return 1;
}

async function readFrom(file: string, offset: number): Promise<string> {
  const fh = await fs.open(file, 'r').catch(() => null);
  if (!fh) return '';
  try {
    const { size } = await fh.stat();
    const buf = Buffer.alloc(Math.max(0, size - offset));
    await fh.read(buf, 0, buf.length, offset);
    return buf.toString('utf8');
  } finally {
    await fh.close();
  }
}

function tail(text: string, lines = 15): string {
  return text
    .trimEnd()
    .split('\n')
    .slice(-lines)
    .map((l) => `  ${l}`)
    .join('\n');
}

/** Ask the running backend to stop and wait until its lock is free. */
async function stopDaemon(configFile: string, timeoutMs: number): Promise<number> {
  const cfg = loadConfig(configFile);
  const st = await backendStatus(cfg.backend.stateFile);
  if (!st.running) {
    say(
      st.lockedOut
        ? `The backend is not running (it is locked out; see jobdir status).`
        : 'The backend is not running.',
    );
    return 0;
  }
  const r = st.recorded;
  if (!r || r.state !== 'running' || !r.pid) {
    complain(
      `A process holds the lock on ${cfg.backend.stateFile} but the file names no pid; find it with: fuser ${cfg.backend.stateFile}`,
    );
    return 1;
  }
  if (r.host && r.host !== hostname()) {
    complain(`The backend runs on ${r.host} (pid ${r.pid}), not on this machine; stop it there.`);
    return 1;
  }
  if (r.role !== 'backend') {
    complain(
      `\`jobdir ${r.role}\` (pid ${r.pid}) holds the lock, not a backend; wait for it to finish.`,
    );
    return 1;
  }
  try {
    process.kill(r.pid, 'SIGTERM');
  } catch (err) {
    complain(`Could not signal the backend (pid ${r.pid}): ${messageOf(err)}`);
    return 1;
  }
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    await sleep(100);
    if (!(await backendStatus(cfg.backend.stateFile)).running) {
      say(
        `The backend (pid ${r.pid}) stopped. Running jobs carry on; the next backend picks them up.`,
      );
      return 0;
    }
  }
  complain(
    `The backend (pid ${r.pid}) did not stop within ${Math.round(timeoutMs / 1000)} s; it is still running.`,
  );
  return 1;
}

const timeoutOption = { timeout: { type: 'string' as const } };
const timeoutOf = (v: Record<string, unknown>) =>
  v.timeout === undefined ? 60_000 : Number(v.timeout) * 1000;

/** The daemon verbs. */
export const daemonCommands: Record<string, Command> = {
  start: {
    usage: '',
    help: 'start the backend (and web) as a daemon; its log goes next to the state file',
    async run({ config }) {
      return startDaemon(config, false);
    },
  },
  stop: {
    usage: '[--timeout SECONDS]',
    help: 'stop the daemon and wait until it has stopped (running jobs carry on)',
    options: timeoutOption,
    async run({ config, values }) {
      return stopDaemon(config, timeoutOf(values));
    },
  },
  restart: {
    usage: '[--timeout SECONDS]',
    help: 'stop the daemon (if running), then start it',
    options: timeoutOption,
    async run({ config, values }) {
      const code = await stopDaemon(config, timeoutOf(values));
      return code === 0 ? startDaemon(config, false) : code;
    },
  },
  condstart: {
    usage: '',
    help: 'start the daemon only if it is not running; quiet when it is (for cron)',
    async run({ config }) {
      return startDaemon(config, true);
    },
  },
  status: {
    usage: '',
    help: 'exit 0 when the backend runs, 3 when stopped, 1 when locked out after a fatal error',
    async run({ config }) {
      const cfg = loadConfig(config);
      const st = await backendStatus(cfg.backend.stateFile);
      if (st.running) {
        say(
          `running (${st.recorded?.role && st.recorded.role !== 'backend' ? `\`jobdir ${st.recorded.role}\`, ` : ''}${describe(st)})`,
        );
        return 0;
      }
      if (st.lockedOut) {
        say(`locked out\n${lockoutMessage(cfg.backend.stateFile, st.recorded!)}`);
        return 1;
      }
      say(
        `stopped${st.recorded ? ` (last: ${st.recorded.state}, pid ${st.recorded.pid}, at ${st.recorded.at})` : ''}`,
      );
      return 3;
    },
  },
};
