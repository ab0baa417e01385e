/**
 * Routes declared as data, mounted: each behind its body limit, its parameters, query and
 * body read and checked against its schemas before its handler runs (openapi.ts documents
 * the same declarations). A route whose body has rules of its own (the submission, whose
 * schema is derived from its field rules) gets the body as sent and checks it once itself.
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { InputError, NotFoundError, UnsupportedMediaError } from '../../errors.js';
import type { Upload } from '../../service/validate.js';
import { bodyLimit, mediaType, readBody, readForm, readJson, SMALL_BODY_BYTES } from '../body.js';
import { assertEnforceable, type Schema, validate } from './schema.js';

/** What the API says of a job it does not know (and of anything else under /jobs/). */
export const NO_JOB = 'No job with this id was found.';

/** What a handler receives once the route's schemas accepted the request. */
export interface ApiInput {
  params: Record<string, string>;
  query: Record<string, string>;
  /** Parsed JSON, or the form fields (files as Upload) of a multipart body; empty on a route that checks its own (body.own). */
  body: Record<string, string | Upload>;
  /** On a route that checks its own body (body.own): the body as sent, a JSON value as parsed or a form's fields. */
  sent?: unknown;
  /** On a route that takes many (body.many): the elements of a JSON array body, as sent, for the handler to check each. */
  items?: unknown[];
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
    json?: Schema;
    form?: Schema;
    maxBytes: number;
    tooLarge?: string;
    /**
     * The handler checks the body itself, once, by the rules `json` and `form` are derived
     * from (they document that check): it gets the body as sent (ApiInput.sent).
     */
    own?: boolean;
    /** With `own`: a JSON array of up to this many bodies is taken too (ApiInput.items). */
    many?: number;
  };
  responses: Record<number, { description: string; schema?: Schema; media?: string }>;
  middleware?: MiddlewareHandler[];
  handle(c: Context, input: ApiInput): Response | Promise<Response>;
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
    const type = mediaType(c);
    if (type === 'application/json' && r.body.json) {
      const parsed = await readJson(c);
      if (Array.isArray(parsed) && r.body.many) {
        const many = r.body.many;
        if (parsed.length === 0 || parsed.length > many)
          throw new InputError({
            body: `holds ${parsed.length} jobs; send 1 to ${many} in one request`,
          });
        return { params, query, body, items: parsed };
      }
      if (r.body.own) return { params, query, body, sent: parsed };
      const bad = validate(r.body.json, parsed);
      if (Object.keys(bad).length) throw new InputError(bad);
      for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) body[k] = String(v);
    } else if (
      (type === 'multipart/form-data' || type === 'application/x-www-form-urlencoded') &&
      r.body.form
    ) {
      body = await readForm(c);
      if (r.body.own) return { params, query, body: Object.create(null), sent: body };
      // An upload is checked as its file name (a file field's schema is format binary).
      const fields = Object.fromEntries(
        Object.entries(body).map(([k, v]) => [k, typeof v === 'string' ? v : v.filename]),
      );
      const bad = validate(r.body.form, fields);
      if (Object.keys(bad).length) throw new InputError(bad);
    } else {
      throw new UnsupportedMediaError(
        `Send the body as ${[r.body.json ? 'application/json' : '', r.body.form ? 'multipart/form-data' : ''].filter(Boolean).join(' or ')}.`,
      );
    }
  }
  return { params, query, body };
}

/** The /api sub-app: every route of `routes`, each behind its body limit and schema checks. */
export function mountApi(routes: ApiRoute[]): Hono {
  const api = new Hono();
  for (const r of routes) {
    // What the OpenAPI document states of a request is checked: refuse a schema that would not be.
    if (r.body?.many && !r.body.own)
      throw new Error(
        `${r.operationId}: body.many needs body.own (its handler checks each element)`,
      );
    for (const schema of [
      ...Object.values(r.params ?? {}),
      ...Object.values(r.query ?? {}),
      r.body?.json,
      r.body?.form,
    ]) {
      if (schema) assertEnforceable(schema, `${r.operationId}`);
    }
    const limit =
      r.method === 'post'
        ? [bodyLimit(r.body?.maxBytes ?? SMALL_BODY_BYTES, r.body?.tooLarge)]
        : [];
    api.on(
      r.method.toUpperCase(),
      [r.path.replace(/\{(\w+)\}/g, ':$1')],
      ...limit,
      ...(r.middleware ?? []),
      async (c) => r.handle(c, await readInput(c, r)),
    );
  }
  // Anything else under /jobs/ reads exactly like an unknown job (ids are unguessable, and misses alike).
  api.all('/jobs/*', () => {
    throw new NotFoundError(NO_JOB);
  });
  return api;
}
