import type { Hono } from 'hono';
import { openApiDocument } from './openapi.js';
import { mountApi } from './mount.js';
import { type ApiOptions, apiRoutes } from './routes.js';

export type { ApiOptions } from './routes.js';

/** The JSON API under /api, with its OpenAPI document at /api/openapi.json. */
export function createApi(o: ApiOptions): Hono {
  const routes = apiRoutes(o);
  const api = mountApi(routes);
  const doc = openApiDocument(o.service, o.cfg.general.urltop, routes);
  api.get('/openapi.json', (c) => c.json(doc));
  return api;
}
