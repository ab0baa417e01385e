/**
 * The dashboard's only script, served from /admin/live.js (the CSP allows scripts from
 * this origin only). It listens to /admin/events and swaps in each new panel, keeping
 * keyboard focus on the same button when it is still there.
 */
export const LIVE_JS = `(function () {
  var live = document.getElementById('live');
  if (!live || !window.EventSource) return;
  var es = new EventSource('/admin/events');
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
