/** @jsxRuntime automatic @jsxImportSource jobdir */
/** The page frame every HTML page shares (JSX): head, style, header, footer. */
import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import type { PageFrame } from './views.js';
import { under } from '../src/config/urltop.js';

const CSS = `
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1d2433;background:#f6f7f9}
header,main,footer{max-width:46rem;margin:0 auto;padding:1rem}header{border-bottom:1px solid #dde}
header a{color:inherit;text-decoration:none;font-weight:600}h1{font-size:1.5rem;margin:.5rem 0}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
form .f{margin:0 0 1rem}label{display:block;font-weight:600}
input,select,textarea{font:inherit;padding:.5rem;width:100%;max-width:28rem;border:1px solid #767b8a;
border-radius:4px;background:#fff}
input[type=checkbox]{width:auto}
button{font:inherit;padding:.55rem 1.2rem;border:0;border-radius:4px;background:#2456c9;color:#fff;
cursor:pointer}
button.secondary{background:#6b7280}button.small{padding:.2rem .7rem;font-size:.9rem}
button:focus,input:focus,select:focus,a:focus{outline:3px solid #f5b400;outline-offset:1px}
.err{color:#b00020;font-weight:600}.help{color:#556;font-size:.9rem}.err .help{font-weight:400}
.box{background:#fff;border:1px solid #dde;border-radius:6px;padding:1rem;margin:1rem 0}
.box>:first-child,.box>style:first-child+*{margin-top:0}.box>:last-child{margin-bottom:0}
.state{display:inline-block;padding:.1rem .6rem;border-radius:1rem;background:#e4e9f7;
font-weight:600}
.state.completed{background:#d7f5dd}.state.failed{background:#fbdada}
progress{width:100%;height:1.2rem}
table{border-collapse:collapse;width:100%}
td,th{text-align:left;padding:.3rem;border-bottom:1px solid #eee;vertical-align:top}
pre{white-space:pre-wrap;word-break:break-word;background:#f0f1f4;padding:.6rem;border-radius:4px}
nav a{margin-right:1rem}nav a[aria-current]{font-weight:600;color:inherit;text-decoration:none}
footer{color:#667;font-size:.85rem}main>form{margin-top:1rem}
.req{color:#b00020;font-weight:700}.note,.aside{font-weight:400}.aside{color:#556}
.err-summary{border:2px solid #b00020}.err-summary h2{font-size:1.1rem;margin:0 0 .4rem;color:#b00020}
.err-summary ul{margin:0;padding-left:1.2rem}.err-summary a{color:#b00020;font-weight:600}
th[scope=row]{width:40%;font-weight:600}pre.param{margin:0;font-size:.85rem}
.state.cancelled{background:#eceef2}body:has(.wide) :is(header,main,footer){max-width:64rem}`;

/** The page: title, optional self-refresh, the service name, a footer with the source link. */
export function Layout({ frame: f, children }: { frame: PageFrame; children?: Child }) {
  return (
    <>
      {raw('<!doctype html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width,initial-scale=1" />
          {f.refresh ? (
            // Without scripts the page reloads itself; with them /assets/pages.js does, and
            // offers to stop (a refresh the reader cannot stop fails WCAG 2.2.1).
            <noscript>
              <meta http-equiv="refresh" content={String(f.refresh)} />
            </noscript>
          ) : (
            ''
          )}
          <title>
            {f.title} – {f.serviceName}
          </title>
          <style dangerouslySetInnerHTML={{ __html: CSS }} />
          <script src={under(f.base, '/assets/pages.js')} defer></script>
        </head>
        <body>
          <header>
            <a href={under(f.base, '/')}>{f.serviceName}</a>
          </header>
          <main id="main">{children}</main>
          <footer>
            Powered by jobdir
            {f.github ? (
              <>
                {' '}
                · <a href={f.github}>source</a>
              </>
            ) : (
              ''
            )}
          </footer>
        </body>
      </html>
    </>
  );
}
