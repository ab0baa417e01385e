import { createHash } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { Config } from '../../config/index.js';
import { InputError, JobdirError, NotFoundError, UnavailableError } from '../../errors.js';
import type { Log } from '../../log.js';
import { queueMail } from '../../mail/queue.js';
import type { QueuedJob } from '../../scheduler/index.js';
import type { ChildRequest, Service } from '../../service/types.js';
import { checkEmail, type Upload, validateSubmission } from '../../service/validate.js';
import { STATES } from '../../states.js';
import { findJob, getJob, isJobId, type Job, listUserJobs, openResultFile, readJob, type Store } from '../../store/index.js';
import { myJobsMail } from '../../../templates/my-jobs.js';
import { bodyLimit, readBody, readForm, readJson, SMALL_BODY_BYTES, submissionLimit, TooLargeError } from '../body.js';
import { fileResponse } from '../download.js';
import { UnauthorizedError } from '../security/admin-auth.js';
import { clientAddress, clientKey } from '../security/client.js';
import type { Guards } from '../security/guards.js';
import { myJobsUrl, verifyEmailToken } from '../security/tokens.js';
import { submitValid } from '../submit.js';
import { jobView } from '../view.js';
import { assertEnforceable, type Schema, validate } from './schema.js';
import { ErrorBody, FileName, JobCreated, JobId, JobList, JobStatus, JobTypeInfo, ServiceInfo, describeType, submitSchema } from './schemas.js';
import { externalState } from './states.js';
import { createJobCache } from '../job-cache.js';

/** What the API needs (a subset of the web layer's options). */
export interface ApiOptions {
  cfg: Config;
  service: Service;
  store: Store;
  log: Log;
  secret: string;
  guards: Guards;
  notify?: (job: QueuedJob) => void;
  startAfter?: (parent: string, request: ChildRequest) => Promise<string>;
  cancel?: (id: string, by: string) => Promise<void>;
  queuePosition?: (id: string) => number | null;
  /** Deliver queued mail now (the backend's mailer), when this process has one. */
  flushMail?: () => void;
  /** Largest submission body (default: the service's derived need, capped by [web] max_body). */
  maxBodyBytes?: number;
}

/** What a handler receives once the route's schemas accepted the request. */
export interface ApiInput {
  params: Record<string, string>;
  query: Record<string, string>;
  /** Parsed JSON, or the form fields (files as Upload) of a multipart body. */
  body: Record<string, string | Upload>;
}

/** One API route, declared as data: the server validates with it and openapi.ts documents it. */
export interface ApiRoute {
  method: 'get' | 'post';
  /** OpenAPI-style path under /api, e.g. /jobs/{id}. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  params?: Record<string, Schema>;
  query?: Record<string, Schema>;
  /** `token`: a my-jobs token as `Authorization: Bearer …`. */
  security?: 'token';
  /** The body it takes, its byte limit (413 over it) and what the 413 says; a POST without one takes at most SMALL_BODY_BYTES, unread. */
  body?: {
    json?: Schema; form?: Schema; maxBytes: number; tooLarge?: string;
    /** Checks of the values beyond the schema: when the schema refuses a body, their problems are reported with its (theirs win). */
    values?: (body: ApiInput['body']) => void;
  };
  responses: Record<number, { description: string; schema?: Schema; media?: string }>;
  middleware?: MiddlewareHandler[];
  handle(c: Context, input: ApiInput): Response | Promise<Response>;
}

/** 415: a body in a format the route does not take. */
class UnsupportedMediaError extends JobdirError {
  override name = 'UnsupportedMediaError';
  override status = 415;
  override code = 'unsupported_media_type';
}

export { TooLargeError };

const NO_JOB = 'No job with this id was found.';
const SUBMISSION_TOO_LARGE = 'The submission is larger than this service accepts, so nothing was kept. Make the uploaded files smaller and try again.';
const errors = (...codes: number[]) => Object.fromEntries(codes.map((s) => [s, { description: { 400: 'Invalid input', 401: 'Missing or invalid token', 403: 'Sent by a page of another site (scripts send no Origin)', 404: 'Unknown job (or file)', 409: 'Not possible in the job\'s state', 410: 'Archived: results no longer available', 413: 'Body too large', 415: 'Body not JSON or multipart', 429: 'Too many requests from this address', 503: 'Cannot accept work now' }[s] ?? 'Error', schema: ErrorBody }]));

/** The API's routes. */
export function apiRoutes(o: ApiOptions): ApiRoute[] {
  const { cfg, service, store } = o;
  const jobUrl = (id: string) => `/api/jobs/${id}`;
  const links = (id: string, cancellable = false) => ({ self: jobUrl(id), results: `/jobs/${id}`, ...(cancellable ? { cancel: `${jobUrl(id)}/cancel` } : {}) });
  const submitBytes = submissionLimit(cfg.web, service, o.maxBodyBytes);

  const status = async (job: Job) => {
    const pos = job.state === STATES.INCOMING ? o.queuePosition?.(job.id) ?? 0 : null;
    const v = await jobView(cfg, service, job, pos, '', store);
    return {
      id: v.id, state: job.state, ...renameExt(externalState(job.state, job.config.result?.failure_kind)), type: v.type,
      progress: v.progress, queue_position: v.queuePosition, submitted: v.submitted, started: v.started, finished: v.finished,
      failure: v.failure, result: v.result && 'text' in v.result ? v.result.text : null,
      files: v.files.map((f) => ({ name: f.name, size: f.size, url: `${jobUrl(job.id)}/files/${encodeURIComponent(f.name)}` })),
      links: links(job.id, v.cancellable),
      parent: v.parent ?? null,
      children: (v.children ?? []).map((ch) => ({ ...ch, links: links(ch.id) })),
    };
  };
  const statusCache = createJobCache<string>(store);
  const cachedStatus = (id: string) => statusCache(id, async (job) => {
    const s = await status(job);
    return { value: JSON.stringify(s), cacheable: s.children.length === 0 };
  });
  const tokenEmail = (c: Context, query: Record<string, string>) => {
    const auth = c.req.header('authorization') ?? '';
    const token = /^Bearer (\S{1,600})$/i.exec(auth)?.[1] ?? query.token ?? '';
    const email = token ? verifyEmailToken(o.secret, token) : null;
    if (!email) throw new UnauthorizedError('This "my jobs" link is not valid or has expired. Ask for a new one on the my-jobs page: it is sent to your email address.');
    return email;
  };

  return [
    {
      method: 'get', path: '/parameters', operationId: 'getParameters', tag: 'service',
      summary: 'The service, its job types and their parameters (name, type, label, default, choices, limits)',
      responses: { 200: { description: 'The service description', schema: ServiceInfo } },
      handle: (c) => c.json({ service: service.name, title: service.title, ...(service.description ? { description: service.description } : {}), email: service.email ?? 'optional', types: service.jobTypes.map(describeType) }),
    },
    {
      method: 'get', path: '/parameters/{type}', operationId: 'getJobType', tag: 'service',
      summary: 'One job type and its parameters',
      params: { type: { type: 'string', maxLength: 40, 'x-miss': true } },
      responses: { 200: { description: 'The job type', schema: JobTypeInfo }, ...errors(404) },
      handle: (c, { params }) => {
        const t = service.jobTypes.find((x) => x.name === params.type);
        if (!t) throw new NotFoundError('There is no job type with this name.');
        return c.json(describeType(t));
      },
    },
    {
      method: 'post', path: '/jobs', operationId: 'submitJob', tag: 'jobs',
      summary: 'Submit a job',
      description: 'JSON for parameters only, multipart/form-data when files are uploaded (the same fields as the HTML form). Validated exactly like the form; answers 201 with a Location header once the job is durable.',
      body: {
        json: submitSchema(service), form: submitSchema(service), maxBytes: submitBytes, tooLarge: SUBMISSION_TOO_LARGE,
        values: ({ after: _after, ...body }) => void validateSubmission(service, body),
      },
      middleware: [o.guards.submitLimit],
      responses: { 201: { description: 'Created; Location names the status URL', schema: JobCreated }, ...errors(400, 403, 413, 415, 429, 503) },
      handle: async (c, { body: { after, ...body } }) => {
        const valid = validateSubmission(service, body);
        if (after !== undefined) {
          // after=ID: the job waits for job ID to complete (recorded as its child; fails if ID fails).
          if (typeof after !== 'string' || !isJobId(after)) throw new InputError({ after: 'is not a job id' });
          if (valid.files.length) throw new InputError({ after: 'cannot be combined with uploaded files' });
          if (!o.startAfter) throw new UnavailableError('Jobs that wait for other jobs need the backend (or its socket) in this setup.');
          const id = await o.startAfter(after, { type: valid.type.name, inputs: valid.inputs, ...(valid.email ? { email: valid.email } : {}) }).catch((err: unknown) => {
            throw err instanceof NotFoundError ? new InputError({ after: err.message }) : err;
          });
          c.header('Location', jobUrl(id));
          return c.json({ id, state: STATES.INCOMING, links: links(id, true) }, 201);
        }
        const ref = await submitValid(o, valid, clientKey(clientAddress(c, cfg.web.trustProxy)));
        c.header('Location', jobUrl(ref.id));
        return c.json({ id: ref.id, state: ref.state, links: links(ref.id, true) }, 201);
      },
    },
    {
      method: 'get', path: '/jobs/{id}', operationId: 'getJobStatus', tag: 'jobs',
      summary: 'A job\'s state, progress, times, failure and result files',
      params: { id: JobId },
      responses: { 200: { description: 'The job\'s status', schema: JobStatus }, ...errors(404, 410) },
      handle: async (c, { params }) => c.body(await cachedStatus(params.id!), 200, { 'content-type': 'application/json', 'cache-control': 'private, no-cache' }),
    },
    {
      method: 'get', path: '/jobs/{id}/files/{name}', operationId: 'getResultFile', tag: 'jobs',
      summary: 'Download one result file of a finished job',
      params: { id: JobId, name: FileName },
      responses: { 200: { description: 'The file', media: 'application/octet-stream' }, ...errors(404, 410) },
      handle: async (_c, { params }) => {
        const job = await getJob(store, params.id!);
        if (job.state === STATES.ARCHIVED) await jobView(cfg, service, job, null);
        const type = service.jobTypes.find((t) => t.name === job.config.settings?.type);
        const file = job.state === STATES.COMPLETED || job.state === STATES.FAILED ? await openResultFile(job, params.name!, type?.downloads, cfg.web.maxDownloadBytes) : null;
        if (!file) throw new NotFoundError('This job has no file with this name to download.');
        return fileResponse(file, params.name!);
      },
    },
    {
      method: 'post', path: '/jobs/{id}/cancel', operationId: 'cancelJob', tag: 'jobs',
      summary: 'Cancel a queued or running job',
      params: { id: JobId },
      responses: { 202: { description: 'Cancel requested (durable); the job ends as failed (cancelled)', schema: JobStatus }, ...errors(403, 404, 409, 410, 413, 503) },
      handle: async (c, { params }) => {
        const job = await getJob(store, params.id!);
        if (job.state === STATES.ARCHIVED) await jobView(cfg, service, job, null);
        if (!o.cancel) throw new UnavailableError('Cancelling is not available from this web server; ask the administrator.');
        await o.cancel(job.id, 'the API client');
        return c.json(await status(await getJob(store, job.id)), 202);
      },
    },
    {
      method: 'get', path: '/jobs', operationId: 'listMyJobs', tag: 'my jobs',
      summary: 'The jobs of the email address a my-jobs token proves',
      description: 'The token is the last part of a my-jobs link (mailed on request and in completion emails); send it as `Authorization: Bearer TOKEN` (or `?token=`).',
      security: 'token',
      query: { token: { type: 'string', maxLength: 600 } },
      responses: { 200: { description: 'The jobs, newest first', schema: JobList }, ...errors(401) },
      handle: async (c, { query }) => {
        const email = tokenEmail(c, query);
        return c.json({ email, jobs: await userJobs(store, email, links) });
      },
    },
    {
      method: 'post', path: '/my-jobs', operationId: 'requestMyJobsLink', tag: 'my jobs',
      summary: 'Mail a signed, expiring my-jobs link to an address',
      description: 'Always answers 202 with the same message, whether or not the address has jobs here.',
      body: { json: { type: 'object', required: ['email'], properties: { email: { type: 'string', maxLength: 254 } }, additionalProperties: false }, maxBytes: SMALL_BODY_BYTES },
      middleware: [o.guards.submitLimit],
      responses: { 202: { description: 'Accepted', schema: { type: 'object', properties: { message: { type: 'string' } } } }, ...errors(400, 403, 413, 429) },
      handle: (c, { body }) => {
        const email = String(body.email ?? '').trim();
        const bad = checkEmail(email);
        if (bad) throw new InputError({ email: bad });
        void mailMyJobsLink(o, email);
        return c.json({ message: MY_JOBS_SENT }, 202);
      },
    },
  ];
}

/** What the my-jobs request says, whatever the address. */
export const MY_JOBS_SENT = 'If this address has jobs here, a link to them is on its way to it. The link works for a limited time.';

/** Mail `email` a my-jobs link if it has jobs (in the background: the reply never waits, so its timing says nothing). */
export async function mailMyJobsLink(o: Pick<ApiOptions, 'cfg' | 'store' | 'secret' | 'log' | 'flushMail'>, email: string): Promise<void> {
  try {
    if ((await listUserJobs(o.store, email)).length === 0) return;
    const url = myJobsUrl(o.cfg.general.urltop, o.secret, email, o.cfg.web.linkTtlMs);
    const key = `myjobs-${createHash('sha256').update(email).digest('hex').slice(0, 16)}-${Date.now()}`;
    await queueMail(o.store, o.cfg, key, { to: [email], ...myJobsMail({ service: o.cfg.general.serviceName, url, ttlMs: o.cfg.web.linkTtlMs }) });
    o.flushMail?.();
  } catch (err) {
    o.log('my_jobs_mail_failed', { error: (err as Error).message });
  }
}

/** The jobs in `email`'s index, newest first (at most 1000). */
export async function userJobs(store: Store, email: string, links: (id: string) => Record<string, string>) {
  const ids = (await listUserJobs(store, email)).slice(0, 1000);
  const jobs = await Promise.all(ids.map(async (id) => {
    const ref = await findJob(store, id);
    if (!ref) return null;
    const job = await readJob(ref).catch(() => null);
    if (!job || job.config.settings?.email !== email) return null;
    return { id, state: job.state, type: job.config.settings?.type ?? '', submitted: job.config.settings?.submitted ?? '', links: links(id) };
  }));
  return jobs.filter((j) => j !== null).sort((a, b) => b.submitted.localeCompare(a.submitted));
}

function renameExt(e: { dispatcher: string; wes: string }) {
  return { dispatcher_status: e.dispatcher, wes_state: e.wes };
}

/** Throw the schema's problems with those of the route's value checks (their words win, and their status). */
function refuse(r: ApiRoute, problems: Record<string, string>, value: unknown): never {
  let status = 400;
  if (r.body?.values && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const body: ApiInput['body'] = Object.create(null);
    for (const [k, v] of Object.entries(value)) body[k] = typeof v === 'object' && v !== null && 'data' in v ? (v as Upload) : String(v);
    try {
      r.body.values(body);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      problems = { ...problems, ...err.fields };
      status = err.status;
    }
  }
  const err = new InputError(problems);
  err.status = status;
  throw err;
}

/** Read and check a request against its route's schemas. */
async function readInput(c: Context, r: ApiRoute): Promise<ApiInput> {
  const params: Record<string, string> = {};
  for (const [name, schema] of Object.entries(r.params ?? {})) {
    const v = c.req.param(name) ?? '';
    const bad = validate(schema, v, name);
    // x-miss: a value that cannot match is still looked up by the handler, so it gets the same 404, just as late.
    if (Object.keys(bad).length && !schema['x-miss']) throw new InputError(bad);
    params[name] = v;
  }
  const query: Record<string, string> = {};
  for (const [name, schema] of Object.entries(r.query ?? {})) {
    const v = c.req.query(name);
    if (v === undefined) continue;
    const bad = validate(schema, v, name);
    if (Object.keys(bad).length) throw new InputError(bad);
    query[name] = v;
  }
  // A null-prototype object: a key such as __proto__ or toString is data, never inherited.
  let body: ApiInput['body'] = Object.create(null);
  if (!r.body) {
    // Nothing to read, but a script may send something: it is held to the small limit and dropped.
    if (r.method === 'post') await readBody(c);
  } else {
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type === 'application/json' && r.body.json) {
      const parsed = await readJson(c);
      const bad = validate(r.body.json, parsed);
      if (Object.keys(bad).length) refuse(r, bad, parsed);
      for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) body[k] = String(v);
    } else if ((type === 'multipart/form-data' || type === 'application/x-www-form-urlencoded') && r.body.form) {
      body = await readForm(c);
      // An upload is checked as its file name (a file field's schema is format binary).
      const fields = Object.fromEntries(Object.entries(body).map(([k, v]) => [k, typeof v === 'string' ? v : v.filename]));
      const bad = validate(r.body.form, fields);
      if (Object.keys(bad).length) refuse(r, bad, body);
    } else {
      throw new UnsupportedMediaError(`Send the body as ${[r.body.json ? 'application/json' : '', r.body.form ? 'multipart/form-data' : ''].filter(Boolean).join(' or ')}.`);
    }
  }
  return { params, query, body };
}

/** The /api sub-app: every route of `routes`, each behind its body limit and schema checks. */
export function mountApi(routes: ApiRoute[]): Hono {
  const api = new Hono();
  for (const r of routes) {
    // What the OpenAPI document states of a request is checked: refuse a schema that would not be.
    for (const schema of [...Object.values(r.params ?? {}), ...Object.values(r.query ?? {}), r.body?.json, r.body?.form]) {
      if (schema) assertEnforceable(schema, `${r.operationId}`);
    }
    const limit = r.method === 'post' ? [bodyLimit(r.body?.maxBytes ?? SMALL_BODY_BYTES, r.body?.tooLarge)] : [];
    api.on(r.method.toUpperCase(), [r.path.replace(/\{(\w+)\}/g, ':$1')], ...limit, ...(r.middleware ?? []), async (c) => r.handle(c, await readInput(c, r)));
  }
  // Anything else under /jobs/ reads exactly like an unknown job (ids are unguessable, and misses alike).
  api.all('/jobs/*', () => {
    throw new NotFoundError(NO_JOB);
  });
  return api;
}
