import type { Service } from '../../service/types.js';
import type { ApiRoute } from './mount.js';
import type { Schema } from './schema.js';
import { stateMapTable } from './states.js';
import { jdispatcherPaths } from '../jdispatcher/openapi.js';

/** OpenAPI 3.0 has no `x-miss`; drop our own keys and map `type: [a, b]` to anyOf. */
function clean(s: Schema): unknown {
  if (Array.isArray(s.type)) {
    const { type, ...rest } = s;
    const nullable = type.includes('null');
    return {
      ...(clean(rest as Schema) as object),
      anyOf: type.filter((t) => t !== 'null').map((t) => ({ type: t })),
      ...(nullable ? { nullable: true } : {}),
    };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k.startsWith('x-')) continue;
    if (k === 'properties')
      out[k] = Object.fromEntries(
        Object.entries(v as Record<string, Schema>).map(([n, p]) => [n, clean(p)]),
      );
    else if (k === 'items' || (k === 'additionalProperties' && typeof v === 'object'))
      out[k] = clean(v as Schema);
    else if (k === 'oneOf') out[k] = (v as Schema[]).map(clean);
    else out[k] = v;
  }
  return out;
}

/**
 * The OpenAPI 3.0 document of the API, built from the route table: the same schemas
 * the server validates requests with. Served at /api/openapi.json.
 */
export function openApiDocument(
  service: Service,
  urltop: string,
  routes: ApiRoute[],
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters = [
      ...Object.entries(r.params ?? {}).map(([name, schema]) => ({
        name,
        in: 'path',
        required: true,
        schema: clean(schema),
        ...(schema.description ? { description: schema.description } : {}),
      })),
      ...Object.entries(r.query ?? {}).map(([name, schema]) => ({
        name,
        in: 'query',
        required: false,
        schema: clean(schema),
      })),
    ];
    const content: Record<string, unknown> = {};
    if (r.body?.json) content['application/json'] = { schema: clean(r.body.json) };
    if (r.body?.form) content['multipart/form-data'] = { schema: clean(r.body.form) };
    paths[`/api${r.path}`] = {
      ...paths[`/api${r.path}`],
      [r.method]: {
        operationId: r.operationId,
        summary: r.summary,
        tags: [r.tag],
        ...(r.description ? { description: r.description } : {}),
        ...(parameters.length ? { parameters } : {}),
        ...(r.body ? { requestBody: { required: true, content } } : {}),
        ...(r.security === 'token' ? { security: [{ myJobsToken: [] }] } : {}),
        responses: Object.fromEntries(
          Object.entries(r.responses).map(([status, resp]) => [
            status,
            {
              description: resp.description,
              ...(resp.schema
                ? { content: { 'application/json': { schema: clean(resp.schema) } } }
                : resp.media
                  ? { content: { [resp.media]: { schema: { type: 'string', format: 'binary' } } } }
                  : {}),
            },
          ]),
        ),
      },
    };
  }
  return {
    openapi: '3.0.3',
    info: {
      title: `${service.title} API`,
      version: '1',
      description: [
        `${service.description ?? ''}`,
        '',
        'Submit a job (POST /api/jobs), poll its status (GET /api/jobs/{id}) with backoff until `state` is completed or failed, then download its files. Errors are JSON `{"error": {"code", "message"}}`; the message is the one the web page shows.',
        '',
        'States, and how they read to EBI Job Dispatcher and GA4GH WES clients (also given in each status as `dispatcher_status` and `wes_state`):',
        '',
        stateMapTable(),
      ].join('\n'),
    },
    servers: [{ url: urltop }],
    components: {
      securitySchemes: {
        myJobsToken: { type: 'http', scheme: 'bearer', description: 'The token of a my-jobs link' },
      },
    },
    paths: { ...paths, ...jdispatcherPaths(service) },
  };
}
