import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { ALL_STATES, type State } from '../states.js';

/** Where the filesystem database lives: one folder per state plus derived indexes. */
export interface Store {
  states: Record<State, string>;
  /** Holds by-id/, users/, mailq/ and (by default) outbox/. */
  data: string;
  /** by-id/<id> → symlink to the job's directory where it rests once ended (completed/ until it ends elsewhere; findJob probes for a job still moving). */
  byId: string;
  /** users/<encoded email>/<id> → symlink to ../../by-id/<id>. */
  users: string;
  /** Messages waiting to be delivered, one durable .eml per message. */
  mailq: string;
  /** Delivered messages when no SMTP server is configured. */
  outbox: string;
  idLength: number;
  /** st_dev of each state folder: a move between different devices is a copy. */
  dev: Record<State, number>;
}

/** Create (if needed) every folder of the store and return its layout. */
export async function openStore(
  cfg: Pick<Config, 'directories' | 'email' | 'general'>,
): Promise<Store> {
  // [general] umask: set before anything is made, for every process of the service alike.
  process.umask(cfg.general.umask);
  const data = cfg.directories.data;
  const store: Store = {
    states: { ...cfg.directories.states },
    data,
    byId: join(data, 'by-id'),
    users: join(data, 'users'),
    mailq: join(data, 'mailq'),
    outbox: cfg.email.outbox,
    idLength: cfg.general.idLength,
    dev: {} as Record<State, number>,
  };
  for (const dir of [
    data,
    ...ALL_STATES.map((s) => store.states[s]),
    store.byId,
    store.users,
    store.mailq,
    store.outbox,
  ]) {
    // The umask decides (docs/deploy.md): the default 027 gives 750; a web process run as a
    // second user shares a group, and [general] umask = 007 gives 770 (setgid folders keep the group).
    await fs.mkdir(dir, { recursive: true, mode: 0o777 });
  }
  for (const s of ALL_STATES) store.dev[s] = (await fs.stat(store.states[s])).dev;
  return store;
}

/** The directory of job `id` in `state`. */
export function jobDir(store: Store, state: State, id: string): string {
  return join(store.states[state], id);
}
