import type { Service } from '../../service/types.js';
import { CLIENT_ONLY_FIELDS } from './index.js';

/**
 * The Job Dispatcher routes in the OpenAPI document (beside /api's): one path per route,
 * with {tool} one of the service's job types. Each is also answered with a trailing slash.
 */

const xmlBody = (description: string) => ({
  description,
  content: { 'application/xml': { schema: { type: 'string' } } },
});
const text = (description: string) => ({
  description,
  content: { 'text/plain': { schema: { type: 'string' } } },
});
const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((s) => [
      s,
      xmlBody(
        `${{ 400: 'Invalid input', 403: "A browser's cross-site post", 404: 'Unknown tool, job, parameter or result type', 409: 'The job has not finished', 410: 'Archived', 413: 'Body too large', 415: 'Body not a form', 429: 'Too many submissions from this address' }[s] ?? 'Error'}: <error><description>message</description></error>`,
      ),
    ]),
  );
const p = (name: string, description: string, extra: Record<string, unknown> = {}) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string', ...extra },
});

/** The OpenAPI path items of /jdispatcher/{tool}/… for `service`. */
export function jdispatcherPaths(service: Service): Record<string, unknown> {
  const tool = p('tool', 'A job type of this service', {
    enum: service.jobTypes.map((t) => t.name),
  });
  const id = p('id', 'The job id /run answered');
  const tag = ['Job Dispatcher'];
  return {
    '/jdispatcher/{tool}/run': {
      post: {
        operationId: 'jdRun',
        tags: tag,
        summary: 'Submit a job (EBI Job Dispatcher protocol)',
        parameters: [tool],
        description: `The tool's parameters as a form (multipart/form-data for file parameters), as EBI's clients send them; booleans as true, false, 1 or True. The clients' own fields (${CLIENT_ONLY_FIELDS.join(', ')}) are ignored; any other unknown field is refused. email is the notification address (may be empty).`,
        requestBody: {
          required: true,
          content: {
            'application/x-www-form-urlencoded': {
              schema: { type: 'object', additionalProperties: { type: 'string' } },
            },
            'multipart/form-data': { schema: { type: 'object' } },
          },
        },
        responses: {
          200: text('The job id, with no trailing newline'),
          ...errors(400, 403, 404, 413, 415, 429),
        },
      },
    },
    '/jdispatcher/{tool}/status/{id}': {
      get: {
        operationId: 'jdStatus',
        tags: tag,
        summary: "A job's status: QUEUED, RUNNING, FINISHED, FAILURE, ERROR or NOT_FOUND",
        parameters: [tool, id],
        description:
          'One word, no trailing newline. Every failed job (cancelled ones too) is FAILURE; ERROR means the server could not read the job just now (try again); NOT_FOUND is any id that names no job of this tool.',
        responses: {
          200: text('QUEUED, RUNNING, FINISHED or FAILURE'),
          404: text('NOT_FOUND'),
          410: text('NOT_FOUND (archived)'),
          503: text('ERROR'),
        },
      },
    },
    '/jdispatcher/{tool}/resulttypes/{id}': {
      get: {
        operationId: 'jdResultTypes',
        tags: tag,
        summary:
          'The results of a finished job: <types><type><identifier/><label/><description/><mediaType/><fileSuffix/></type>…</types>',
        parameters: [tool, id],
        description:
          "Always at least out (the program's output) and error (its error output; for a failed job, the reason first), then one type per downloadable file.",
        responses: { 200: xmlBody('The result types'), ...errors(404, 409, 410) },
      },
    },
    '/jdispatcher/{tool}/result/{id}/{type}': {
      get: {
        operationId: 'jdResult',
        tags: tag,
        summary: 'One result of a finished job, with its media type',
        parameters: [tool, id, p('type', 'An identifier from resulttypes')],
        responses: {
          200: {
            description: 'The result',
            content: {
              'text/plain': { schema: { type: 'string' } },
              'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
            },
          },
          ...errors(404, 409, 410),
        },
      },
    },
    '/jdispatcher/{tool}/parameters': {
      get: {
        operationId: 'jdParameters',
        tags: tag,
        summary: "The tool's parameter names: <parameters><id>…</id>…</parameters>",
        parameters: [tool],
        responses: {
          200: xmlBody("The parameter names (the tool's fields, then email)"),
          ...errors(404),
        },
      },
    },
    '/jdispatcher/{tool}/parameterdetails/{name}': {
      get: {
        operationId: 'jdParameterDetails',
        tags: tag,
        summary:
          'One parameter: <parameter><name/><description/><type/><values><value><label/><value/><defaultValue/></value>…</values></parameter>',
        parameters: [tool, p('name', 'A name from parameters')],
        responses: { 200: xmlBody('The parameter'), ...errors(404) },
      },
    },
  };
}
