/**
 * The pages' own script, served from /assets/pages.js (the CSP allows scripts from this
 * origin only, none inline). Every page works without it; with it, each <time
 * class="local" datetime="…"> is shown in the reader's local time and zone instead of
 * UTC (the UTC text stays as its tooltip).
 */
import { Hono } from 'hono';

export const PAGES_JS = `(function () {
  var fmt;
  try {
    fmt = new Intl.DateTimeFormat(undefined, {
      year: 'numeric', month: 'short', day: 'numeric',
      hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short'
    });
  } catch (e) {
    return;
  }
  var times = document.querySelectorAll('time.local[datetime]');
  for (var i = 0; i < times.length; i++) {
    var t = times[i];
    var d = new Date(t.getAttribute('datetime'));
    if (isNaN(d.getTime())) continue;
    t.title = t.textContent;
    t.textContent = fmt.format(d);
    t.setAttribute('data-local', 'yes');
  }
})();
`;

/** /assets: the pages' static files. */
export function assetRoutes(): Hono {
  const app = new Hono();
  app.get('/pages.js', (c) =>
    c.body(PAGES_JS, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=600',
    }),
  );
  return app;
}
