import { Hono } from 'hono';

/**
 * /api/admin: behind adminAuth (mounted in app.ts before this). The dashboard's JSON
 * endpoints belong here; `whoami` lets a client check its credentials.
 */
export function adminApi(): Hono<{ Variables: { adminUser: string } }> {
  const api = new Hono<{ Variables: { adminUser: string } }>();
  api.get('/whoami', (c) => c.json({ user: c.get('adminUser') }));
  return api;
}
