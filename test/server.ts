/**
 * A real jobdir server for a test: a fresh temporary data root, a config written for it
 * (writeConfig), web + backend listening on a free port, and a close that waits for the
 * state lock to be let go. Every test that serves HTTP starts its server here.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { ParsedMail } from 'mailparser';
import { startService, type Running } from '../src/cli/serve.js';
import { type Log, silentLog } from '../src/log.js';
import { setAdminUser } from '../src/web/security/admin-auth.js';
import {
  type Sections,
  startSmtp,
  type SmtpReceiver,
  tempDir,
  waitFor,
  writeConfig,
} from './helpers.js';

/** The admin that `admin: true` writes into the server's credentials file. */
export const ADMIN = { username: 'ada', password: 'correct horse battery' } as const;
/** The Authorization header that logs in as ADMIN. */
export const ADMIN_AUTH = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;

/** How a test server runs: the options of startService, with the log silent by default. */
export interface ServeTestOptions {
  /** Run the web only (split mode): no backend in this process. */
  webOnly?: boolean;
  /** Listen here instead of on a free port. */
  port?: number;
  log?: Log;
}

/** Where a test server keeps its data, and what it adds to its config. */
export interface TestServerOptions extends ServeTestOptions {
  /** The data root (default: a fresh temporary folder whose name starts with `prefix`). */
  root?: string;
  prefix?: string;
  /** Write ADMIN into root/admins and name that file as [web] admin_credentials. */
  admin?: boolean;
  /** Mail through a real SMTP receiver (as [email] host and port), closed with the server. */
  mail?: boolean;
}

/** A running test server with the data root and config file it was started from. */
export interface TestServer extends Running {
  root: string;
  configFile: string;
}

/** A test server started with `mail: true`, and the SMTP receiver its mail goes to. */
export interface MailingTestServer extends TestServer {
  smtp: SmtpReceiver;
}

/** Start web + backend (or the web only) for an existing `configFile`. */
export function serveForTest(
  configFile: string,
  { webOnly, port = 0, log = silentLog }: ServeTestOptions = {},
): Promise<Running> {
  return startService(configFile, { port, log, webOnly });
}

/**
 * Write a config with `sections` (writeConfig's) for a data root, fresh unless given, and
 * serve it. Its `close()` keeps the event loop alive until the state lock is let go.
 */
export async function startTestServer(
  sections: Sections,
  opts: TestServerOptions & { mail: true },
): Promise<MailingTestServer>;
export async function startTestServer(
  sections?: Sections,
  opts?: TestServerOptions,
): Promise<TestServer>;
export async function startTestServer(
  sections: Sections = {},
  { root, prefix, admin = false, mail = false, ...serve }: TestServerOptions = {},
): Promise<TestServer | MailingTestServer> {
  const dir = root ?? tempDir(prefix);
  if (admin) {
    const creds = join(dir, 'admins');
    await setAdminUser(creds, ADMIN.username, ADMIN.password);
    sections = { ...sections, web: { admin_credentials: creds, ...sections.web } };
  }
  const smtp = mail ? await startSmtp() : null;
  if (smtp)
    sections = { ...sections, email: { ...sections.email, host: '127.0.0.1', port: smtp.port } };
  try {
    const configFile = await writeConfig(dir, sections);
    const running = await serveForTest(configFile, serve);
    const close = () => closeAll(running, smtp);
    return { ...running, root: dir, configFile, ...(smtp && { smtp }), close };
  } catch (err) {
    await smtp?.close();
    throw err;
  }
}

/**
 * Close servers (and SMTP receivers) in order, skipping any that never started, with a
 * timer keeping the event loop alive meanwhile: StateLock.release awaits an unref'd child.
 */
export async function closeAll(
  ...things: ({ close(): Promise<void> } | null | undefined)[]
): Promise<void> {
  const keep = setInterval(() => {}, 1000);
  try {
    for (const t of things) await t?.close();
  } finally {
    clearInterval(keep);
  }
}

/** The mails the server's SMTP receiver got about job `id` (their X-Jobdir-Job header). */
export function mailsAbout(svc: MailingTestServer, id: string): ParsedMail[] {
  return svc.smtp.messages.filter((m) => m.headers.get('x-jobdir-job') === id);
}

/**
 * Wait until every mail about the ended job `id` has been delivered: its mails are queued
 * (mailq/ID.*) before the rename that ends it, and leave the queue once the SMTP server took them.
 */
export async function mailsDelivered(svc: TestServer, id: string): Promise<void> {
  await waitFor(
    async () => (await fs.readdir(svc.store.mailq)).every((n) => !n.startsWith(`${id}.`)),
    15_000,
    `${id}'s mail queue flushed`,
  );
}
