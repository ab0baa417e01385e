/**
 * Test helpers: a fresh data root per test, a config written for it, a real SMTP
 * receiver, waiting on the filesystem, and submitting as a browser or a script does. No
 * mocks. (A listening server: server.ts.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { ALL_STATES } from '../src/states.js';

export { JOBDIR_BIN } from './built.js';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The demo service module and the test fixtures' service module. */
export const SLOWDIV = join(ROOT, 'src/services/slowdiv/index.ts');
export const FIXTURE_SERVICE = join(ROOT, 'test/fixtures/service.ts');

const madeDirs: string[] = [];
process.once('exit', () => {
  if (process.env.JOBDIR_KEEP_TEMP) return;
  for (const dir of madeDirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      /* a wrapper still writing there; the OS cleans /tmp */
    }
  }
});

/**
 * A fresh temporary folder, removed when this process exits (a full run made ~3,000
 * of them, 1.5 GB); JOBDIR_KEEP_TEMP=1 keeps them to look into after a failure.
 */
export function tempDir(prefix = 'jobdir-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  madeDirs.push(dir);
  return dir;
}

/** INI sections by name, each its keys: { general: { service: … }, 'job divide': { time_limit: '5s' } }. */
export type Sections = Record<string, Record<string, string | number>>;

/**
 * Write a config file under `root` with every state folder inside root/jobs; `sections`
 * adds or overrides keys.
 */
export async function writeConfig(root: string, sections: Sections = {}): Promise<string> {
  const base: Sections = {
    general: {
      service_name: 'Test service',
      service: SLOWDIV,
      admin_email: 'admin@example.test',
      urltop: 'http://jobs.example.test',
    },
    // The product's default path: a type without hooks goes incoming → running → completed.
    // Tests that arm failpoints on the full path's moves say visit_all_states = true.
    backend: { state_file: join(root, 'jobs/backend.state'), check_minutes: 1 },
    limits: { running: 4 },
    directories: {
      install: root,
      ...Object.fromEntries(ALL_STATES.map((s) => [s, join(root, 'jobs', s)])),
    },
    // Tests submit many jobs from one address: the rate limit has its own test.
    web: { port: 0, submit_limit: '100000/1h' },
    service: { sleep_seconds: '0.1' },
  };
  for (const [name, body] of Object.entries(sections)) base[name] = { ...base[name], ...body };
  const text = Object.entries(base)
    .map(
      ([name, body]) =>
        `[${name}]\n${Object.entries(body)
          .map(([k, v]) => `${k} = ${v}`)
          .join('\n')}\n`,
    )
    .join('\n');
  const file = join(root, 'jobdir.ini');
  await fs.writeFile(file, text);
  return file;
}

/** A TCP port of 127.0.0.1 that was free a moment ago (for a urltop that must name the port). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Poll `fn` until it returns a truthy value (or throw after `ms`). */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  ms = 15_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Ids of the jobs in one state folder of a test root. */
export async function idsIn(root: string, state: string): Promise<string[]> {
  return (await fs.readdir(join(root, 'jobs', state)).catch(() => [] as string[])).filter(
    (n) => !n.startsWith('.'),
  );
}

/** A waitFor condition: job `id` is in the `state` folder of test root `root`. */
export const inState = (root: string, state: string, id: string) => async (): Promise<boolean> =>
  (await idsIn(root, state)).includes(id);

/** How many jobs the state folders of a test root hold, all states together. */
export async function jobCount(root: string): Promise<number> {
  return (await Promise.all(ALL_STATES.map((s) => idsIn(root, s)))).flat().length;
}

/** A real SMTP server on loopback that parses what it receives. */
export interface SmtpReceiver {
  port: number;
  /** Messages received, each with the envelope's recipients (RCPT TO) as `rcptTo`. */
  messages: (ParsedMail & { rcptTo: string[] })[];
  waitForCount(n: number, ms?: number): Promise<ParsedMail[]>;
  close(): Promise<void>;
}

/** Start an SMTP receiver (npm smtp-server + mailparser); `refuse`: answer the first N senders 451 (try again later). */
export async function startSmtp({ refuse = 0 }: { refuse?: number } = {}): Promise<SmtpReceiver> {
  const messages: (ParsedMail & { rcptTo: string[] })[] = [];
  let refused = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onMailFrom(_address, _session, cb) {
      if (refused >= refuse) return cb();
      refused++;
      cb(Object.assign(new Error('Mailbox busy, try again later'), { responseCode: 451 }));
    },
    onData(stream, session, cb) {
      simpleParser(stream).then((m) => {
        messages.push(Object.assign(m, { rcptTo: session.envelope.rcptTo.map((a) => a.address) }));
        cb();
      }, cb);
    },
  });
  // A client gone in the middle of a message (a backend closed by its test while it sends;
  // the mail stays in its outbox) is the client's affair, as for any SMTP server. smtp-server
  // reports such a reset (ECONNRESET after MAIL FROM) as 'error': without a listener it was
  // an uncaught exception of the test process (seen once, in admin.test.ts, in a full run).
  server.on('error', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    messages,
    waitForCount: async (n, ms = 15_000) => {
      await waitFor(() => messages.length >= n, ms, `${n} emails`);
      return messages;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The my-jobs link mailed to `email` (to anyone when none is given), once it has come. */
export function myJobsLink(smtp: SmtpReceiver, email?: string): Promise<string> {
  return waitFor(
    () =>
      smtp.messages
        .filter((m) => !email || JSON.stringify(m.to).includes(email))
        .map((m) => /Your jobs: (\S+)/.exec(m.text ?? '')?.[1])
        .find(Boolean),
    30_000,
    'the my-jobs mail',
  );
}

/** What a browser keeps of a page: its cookies as one Cookie header, and its forms' CSRF token. */
export interface BrowserView {
  cookie: string;
  /** The CSRF token of the page's forms ('' when it has none). */
  csrf: string;
  html: string;
  status: number;
}

/**
 * Read a page (a fetch or app.request answer) as a browser keeps it. A page without a CSRF
 * token throws, unless `anyPage` (then its csrf is '').
 */
export async function browserView(page: Response, { anyPage = false } = {}): Promise<BrowserView> {
  const html = await page.text();
  const csrf = /name="csrf" value="([a-f0-9]+)"/.exec(html)?.[1];
  if (csrf === undefined && !anyPage)
    throw new Error(`the page (${page.status}) has no form with a CSRF token`);
  return {
    cookie: page.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; '),
    csrf: csrf ?? '',
    html,
    status: page.status,
  };
}

/** POST `fields` to `url` as a form of page `b` does: with its cookie and CSRF token, not following a redirect. */
export function postFrom(
  b: Pick<BrowserView, 'cookie' | 'csrf'>,
  url: string,
  fields: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: b.cookie },
    body: new URLSearchParams({ csrf: b.csrf, ...fields }),
  });
}

/** Submit the form of a running service like a browser: GET / for the CSRF cookie, then POST. */
export async function submitForm(url: string, fields: Record<string, string>): Promise<Response> {
  const page = await browserView(await fetch(`${url}/`), { anyPage: true });
  return postFrom(page, `${url}/jobs`, fields);
}

/** The job id a 303 from POST /jobs points to. */
export function idFromRedirect(res: Response): string {
  const loc = res.headers.get('location') ?? '';
  const m = /\/jobs\/([a-z]+)$/.exec(loc);
  if (res.status !== 303 || !m)
    throw new Error(`expected a 303 to /jobs/<id>, got ${res.status} ${loc}`);
  return m[1]!;
}

/** POST `body` to `url` as JSON, as a script calls the API. */
export function postJson(url: string, body: object = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Submit a job through the JSON API of the service at `base` (a 201, or it throws): its id. */
export async function submitJson(base: string, body: object): Promise<string> {
  const res = await postJson(`${base}/api/jobs`, body);
  assert.equal(res.status, 201, await res.clone().text());
  return ((await res.json()) as { id: string }).id;
}
