/**
 * Routes declared as data, mounted: each behind its body limit, its parameters, query and
 * body read and checked against its schemas before its handler runs (openapi.ts documents
 * the same declarations).
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { InputError, NotFoundError, UnsupportedMediaError } from '../../errors.js';
import type { Upload } from '../../service/validate.js';
import { bodyLimit, readBody, readForm, readJson, SMALL_BODY_BYTES } from '../body.js';
import { assertEnforceable, type Schema, validate } from './schema.js';

/** What the API says of a job it does not know (and of anything else under /jobs/). */
export const NO_JOB = 'No job with this id was found.';

/** What a handler receives once the route's schemas accepted the request. */
export interface ApiInput {
  params: Record<string, string>;
  query: Record<string, string>;
  /** Parsed JSON, or the form fields (files as Upload) of a multipart body. */
  body: Record<string, string | Upload>;
  /**
   * A JSON array body on a route that takes many (body.many): each element as `body` is
   * for one, or the problems that refused it (each element is checked on its own).
   */
  items?: ({ body: Record<string, string> } | { problems: Record<string, string> })[];
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
    /** Checks of the values beyond the schema: when the schema refuses a body, their problems are reported with its (theirs win). */
    values?: (body: ApiInput['body']) => void;
    /** A JSON array of up to this many bodies is taken too (ApiInput.items). */
    many?: number;
  };
  responses: Record<number, { description: string; schema?: Schema; media?: string }>;
  middleware?: MiddlewareHandler[];
  handle(c: Context, input: ApiInput): Response | Promise<Response>;
}

/** Read and check a request against its route's schemas. */
/** Throw the schema's problems with those of the route's value checks (their words win, and their status). */
function refuse(r: ApiRoute, problems: Record<string, string>, value: unknown): never {
  let status = 400;
  if (r.body?.values && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const body: ApiInput['body'] = Object.create(null);
    for (const [k, v] of Object.entries(value))
      body[k] = typeof v === 'object' && v !== null && 'data' in v ? (v as Upload) : String(v);
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

/** Each element of an array body checked on its own: its fields, or its problems. */
function itemsOf(r: ApiRoute, parsed: unknown[]): NonNullable<ApiInput['items']> {
  const many = r.body!.many!;
  if (parsed.length === 0 || parsed.length > many)
    throw new InputError({ body: `holds ${parsed.length} jobs; send 1 to ${many} in one request` });
  return parsed.map((v) => {
    const bad = validate(r.body!.json!, v);
    if (Object.keys(bad).length) {
      try {
        refuse(r, bad, v);
      } catch (err) {
        if (err instanceof InputError) return { problems: err.fields };
        throw err;
      }
    }
    const body: Record<string, string> = Object.create(null);
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) body[k] = String(x);
    return { body };
  });
}

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
      if (Array.isArray(parsed) && r.body.many)
        return { params, query, body, items: itemsOf(r, parsed) };
      const bad = validate(r.body.json, parsed);
      if (Object.keys(bad).length) refuse(r, bad, parsed);
      for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) body[k] = String(v);
    } else if (
      (type === 'multipart/form-data' || type === 'application/x-www-form-urlencoded') &&
      r.body.form
    ) {
      body = await readForm(c);
      // An upload is checked as its file name (a file field's schema is format binary).
      const fields = Object.fromEntries(
        Object.entries(body).map(([k, v]) => [k, typeof v === 'string' ? v : v.filename]),
      );
      const bad = validate(r.body.form, fields);
      if (Object.keys(bad).length) refuse(r, bad, body);
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
