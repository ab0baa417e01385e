import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { readdir, readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { raw } from 'hono/html';
import { jsx as honoJsx } from 'hono/jsx';
import { Fragment, jsx } from '../templates/jsx-runtime.js';
import { errorPage } from '../templates/pages.js';
import { formPage } from '../templates/form.js';

type Props = Record<string, unknown>;
/** hono/jsx's rendering of the same element, the reference the templates' runtime keeps to. */
const hono = (tag: string, props: Props): string => {
  const { children, ...rest } = props;
  const kids = children === undefined ? [] : Array.isArray(children) ? children : [children];
  return String(honoJsx(tag, rest, ...(kids as string[])));
};

describe('the templates’ JSX runtime', () => {
  test('writes what hono/jsx writes, element by element', () => {
    const cases: [string, Props][] = [
      ['p', { children: `a & b < c > d " e ' f` }],
      ['a', { href: `/x?a=1&b="2"'`, children: 'link' }],
      ['input', { type: 'checkbox', checked: true, required: false, name: 'n' }],
      ['input', { 'aria-invalid': true, maxlength: 40, value: 0 }],
      ['option', { selected: false, value: 'v', children: 'V' }],
      ['script', { src: '/s.js', defer: true }],
      ['td', {}],
      ['meta', { charset: 'utf-8' }],
      [
        'div',
        {
          class: 'box',
          id: undefined,
          title: null,
          children: ['x', 3, null, false, true, ['y', raw('<b>z</b>')]],
        },
      ],
      ['style', { dangerouslySetInnerHTML: { __html: 'a>b{c:d}' } }],
      ['label', { htmlFor: 'f', className: 'c', children: 'L' }],
      ['button', { onclick: () => 0, children: 'B' }],
      ['meta', { httpEquiv: 'refresh', content: '30', constructor: 'c', toString: 't' }],
      ['a', { title: raw('&amp; as written'), 'bad name': 'x', '"q': 'y' }],
    ];
    for (const [tag, props] of cases) assert.equal(String(jsx(tag, props)), hono(tag, props), tag);
  });

  test('an element given as an attribute value is escaped there, as hono/jsx does', () => {
    const title = String(jsx('a', { title: jsx('b', { children: 'x' }) }));
    assert.equal(title, String(honoJsx('a', { title: honoJsx('b', {}, 'x') })));
    assert.equal(title, '<a title="&lt;b&gt;x&lt;/b&gt;"></a>');
  });

  test('components and fragments render their children in place', () => {
    const Item = ({ children }: { children?: unknown }) => jsx('li', { children });
    const list = jsx('ul', {
      children: [
        jsx(Item, { children: '1 < 2' }),
        jsx(Fragment, { children: [jsx(Item, { children: 'b' }), 'c'] }),
      ],
    });
    assert.equal(String(list), '<ul><li>1 &lt; 2</li><li>b</li>c</ul>');
  });

  test('refuses what it cannot write rather than writing it wrong', () => {
    assert.throws(
      () => jsx('div', { dangerouslySetInnerHTML: { __html: 'x' }, children: 'y' }),
      /both children/,
    );
    assert.throws(() => jsx('a', { href: () => 0 }), /href is a function/);
    assert.throws(() => jsx('p onclick=x', {}), /not a tag name/);
    assert.throws(() => jsx('p', { style: { color: 'red' } }), /a style object/);
    assert.throws(() => jsx('p', { children: Promise.resolve('x') }), /async component/);
    assert.throws(() => jsx('p', { children: { a: 1 } }), /a JSX child that is \[object Object\]/);
  });

  test('a page renders without AsyncLocalStorage (which on Node 20 turns async_hooks on for the process)', () => {
    const run = AsyncLocalStorage.prototype.run;
    let runs = 0;
    AsyncLocalStorage.prototype.run = function (
      this: AsyncLocalStorage<unknown>,
      ...a: Parameters<typeof run>
    ) {
      runs++;
      return run.apply(this, a);
    } as typeof run;
    try {
      // The probe sees hono/jsx's render, so a zero below is the runtime's doing.
      assert.match(String(honoJsx('p', {}, 'x')), /<p>x<\/p>/);
      assert.ok(runs > 0, 'hono/jsx renders inside AsyncLocalStorage.run');
      runs = 0;
      const frame = { serviceName: 'S', base: '' };
      const page = errorPage(frame, 404, 'no such job', 'check the link');
      // A string, not a String object: @hono/node-server answers a string body on its fast path.
      assert.equal(typeof page, 'string');
      assert.match(page, /<h1>Not found<\/h1>/);
      const type = { name: 't', title: 'T', fields: {}, run: () => ['true'] };
      const form = formPage({
        ...frame,
        types: [type],
        type,
        values: {},
        errors: {},
        email: 'optional',
        csrf: 'c',
      } as never);
      assert.match(form, /<form/);
      assert.equal(runs, 0);
    } finally {
      AsyncLocalStorage.prototype.run = run;
    }
  });

  test('every template names this runtime', async () => {
    const dir = new URL('../templates/', import.meta.url);
    const tsx = (await readdir(dir)).filter((f) => f.endsWith('.tsx'));
    assert.ok(tsx.length >= 10, `templates found: ${tsx.join(', ')}`);
    for (const f of tsx)
      assert.match(
        await readFile(new URL(f, dir), 'utf8'),
        /^\/\*\* @jsxRuntime automatic @jsxImportSource jobdir \*\//,
        f,
      );
  });
});
