/**
 * The command socket wired to a service: in the backend process, submissions validated
 * exactly like HTTP ones (validateSubmission → submitJob → the scheduler); in a web-only
 * process, a notifier that tells the backend of each new job over the same socket.
 */
import type { Config } from '../config/index.js';
import { ConflictError, InputError, NotFoundError } from '../errors.js';
import type { Backend } from '../lifecycle/backend.js';
import type { Log } from '../log.js';
import { submitJob, submitJobs } from '../lifecycle/submit.js';
import { givenSubmitter, type QueuedJob, queuedJob } from '../scheduler/index.js';
import type { ChildRequest, Service } from '../service/types.js';
import { validateSubmission, type ValidInput } from '../service/validate.js';
import { STATES } from '../states.js';
import { findJob, findJobIn, isJobId, readJob, type Store } from '../store/index.js';
import { openSocketClient, socketRequest, submitLine, type SocketClient } from './client.js';
import { readAnswer } from './protocol.js';
import { type CommandSocket, startCommandSocket, type SocketOptions } from './server.js';

export {
  openSocketClient,
  socketCancel,
  socketRequest,
  submitLine,
  type SocketClient,
} from './client.js';
export { readAnswer } from './protocol.js';
export type { CommandSocket } from './server.js';

/** Start the backend's command socket at cfg.general.socket. */
export function startBackendSocket(
  o: { cfg: Config; service: Service; store: Store; log: Log; backend: Backend },
  opts: SocketOptions = {},
): Promise<CommandSocket> {
  const { cfg, service, store, log, backend } = o;
  const noJob = () => new NotFoundError('no job with this id');
  return startCommandSocket(
    cfg.general.socket!,
    {
      async submit({ after, submitter: named, ...fields }) {
        const valid = validateSubmission(service, fields);
        // A local script names who it submits for; else its email, else one "socket" submitter.
        const submitter = named === undefined ? valid.email || 'socket' : givenSubmitter(named);
        if (valid.files.length)
          throw new InputError({
            file: 'files cannot be sent over the socket; use the web form or the API',
          });
        if (after !== undefined) {
          // after=ID: the job waits for job ID to complete (recorded as its child; fails if ID fails).
          if (!isJobId(after)) throw new InputError({ after: 'is not a job id' });
          const id = await backend.startAfter(after, {
            type: valid.type.name,
            inputs: valid.inputs,
            ...(valid.email ? { email: valid.email } : {}),
          });
          log('job_submitted', { job: id, type: valid.type.name, via: 'socket', after });
          return id;
        }
        const ref = await submitJob({ cfg, store, log, service, tell: backend }, valid, {
          submitter,
          via: 'socket',
        });
        return ref.id;
      },
      async submitMany(list) {
        // Each checked on its own; those that wait for a job go one by one, the rest in one commit.
        const out: (string | Error | null)[] = [];
        const valid: ValidInput[] = [];
        const who: { submitter: string; via: string }[] = [];
        const at: number[] = [];
        for (const { after, submitter: named, ...fields } of list) {
          try {
            if (after !== undefined) {
              out.push(
                await this.submit({
                  after,
                  ...(named === undefined ? {} : { submitter: named }),
                  ...fields,
                }),
              );
              continue;
            }
            const v = validateSubmission(service, fields);
            if (v.files.length)
              throw new InputError({
                file: 'files cannot be sent over the socket; use the web form or the API',
              });
            at.push(out.length);
            out.push(null);
            valid.push(v);
            who.push({
              submitter: named === undefined ? v.email || 'socket' : givenSubmitter(named),
              via: 'socket',
            });
          } catch (err) {
            out.push(err instanceof Error ? err : new Error(String(err)));
          }
        }
        const refs = valid.length
          ? await submitJobs({ cfg, store, log, service, tell: backend }, valid, who)
          : [];
        refs.forEach((r, i) => (out[at[i]!] = r instanceof Error ? r : r.id));
        return out as (string | Error)[];
      },
      async status(id) {
        const ref = await findJob(store, id);
        if (!ref) throw noJob();
        return `${id} ${ref.state}`;
      },
      async cancel(id, by = 'a local script') {
        if (!isJobId(id)) throw noJob();
        // The stop looks the job up itself (requireJob): its NotFoundError is this one's.
        const done = await backend.cancel(id, by).catch((err: unknown) => {
          throw err instanceof NotFoundError ? noJob() : err;
        });
        return `${id} ${done.message}`;
      },
      async notify(id) {
        // The usual case costs one stat: the job is in incoming/ and the backend's watcher,
        // which saw it arrive there, has queued it already (the notice comes after the web's
        // fsync of incoming/, the watcher's event at the rename).
        const incoming = findJobIn(store, id, STATES.INCOMING);
        if (incoming && (backend.scheduler.isQueued(id) || backend.scheduler.isActive(id)))
          return id;
        const ref = incoming ?? (await findJob(store, id));
        if (!ref) throw noJob();
        const job = await readJob(ref);
        // A fired child waits for its parent: the backend's own checks queue it, not a notice.
        if (ref.state === STATES.INCOMING && !job.settings.afterParent) {
          backend.notify(queuedJob(id, job.config, Date.now()));
        }
        return id;
      },
    },
    { log, ...opts },
  );
}

/** For a web-only process: submit a job that waits for `parent` through the backend's socket (`after=ID`). */
export function socketStartAfter(
  path: string,
): (parent: string, request: ChildRequest) => Promise<string> {
  return async (parent, r) => {
    const reply = await socketRequest(
      path,
      submitLine({
        ...r.inputs,
        type: r.type,
        ...(r.email ? { email: r.email } : {}),
        after: parent,
      }),
    );
    const { ok, text } = readAnswer(reply);
    if (ok) return text;
    throw new ConflictError(text);
  };
}

/**
 * For a web-only process: tell the backend of a new job over the socket, on one kept
 * connection (re-opened after an error). Best effort: when the backend is down or slow,
 * its watcher on incoming/ and the periodic rescan find the job anyway.
 */
export function socketNotifier(
  path: string,
  log: Log,
): { notify(job: QueuedJob): void; close(): void } {
  let client: Promise<SocketClient> | null = null;
  const send = (id: string, retry: boolean): void => {
    client ??= openSocketClient(path);
    const c = client;
    c.then((s) => s.send(`NOTIFY ${id}`)).catch((err: Error) => {
      if (client === c) client = null;
      // The kept connection was closed (a backend restart, its idle timeout): once more on a new one.
      if (retry) return send(id, false);
      log('socket_notify_failed', { job: id, error: err.message });
    });
  };
  return {
    notify: (job) => send(job.id, true),
    close() {
      void client?.then((s) => s.close()).catch(() => {});
      client = null;
    },
  };
}
