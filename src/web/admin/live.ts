/**
 * The dashboard's only script, served from /admin/live.js (the CSP allows scripts from
 * this origin only). It listens to the event stream the panel names (data-events: the
 * service's /admin/events, under its prefix) and swaps in each new panel, keeping keyboard
 * focus on the same button when it is still there.
 */
export const LIVE_JS = `(function () {
  var live = document.getElementById('live');
  var events = live && live.getAttribute('data-events');
  if (!events || !window.EventSource) return;
  var es = new EventSource(events);
  es.addEventListener('panel', function (ev) {
    var el = document.activeElement;
    var focused = el && el.id && live.contains(el) ? el.id : null;
    live.innerHTML = JSON.parse(ev.data).html;
    live.setAttribute('data-updates', String(Number(live.getAttribute('data-updates') || 0) + 1));
    if (focused) {
      var again = document.getElementById(focused);
      if (again) again.focus();
    }
  });
})();
`;
