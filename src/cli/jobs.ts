/**
 * The admin's job verbs: show, resubmit, cancel, fail, delete, sweep and
 * restart-unfinished. Thin: the work is in src/ops/admin.ts (shared with the web
 * dashboard). Each verb takes several ids, reports each one, and exits non-zero when any
 * id was unknown or refused, naming it and what to do.
 */
import { createInterface } from 'node:readline/promises';
import { loadConfig } from '../config/index.js';
import { messageOf, NotFoundError } from '../errors.js';
import {
  ADMIN,
  type AdminEnv,
  cancelJob,
  deleteJob,
  failJob,
  resubmitJob,
  showJob,
} from '../ops/admin.js';
import { createBackend } from '../lifecycle/backend.js';
import { acquireStateLock, backendStatus, lockoutMessage } from '../ops/statefile.js';
import { sweepOldJobs } from '../ops/sweep.js';
import { silentLog } from '../log.js';
import { loadService } from '../service/load.js';
import { ACTIVE_STATES, STATES, type State } from '../states.js';
import { cleanStaging, findJob, listState, openStore } from '../store/index.js';
import { childStates } from '../store/deps.js';
import type { Command } from './commands.js';

const out = (s: string) => void process.stdout.write(s + '\n');
const err = (s: string) => void process.stderr.write(s + '\n');

/** Load config, service and store for an admin verb. */
export async function openAdminEnv(configFile: string): Promise<AdminEnv> {
  const cfg = loadConfig(configFile);
  return { cfg, service: await loadService(cfg), store: await openStore(cfg), log: silentLog };
}

/** Run `fn` for each id; print its line or its error; exit 1 when any failed. */
async function eachId(
  verb: string,
  ids: string[],
  fn: (id: string) => Promise<string>,
): Promise<number> {
  if (ids.length === 0) {
    err(`jobdir ${verb}: name at least one job id (jobdir list shows them).`);
    return 2;
  }
  let code = 0;
  for (const id of ids) {
    try {
      out(`${id}: ${await fn(id)}`);
    } catch (e) {
      err(`jobdir ${verb} ${id}: ${messageOf(e)}`);
      code = 1;
    }
  }
  return code;
}

async function backendNote(env: AdminEnv): Promise<string> {
  const st = await backendStatus(env.cfg.backend.stateFile);
  return st.running
    ? `the backend (pid ${st.recorded?.pid ?? '?'}) runs it as soon as a slot is free`
    : 'no backend is running: it runs when the backend starts (jobdir start)';
}

/** The job verbs. */
export const jobCommands: Record<string, Command> = {
  show: {
    usage: 'ID',
    help: 'state, times, inputs, markers, attempts, failure and the tail of the logs of one job',
    async run({ config, args }) {
      if (args.length !== 1) {
        err('jobdir show: name exactly one job id.');
        return 2;
      }
      const env = await openAdminEnv(config);
      const d = await showJob(env, args[0]!);
      const { settings: s, run, result: r } = d.job;
      const iso = (ms: number) => new Date(ms).toISOString();
      const m = d.markers;
      out(`job ${d.job.id}: ${d.job.state}\n  directory  ${d.job.dir}`);
      out(`  type       ${s.type}\n  email      ${s.email || '-'}\n  submitted  ${s.submitted}`);
      if (m.running)
        out(
          `  started    ${iso(m.running.started)} (attempt ${m.running.attempt}, pid ${m.running.pid} on ${m.running.host})`,
        );
      if (m.success) out(`  ended      ${iso(m.success.ended)} (SUCCESS)`);
      if (m.error)
        out(
          `  ended      ${iso(m.error.ended)} (ERROR: ${m.error.reason ?? (m.error.signal ? `signal ${m.error.signal}` : `exit ${m.error.exit}`)})`,
        );
      if (m.cancel) out(`  stop asked ${iso(m.cancel.at)} by ${m.cancel.by} (${m.cancel.mode})`);
      if (r.finished) out(`  finished   ${r.finished}`);
      if (r.archived) out(`  archived   ${r.archived}`);
      if (d.where) out(`  where      ${d.where}`);
      out(
        `  attempts   ${d.attempts} (of at most ${env.cfg.backend.maxAttempts})${run.totalAttempts ? `; ${run.totalAttempts} before resubmits` : ''}`,
      );
      if (d.failure) out(`  failure    ${d.failure}${r.failureKind ? ` (${r.failureKind})` : ''}`);
      out('  inputs');
      for (const [k, v] of Object.entries(d.job.inputs))
        out(`    ${k} = ${v.length > 200 ? `${v.slice(0, 200)}…` : v}`);
      if (s.parent)
        out(
          `  parent     ${s.parent}${s.afterParent ? ' (this job starts once it has completed)' : ' (it waits for this job)'}`,
        );
      if (d.job.config.children) {
        out('  children');
        for (const ch of await childStates(env.store, d.job.config))
          out(
            `    ${ch.id}  ${ch.type.padEnd(12)} ${(ch.ref?.state ?? (ch.gone ? 'deleted' : 'not made yet')).padEnd(14)} ${ch.mode === 'after' ? 'starts after this job completes' : 'this job waits for it'}`,
          );
      }
      if (d.history.length) {
        out('  history');
        for (const h of d.history) out(`    ${h}`);
      }
      const block = (name: string, text: string) =>
        text.trim() &&
        out(
          `  --- ${name} (end) ---\n${text
            .trimEnd()
            .split('\n')
            .slice(-15)
            .map((l) => `    ${l}`)
            .join('\n')}`,
        );
      block('stdout.txt', d.stdoutTail);
      block('stderr.txt', d.stderrTail);
      block('jobdir.log', d.logTail);
      return 0;
    },
  },
  resubmit: {
    usage: 'ID…',
    help: "move failed jobs back to incoming (the old failure kept in the job's history)",
    async run({ config, args }) {
      const env = await openAdminEnv(config);
      const note = await backendNote(env);
      return eachId('resubmit', args, async (id) => {
        await resubmitJob(env, id);
        return `queued again; ${note}.`;
      });
    },
  },
  cancel: {
    usage: 'ID…',
    help: 'cancel queued or running jobs (they end as failed, "cancelled"; the user is mailed)',
    async run({ config, args }) {
      const env = await openAdminEnv(config);
      return eachId('cancel', args, async (id) => (await cancelJob(env, id, ADMIN)).message);
    },
  },
  fail: {
    usage: 'ID… [-n]',
    help: 'force jobs to FAILED (running ones are stopped); -n: do not mail the admin',
    options: { n: { type: 'boolean', short: 'n' } },
    async run({ config, args, values }) {
      const env = await openAdminEnv(config);
      return eachId(
        'fail',
        args,
        async (id) => (await failJob(env, id, { notifyAdmin: values.n !== true })).message,
      );
    },
  },
  delete: {
    usage: 'ID… [-f]',
    help: 'delete jobs everywhere (asks unless -f; a running job is cancelled first)',
    options: { f: { type: 'boolean', short: 'f' } },
    async run({ config, args, values }) {
      const env = await openAdminEnv(config);
      const ask = values.f !== true;
      if (ask && !process.stdin.isTTY) {
        err('jobdir delete: not asking without a terminal; add -f to delete without asking.');
        return 2;
      }
      const rl = ask ? createInterface({ input: process.stdin, output: process.stdout }) : null;
      try {
        return await eachId('delete', args, async (id) => {
          const ref = await findJob(env.store, id);
          if (!ref)
            throw new NotFoundError(
              `No job with id "${id}" was found (check the id; jobdir list shows the jobs).`,
            );
          if (
            rl &&
            !/^y(es)?$/i.test(
              (
                await rl.question(
                  `Delete job ${id} (${ref.state})${ACTIVE_STATES.includes(ref.state) ? ', cancelling it first' : ''}? [y/N] `,
                )
              ).trim(),
            )
          )
            return 'kept.';
          await deleteJob(env, id);
          return `deleted (was ${ref.state}).`;
        });
      } finally {
        rl?.close();
      }
    },
  },
  sweep: {
    usage: '',
    help: 'archive and expire old jobs now, per [oldjobs]',
    async run({ config }) {
      const env = await openAdminEnv(config);
      const { archiveMs, expireMs } = env.cfg.oldjobs;
      if (archiveMs === null && expireMs === null) {
        out('[oldjobs] archive and expire are both NEVER: nothing to sweep.');
        return 0;
      }
      const r = await sweepOldJobs(env);
      out(`archived ${r.archived.length}${r.archived.length ? `: ${r.archived.join(' ')}` : ''}`);
      out(`expired ${r.expired.length}${r.expired.length ? `: ${r.expired.join(' ')}` : ''}`);
      for (const f of r.failed)
        err(`jobdir sweep ${f.id}: ${f.error} (left in place; tried again next sweep)`);
      return r.failed.length ? 1 : 0;
    },
  },
  'restart-unfinished': {
    usage: '',
    help: 'after a reboot: queue again every unfinished job whose wrapper is gone; finish those that ended',
    async run({ config }) {
      const env = await openAdminEnv(config);
      const file = env.cfg.backend.stateFile;
      const st = await backendStatus(file);
      if (st.running && st.recorded?.role === 'backend' && st.recorded.pid) {
        process.kill(st.recorded.pid, 'SIGHUP');
        out(
          `The backend is running (pid ${st.recorded.pid}); it recovers unfinished jobs itself and was asked to look at every one now.`,
        );
        return 0;
      }
      if (st.lockedOut) {
        err(lockoutMessage(file, st.recorded!));
        return 1;
      }
      const lock = await acquireStateLock(file, 'restart-unfinished');
      try {
        const active = [...ACTIVE_STATES];
        const before = new Map<string, State>();
        for (const s of active) for (const id of await listState(env.store, s)) before.set(id, s);
        const staged = await cleanStaging(env.store, 3_600_000);
        const backend = createBackend({ ...env, launch: false });
        await backend.rescan();
        await backend.mailer.flush();
        backend.mailer.close();
        const counts: Record<string, number> = {};
        for (const [id, was] of before) {
          const now = (await findJob(env.store, id))?.state ?? 'gone';
          const what =
            was === now
              ? now === STATES.RUNNING
                ? 'still running (its wrapper is alive); left alone'
                : now === STATES.INCOMING
                  ? 'queued; waiting for the backend'
                  : `left in ${now}`
              : now === STATES.INCOMING
                ? `queued again (was ${was}; its wrapper was gone and it had no result)`
                : `finished while nothing was watching: ${now}`;
          counts[what.split(/[;(:]/)[0]!.trim()] =
            (counts[what.split(/[;(:]/)[0]!.trim()] ?? 0) + 1;
          out(`${id}: ${what}`);
        }
        for (const id of staged) out(`${id}: half-made submission (older than 1 h) removed`);
        out(
          `${before.size} unfinished job(s) looked at: ${
            Object.entries(counts)
              .map(([k, v]) => `${v} ${k}`)
              .join(', ') || 'none'
          }.` + (before.size ? ' Queued jobs run when the backend starts (jobdir start).' : ''),
        );
        return 0;
      } finally {
        await lock.release();
      }
    },
  },
};
