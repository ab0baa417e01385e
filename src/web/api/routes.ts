import type { Context } from 'hono';
import { InputError, NotFoundError, UnavailableError } from '../../errors.js';
import type { ChildRequest, Service } from '../../service/types.js';
import { checkEmail, EMAIL_MAX_LENGTH } from '../../service/validate.js';
import { STATES } from '../../states.js';
import { getJob, isJobId, type Job } from '../../store/index.js';
import { SMALL_BODY_BYTES, submissionLimit } from '../body.js';
import { downloadResultFile } from '../download.js';
import { UnauthorizedError } from '../security/admin-auth.js';
import { clientAddress, clientKey } from '../security/client.js';
import type { Guards } from '../security/guards.js';
import { verifyEmailToken } from '../security/tokens.js';
import { MY_JOBS_SENT, mailMyJobsLink, userJobs } from '../my-jobs.js';
import { type SubmitEnv, submitValid, submitValidMany } from '../submit.js';
import type { ValidInput } from '../../service/validate.js';
import { assertViewable, jobView } from '../view.js';
import type { ApiRoute } from './mount.js';
import {
  ErrorBody,
  FileName,
  JobCreated,
  JobId,
  JobList,
  JobStatus,
  JobTypeInfo,
  ServiceInfo,
  describeType,
} from './schemas.js';
import { submitSchema, validateApiSubmission } from './submission.js';
import { externalState } from './states.js';
import { createJobCache } from '../job-cache.js';
import { siteOf } from '../site.js';

/** What the API needs (a subset of the web layer's options). */
export interface ApiOptions extends SubmitEnv {
  service: Service;
  secret: string;
  guards: Guards;
  startAfter?: (parent: string, request: ChildRequest) => Promise<string>;
  cancel?: (id: string, by: string) => Promise<void>;
  queuePosition?: (id: string) => number | null;
  /** Deliver queued mail now (the backend's mailer), when this process has one. */
  flushMail?: () => void;
  /** Largest submission body (default: the service's derived need, capped by [web] max_body). */
  maxBodyBytes?: number;
}

/** Most jobs in one bulk request, and the body size a bulk may reach (under [web] max_body). */
export const BULK_MAX_JOBS = 10_000;
const BULK_BYTES = 16 * 1024 * 1024;

const SUBMISSION_TOO_LARGE =
  'The submission is larger than this service accepts, so nothing was kept. Make the uploaded files smaller and try again.';
const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((s) => [
      s,
      {
        description:
          {
            400: 'Invalid input',
            401: 'Missing or invalid token',
            403: 'Sent by a page of another site (scripts send no Origin)',
            404: 'Unknown job (or file)',
            409: "Not possible in the job's state",
            410: 'Archived: results no longer available',
            413: 'Body too large',
            415: 'Body not JSON or multipart',
            429: 'Too many requests from this address',
            503: 'Cannot accept work now',
          }[s] ?? 'Error',
        schema: ErrorBody,
      },
    ]),
  );

/** The API's routes. */
export function apiRoutes(o: ApiOptions): ApiRoute[] {
  const { cfg, service, store } = o;
  const { to } = siteOf(cfg);
  const jobUrl = (id: string) => to(`/api/jobs/${id}`);
  const links = (id: string, cancellable = false) => ({
    self: jobUrl(id),
    results: to(`/jobs/${id}`),
    ...(cancellable ? { cancel: `${jobUrl(id)}/cancel` } : {}),
  });
  const submitBytes = submissionLimit(cfg.web, service, o.maxBodyBytes);
  // A bulk request (an array of jobs) may be larger than one submission, up to [web] max_body.
  const bulkBytes = Math.max(submitBytes, Math.min(cfg.web.maxBodyBytes, BULK_BYTES));

  const status = async (job: Job) => {
    const pos = job.state === STATES.INCOMING ? (o.queuePosition?.(job.id) ?? 0) : null;
    const v = await jobView(cfg, service, job, pos, '', store);
    return {
      id: v.id,
      state: job.state,
      ...renameExt(externalState(job.state, job.result.failureKind)),
      type: v.type,
      progress: v.progress,
      queue_position: v.queuePosition,
      submitted: v.submitted,
      started: v.started,
      finished: v.finished,
      failure: v.failure,
      result: v.result && 'text' in v.result ? v.result.text : null,
      files: v.files.map((f) => ({
        name: f.name,
        size: f.size,
        url: `${jobUrl(job.id)}/files/${encodeURIComponent(f.name)}`,
      })),
      links: links(job.id, v.cancellable),
      parent: v.parent ?? null,
      children: (v.children ?? []).map((ch) => ({ ...ch, links: links(ch.id) })),
    };
  };
  const statusCache = createJobCache<string>(store);
  const cachedStatus = (id: string) =>
    statusCache(id, async (job) => {
      const s = await status(job);
      return { value: JSON.stringify(s), cacheable: s.children.length === 0 };
    });
  const tokenEmail = (c: Context, query: Record<string, string>) => {
    const auth = c.req.header('authorization') ?? '';
    const token = /^Bearer (\S{1,600})$/i.exec(auth)?.[1] ?? query.token ?? '';
    const email = token ? verifyEmailToken(o.secret, token) : null;
    if (!email)
      throw new UnauthorizedError(
        'This "my jobs" link is not valid or has expired. Ask for a new one on the my-jobs page: it is sent to your email address.',
      );
    return email;
  };

  /** A bulk request: each element validated on its own, the valid ones created in one group commit. */
  const submitMany = async (c: Context, items: unknown[]) => {
    const checked = items.map((it): ValidInput | Record<string, string> => {
      try {
        return validateApiSubmission(service, it, { bulk: true }).valid;
      } catch (err) {
        if (err instanceof InputError) return err.fields;
        throw err;
      }
    });
    // Each job counts against [web] submit_limit (the request itself counted the first).
    let allowed = 1 + o.guards.moreSubmits(c, checked.length - 1);
    const limited =
      'Too many submissions from your address; this job was not kept. Please try again later.';
    const isValid = (x: (typeof checked)[number]): x is ValidInput =>
      'type' in x && typeof x.type === 'object';
    for (const [i, x] of checked.entries())
      if (isValid(x) && allowed-- <= 0) checked[i] = { rate_limited: limited };
    const valid = checked.filter(isValid);
    const made = valid.length
      ? await submitValidMany(o, valid, clientKey(clientAddress(c, cfg.web.trustProxy)))
      : [];
    let next = 0;
    let created = 0;
    const jobs = checked.map((x) => {
      if (!isValid(x))
        return 'rate_limited' in x
          ? { error: { code: 'rate_limited', message: x.rate_limited } }
          : { error: { code: 'invalid_input', fields: x } };
      const r = made[next++]!;
      if (r instanceof Error) return { error: { code: 'unavailable', message: r.message } };
      created++;
      return { id: r.id, state: r.state, links: links(r.id, true) };
    });
    if (created === 0)
      // The error shape every 400 of the API has, with each element's own errors beside it.
      return c.json(
        {
          error: { code: 'invalid_input', message: 'No job of the request was accepted.' },
          jobs,
        },
        400,
      );
    return c.json({ jobs }, created === jobs.length ? 201 : 207);
  };

  return [
    {
      method: 'get',
      path: '/parameters',
      operationId: 'getParameters',
      tag: 'service',
      summary:
        'The service, its job types and their parameters (name, type, label, default, choices, limits)',
      responses: { 200: { description: 'The service description', schema: ServiceInfo } },
      handle: (c) =>
        c.json({
          service: service.name,
          title: service.title,
          ...(service.description ? { description: service.description } : {}),
          email: service.email ?? 'optional',
          types: service.jobTypes.map(describeType),
        }),
    },
    {
      method: 'get',
      path: '/parameters/{type}',
      operationId: 'getJobType',
      tag: 'service',
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
      method: 'post',
      path: '/jobs',
      operationId: 'submitJob',
      tag: 'jobs',
      summary: 'Submit a job, or many jobs in one request',
      description:
        'JSON for parameters only, multipart/form-data when files are uploaded (the same fields as the HTML form). Validated exactly like the form; answers 201 with a Location header once the job is durable. A JSON array of such objects (up to 10,000) submits many jobs in one request, made durable together: each element gets its own id or its own errors, in order, in `jobs`; 201 when every job was created, 207 when some were refused, 400 when none was.',
      body: {
        json: submitSchema(service),
        form: submitSchema(service),
        own: true,
        many: BULK_MAX_JOBS,
        maxBytes: bulkBytes,
        tooLarge: SUBMISSION_TOO_LARGE,
      },
      middleware: [o.guards.submitLimit],
      responses: {
        201: { description: 'Created; Location names the status URL', schema: JobCreated },
        ...errors(400, 403, 413, 415, 429, 503),
      },
      handle: async (c, { sent, items }) => {
        if (items) return submitMany(c, items);
        const { valid, after } = validateApiSubmission(service, sent);
        if (after !== undefined) {
          // after=ID: the job waits for job ID to complete (recorded as its child; fails if ID fails).
          if (typeof after !== 'string' || !isJobId(after))
            throw new InputError({ after: 'is not a job id' });
          if (valid.files.length)
            throw new InputError({ after: 'cannot be combined with uploaded files' });
          if (!o.startAfter)
            throw new UnavailableError(
              'Jobs that wait for other jobs need the backend (or its socket) in this setup.',
            );
          const id = await o
            .startAfter(after, {
              type: valid.type.name,
              inputs: valid.inputs,
              ...(valid.email ? { email: valid.email } : {}),
            })
            .catch((err: unknown) => {
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
      method: 'get',
      path: '/jobs/{id}',
      operationId: 'getJobStatus',
      tag: 'jobs',
      summary: "A job's state, progress, times, failure and result files",
      params: { id: JobId },
      responses: {
        200: { description: "The job's status", schema: JobStatus },
        ...errors(404, 410),
      },
      handle: async (c, { params }) =>
        c.body(await cachedStatus(params.id!), 200, {
          'content-type': 'application/json',
          'cache-control': 'private, no-cache',
        }),
    },
    {
      method: 'get',
      path: '/jobs/{id}/files/{name}',
      operationId: 'getResultFile',
      tag: 'jobs',
      summary: 'Download one result file of a finished job',
      params: { id: JobId, name: FileName },
      responses: {
        200: { description: 'The file', media: 'application/octet-stream' },
        ...errors(404, 410),
      },
      handle: (_c, { params }) => downloadResultFile(o, params.id!, params.name!),
    },
    {
      method: 'post',
      path: '/jobs/{id}/cancel',
      operationId: 'cancelJob',
      tag: 'jobs',
      summary: 'Cancel a queued or running job',
      params: { id: JobId },
      responses: {
        202: {
          description: 'Cancel requested (durable); the job ends as failed (cancelled)',
          schema: JobStatus,
        },
        ...errors(403, 404, 409, 410, 413, 503),
      },
      handle: async (c, { params }) => {
        const job = await getJob(store, params.id!);
        assertViewable(job);
        if (!o.cancel)
          throw new UnavailableError(
            'Cancelling is not available from this web server; ask the administrator.',
          );
        await o.cancel(job.id, 'the API client');
        return c.json(await status(await getJob(store, job.id)), 202);
      },
    },
    {
      method: 'get',
      path: '/jobs',
      operationId: 'listMyJobs',
      tag: 'my jobs',
      summary: 'The jobs of the email address a my-jobs token proves',
      description:
        'The token is the last part of a my-jobs link (mailed on request and in completion emails); send it as `Authorization: Bearer TOKEN` (or `?token=`).',
      security: 'token',
      query: { token: { type: 'string', maxLength: 600 } },
      responses: {
        200: { description: 'The jobs, newest first', schema: JobList },
        ...errors(401),
      },
      handle: async (c, { query }) => {
        const email = tokenEmail(c, query);
        return c.json({ email, jobs: await userJobs(store, email, links) });
      },
    },
    {
      method: 'post',
      path: '/my-jobs',
      operationId: 'requestMyJobsLink',
      tag: 'my jobs',
      summary: 'Mail a signed, expiring my-jobs link to an address',
      description:
        'Always answers 202 with the same message, whether or not the address has jobs here.',
      body: {
        json: {
          type: 'object',
          required: ['email'],
          properties: { email: { type: 'string', maxLength: EMAIL_MAX_LENGTH } },
          additionalProperties: false,
        },
        maxBytes: SMALL_BODY_BYTES,
      },
      middleware: [o.guards.submitLimit],
      responses: {
        202: {
          description: 'Accepted',
          schema: { type: 'object', properties: { message: { type: 'string' } } },
        },
        ...errors(400, 403, 413, 429),
      },
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

function renameExt(e: { dispatcher: string; wes: string }) {
  return { dispatcher_status: e.dispatcher, wes_state: e.wes };
}
