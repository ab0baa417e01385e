/**
 * The JSX runtime of the templates (`@jsxImportSource jobdir`): an element renders at once to
 * escaped HTML, a hono HtmlEscapedString that `c.html` and `raw()` take as it is. Pages are
 * synchronous, so nothing is deferred and no render context is kept.
 *
 * Why not hono/jsx's own runtime: it runs every render inside AsyncLocalStorage.run, and on
 * Node 20 the first such run turns async_hooks on for the rest of the process, so every
 * promise of every job pays for it (0.25–0.37 ms of CPU per job, measured on the spine's
 * 1,000-job burst run in one process with its data on tmpfs, three pairs).
 * The output is hono/jsx's for what the templates write (checked page by page when this
 * runtime came in); the types of elements and attributes are hono's. Not done here, as the
 * templates need none of it: hono/jsx's moving of <title>/<meta> into <head>, its SVG
 * attribute renaming, style objects (refused) and async components (refused).
 *
 * When it can go: once Node 20 is no longer supported (package.json `engines`) and the oldest
 * Node supported runs AsyncLocalStorage on AsyncContextFrame, which turns no hook on: the
 * default from Node 24 (on 22 only with --experimental-async-context-frame). To check on that
 * Node: time 300,000 `await Promise.resolve()` before and after one
 * `new AsyncLocalStorage().run({}, () => {})` — on 20.20 the CPU doubled (20–26 → 45–79 ms),
 * on 24.22 it stayed (23–26 ms) — then set `jsxImportSource` to `hono/jsx` (tsconfig.json,
 * the templates' pragmas), make `jobdir/jsx-runtime` re-export hono/jsx's runtime (services
 * may name it), and run the templates' tests and `npm run bench spine` before and after.
 */
import { raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { escapeHtml } from '../src/service/render.js';

export type { JSX } from 'hono/jsx/jsx-runtime';

type Props = Record<string, unknown> & { children?: unknown };
type Component = (props: Props) => unknown;

const VOID_ELEMENTS = new Set(
  'area base br col embed hr img input keygen link meta param source track wbr'.split(' '),
);
/** HTML's boolean attributes: `true` writes the name alone, `false` leaves it out. */
const BOOLEAN_ATTRIBUTES = new Set(
  (
    'allowfullscreen async autofocus autoplay checked controls default defer disabled ' +
    'download formnovalidate hidden inert ismap itemscope loop multiple muted nomodule ' +
    'novalidate open playsinline readonly required reversed selected shadowrootclonable ' +
    'shadowrootdelegatesfocus shadowrootserializable'
  ).split(' '),
);
/** React's spellings of attribute names, as hono/jsx maps them. */
const REACT_NAMES = new Map([
  ['className', 'class'],
  ['htmlFor', 'for'],
  ['crossOrigin', 'crossorigin'],
  ['httpEquiv', 'http-equiv'],
  ['itemProp', 'itemprop'],
  ['fetchPriority', 'fetchpriority'],
  ['noModule', 'nomodule'],
  ['formAction', 'formaction'],
]);
const SAFE_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;
const SAFE_TAG = /^[A-Za-z][A-Za-z0-9-]*$/;
/** Marks what this runtime rendered: raw() text may stand in an attribute as it is, an element may not. */
const RENDERED = Symbol('jobdir.jsx');

const isEscaped = (v: unknown): v is HtmlEscapedString =>
  v instanceof String && (v as HtmlEscapedString).isEscaped === true;

function rendered(html: string): HtmlEscapedString {
  const out = raw(html);
  (out as unknown as Record<symbol, true>)[RENDERED] = true;
  return out;
}

function childHtml(c: unknown): string {
  if (c == null || typeof c === 'boolean') return '';
  if (typeof c === 'string') return escapeHtml(c);
  if (typeof c === 'number' || typeof c === 'bigint') return String(c);
  if (isEscaped(c)) return c.toString();
  if (Array.isArray(c)) return c.map(childHtml).join('');
  if (c instanceof Promise)
    throw new TypeError('an async component: templates render synchronously');
  throw new TypeError(`a JSX child that is ${Object.prototype.toString.call(c)}`);
}

function attributeHtml(key: string, v: unknown, tag: string): string {
  if (v == null || key === 'ref') return '';
  if (typeof v === 'boolean' && BOOLEAN_ATTRIBUTES.has(key)) return v ? ` ${key}=""` : '';
  if (typeof v === 'function') {
    if (key.startsWith('on')) return '';
    throw new TypeError(`<${tag}>: the attribute ${key} is a function`);
  }
  if (typeof v === 'number' || (isEscaped(v) && !(RENDERED in v))) return ` ${key}="${String(v)}"`;
  if (key === 'style' && typeof v === 'object' && !isEscaped(v))
    throw new TypeError(`<${tag}>: a style object (write the style as a string)`);
  return ` ${key}="${escapeHtml(String(v))}"`;
}

function elementHtml(tag: string, props: Props): string {
  if (!SAFE_TAG.test(tag)) throw new TypeError(`<${tag}>: not a tag name`);
  let open = `<${tag}`;
  let inner: string | null = null;
  for (const [name, v] of Object.entries(props)) {
    if (name === 'children') continue;
    if (name === 'dangerouslySetInnerHTML') {
      inner = String((v as { __html: unknown }).__html);
      continue;
    }
    const key = REACT_NAMES.get(name) ?? name;
    if (SAFE_NAME.test(key)) open += attributeHtml(key, v, tag);
  }
  if (inner !== null && props.children != null)
    throw new TypeError(`<${tag}>: both children and dangerouslySetInnerHTML`);
  inner ??= childHtml(props.children);
  if (inner === '' && VOID_ELEMENTS.has(tag)) return `${open}/>`;
  return `${open}>${inner}</${tag}>`;
}

/** The automatic runtime's element call: a tag or a component, rendered now. */
export function jsx(tag: string | Component, props: Props): HtmlEscapedString {
  return rendered(typeof tag === 'function' ? childHtml(tag(props)) : elementHtml(tag, props));
}
export { jsx as jsxs, jsx as jsxDEV };

/** `<>…</>`: the children, side by side. */
export function Fragment({ children }: { children?: unknown }): HtmlEscapedString {
  return rendered(childHtml(children));
}
