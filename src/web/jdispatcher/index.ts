import { Hono, type Context, type Next } from 'hono';
import {
  ConflictError,
  GoneError,
  InputError,
  JobdirError,
  messageOf,
  NotFoundError,
} from '../../errors.js';
import type { Log } from '../../log.js';
import type { Service } from '../../service/types.js';
import { type Upload, validateSubmission } from '../../service/validate.js';
import { STATES } from '../../states.js';
import { bodyLimit, type BodyLimit, mediaType, readForm, submissionLimit } from '../body.js';
import type { Guards } from '../security/guards.js';
import { type SubmitEnv, submitValid } from '../submit.js';
import { fieldOf, parameterDetailsXml, parametersXml } from './parameters.js';
import { resultBody, resultTypes, resultTypesXml } from './results.js';
import { dispatcherStatus, findToolJob, isFinished, toolOf } from './status.js';
import { XML_TYPE, xmlError } from './xml.js';
import { clientAddress, clientKey } from '../security/client.js';
import { siteOf } from '../site.js';

/**
 * EBI's Job Dispatcher REST protocol for every job type T, under /jdispatcher/T, so EBI's
 * own client scripts work against this service once their base URL is changed:
 * POST run, GET status/{id}, resulttypes/{id}, result/{id}/{type}, parameters,
 * parameterdetails/{name}; each with or without a trailing slash. Errors are XML
 * `<error><description>` with a 4xx; /status answers one word, NOT_FOUND for any id that
 * names no job of T. Privacy, body and rate limits are the API's.
 */

/** What the Job Dispatcher routes need (a subset of the web layer's options). */
export interface JdispatcherOptions extends SubmitEnv {
  service: Service;
  guards: Guards;
  /** Overrides every job type's body limit (as for POST /jobs). */
  maxBodyBytes?: number;
}

/**
 * Fields EBI's clients send for themselves (the Perl client posts every option it holds).
 * They are ignored unless the job type has a parameter of that name; any other unknown
 * field is refused, as everywhere.
 */
export const CLIENT_ONLY_FIELDS = [
  'title',
  'outfile',
  'outformat',
  'pollFreq',
  'maxJobs',
  'debugLevel',
  'async',
  'asyncjob',
  'addformats',
  'verbose',
  'quiet',
] as const;

/** 415: a /run body that is not a form. */
class NotAFormError extends JobdirError {
  override name = 'NotAFormError';
  override status = 415;
  override code = 'unsupported_media_type';
}

const both = (path: string) => [path, `${path}/`];
const param = (c: Context, name: string): string => c.req.param(name) ?? '';
const xml = (c: Context, body: string, status = 200) =>
  c.body(body, status as 200, { 'content-type': XML_TYPE });
const word = (c: Context, status: string, code: number) =>
  c.body(status, code as 200, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
  });

/** An error as EBI's clients read one: XML `<error><description>`, a 4xx, or 503 for anything unexpected (never 500). */
export function jdispatcherError(err: Error, c: Context, log: Log): Response {
  const known = err instanceof JobdirError;
  if (!known) log('web_error', { path: c.req.path, error: messageOf(err), stack: err.stack });
  const status = known && err.status < 500 ? err.status : 503;
  const message =
    known && err.status !== 500
      ? err.message
      : 'Something went wrong on our side. Please try again in a few minutes.';
  return xml(c, xmlError(message), status);
}

/** The /jdispatcher sub-app. */
export function jdispatcherRoutes(o: JdispatcherOptions): Hono {
  const { cfg, service, store, log } = o;
  const app = new Hono();
  const maxDownload = cfg.web.maxDownloadBytes;

  // Each job type's body limit, derived from its own fields (like POST /jobs), capped by [web] max_body.
  const tooLarge =
    'The submission is larger than this service accepts, so nothing was kept. Make the sequences or files smaller and try again.';
  const limits = new Map<string, BodyLimit>(
    service.jobTypes.map((t) => [
      t.name,
      bodyLimit(submissionLimit(cfg.web, { ...service, jobTypes: [t] }, o.maxBodyBytes), tooLarge),
    ]),
  );
  const anyLimit = bodyLimit(Math.max(...[...limits.values()].map((l) => l.maxBytes)), tooLarge);

  const finishedJob = async (c: Context) => {
    const type = toolOf(service, param(c, 'tool'));
    const job = await findToolJob(store, type, param(c, 'id'));
    if (job.state === STATES.ARCHIVED)
      throw new GoneError(
        `The results of job ${job.id} were archived and can no longer be fetched.`,
      );
    if (!isFinished(job))
      throw new ConflictError(
        `Job ${job.id} has not finished yet (${dispatcherStatus(job)}): its results can be fetched once its status is FINISHED or FAILURE.`,
      );
    return { type, job, types: await resultTypes(job, type, maxDownload) };
  };

  app.on('GET', both('/:tool/parameters'), (c) =>
    xml(c, parametersXml(toolOf(service, param(c, 'tool')))),
  );

  app.on('GET', both('/:tool/parameterdetails/:name'), (c) => {
    const type = toolOf(service, param(c, 'tool'));
    const name = param(c, 'name');
    const f = fieldOf(service, type, name);
    if (!f)
      throw new NotFoundError(
        `${type.name} has no parameter "${name.slice(0, 60)}"; GET parameters lists them.`,
      );
    return xml(c, parameterDetailsXml(name, f));
  });

  // Cross-site browser posts are refused app-wide (security/origin.ts); bare script posts pass.
  const limitOf = Object.assign(
    (c: Context, next: Next) => (limits.get(param(c, 'tool')) ?? anyLimit)(c, next),
    { maxBytes: anyLimit.maxBytes },
  );
  app.on(
    'POST',
    both('/:tool/run'),
    limitOf,
    async (c, next) => {
      toolOf(service, param(c, 'tool'));
      await next();
    },
    o.guards.submitLimit,
    async (c) => {
      const type = toolOf(service, param(c, 'tool'));
      const media = mediaType(c);
      if (media !== 'application/x-www-form-urlencoded' && media !== 'multipart/form-data') {
        throw new NotAFormError(
          'Send the parameters as a form: application/x-www-form-urlencoded, or multipart/form-data with files.',
        );
      }
      const raw: Record<string, string | Upload> = await readForm(c);
      if (raw.type !== undefined && raw.type !== type.name)
        throw new InputError({ type: `is given by the address: this is ${type.name}` });
      raw.type = type.name;
      const valid = validateSubmission(service, raw, CLIENT_ONLY_FIELDS);
      const ref = await submitValid(o, valid, clientKey(clientAddress(c, o.cfg.web.trustProxy)));
      return c.body(ref.id, 200, { 'content-type': 'text/plain; charset=utf-8' });
    },
  );

  const status = async (c: Context) => {
    const name = param(c, 'tool');
    const id = param(c, 'id');
    try {
      const job = await findToolJob(store, toolOf(service, name), id);
      const s = dispatcherStatus(job);
      return word(c, s, s === 'NOT_FOUND' ? 410 : 200);
    } catch (err) {
      if (err instanceof NotFoundError) return word(c, 'NOT_FOUND', 404);
      log('web_error', { path: c.req.path, error: messageOf(err) });
      return word(c, 'ERROR', 503);
    }
  };
  app.on('GET', both('/:tool/status/:id'), status);
  // Whatever else follows status/ (a refused /run's XML taken for an id, slashes and all) names no job.
  app.get('/:tool/status', status);
  app.get('/:tool/status/*', (c) => word(c, 'NOT_FOUND', 404));

  app.on('GET', both('/:tool/resulttypes/:id'), async (c) =>
    xml(c, resultTypesXml((await finishedJob(c)).types)),
  );

  app.on('GET', both('/:tool/result/:id/:rtype'), async (c) => {
    const { type, job, types } = await finishedJob(c);
    const want = param(c, 'rtype');
    const t = types.find((x) => x.identifier === want);
    const body = t ? await resultBody(job, type, t, maxDownload) : null;
    if (!t || !body)
      throw new NotFoundError(
        `Job ${job.id} has no result of type "${want.slice(0, 60)}"; GET resulttypes/${job.id} lists them.`,
      );
    return new Response(body.body, {
      headers: {
        'content-type': t.mediaType === 'text/plain' ? 'text/plain; charset=utf-8' : t.mediaType,
        'content-length': String(body.size),
        'content-disposition': `attachment; filename="${job.id}.${t.identifier}.${t.fileSuffix}"`,
        'x-content-type-options': 'nosniff',
        'cache-control': 'private, no-store',
      },
    });
  });

  app.all('*', (c) =>
    xml(
      c,
      xmlError(
        `There is no Job Dispatcher route at this address. Try ${siteOf(cfg).to(`/jdispatcher/${service.jobTypes[0]!.name}/parameters`)}.`,
      ),
      404,
    ),
  );

  app.onError((err, c) => jdispatcherError(err, c, log));

  return app;
}
