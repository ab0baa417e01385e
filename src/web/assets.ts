/**
 * The pages' own script, served from /assets/pages.js (the CSP allows scripts from this
 * origin only, none inline). Every page works without it; with it, each <time
 * class="local" datetime="…"> is shown in the reader's local time and zone instead of
 * UTC (the UTC text stays as its tooltip); the page of a job that is not done reloads
 * itself after the seconds its #waiting paragraph names (data-refresh), with a button that
 * stops it (and a <noscript> meta refresh does the reloading without scripts); and a link
 * of a form's error summary puts the keyboard focus in the field it names.
 */
import { Hono } from 'hono';

export const PAGES_JS = `(function () {
  function localTimes() {
    var fmt = new Intl.DateTimeFormat(undefined, {
      year: 'numeric', month: 'short', day: 'numeric',
      hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short'
    });
    var times = document.querySelectorAll('time.local[datetime]');
    for (var i = 0; i < times.length; i++) {
      var t = times[i];
      var d = new Date(t.getAttribute('datetime'));
      if (isNaN(d.getTime())) continue;
      t.title = t.textContent;
      t.textContent = fmt.format(d);
      t.setAttribute('data-local', 'yes');
    }
  }
  function reloads() {
    var waiting = document.getElementById('waiting');
    var seconds = waiting && Number(waiting.getAttribute('data-refresh'));
    var said = document.getElementById('reloads');
    if (!seconds || !said) return;
    var timer = setTimeout(function () { location.reload(); }, seconds * 1000);
    var button = document.createElement('button');
    button.type = 'button';
    button.id = 'stop-reloading';
    button.className = 'secondary small';
    button.textContent = 'Stop reloading';
    button.addEventListener('click', function () {
      if (timer === null) return location.reload();
      clearTimeout(timer);
      timer = null;
      said.textContent = 'This page no longer reloads itself';
      button.textContent = 'Reload now';
    });
    waiting.appendChild(document.createTextNode(' '));
    waiting.appendChild(button);
  }
  try {
    localTimes();
  } catch (e) {
    /* an old browser: the times stay in UTC */
  }
  reloads();
  document.addEventListener('click', function (ev) {
    var a = ev.target && ev.target.closest && ev.target.closest('.err-summary a[href^="#"]');
    var field = a && document.getElementById(a.getAttribute('href').slice(1));
    if (!field) return;
    ev.preventDefault();
    field.focus();
    field.scrollIntoView({ block: 'center' });
  });
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
