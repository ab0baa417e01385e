/**
 * A reader for the Job Dispatcher's XML that turns it into what EBI's Perl client sees:
 * XML::Simple's XMLin with its defaults (root dropped; an element seen once is a scalar
 * or a hash, twice a list; an empty element is an empty hash; a list of elements that
 * each have a child named name, key or id is folded into a hash keyed by it). Only for
 * our own documents: elements and text, no attributes (it throws on anything else).
 */

/** What XMLin returns for an element. */
export type Simple = string | { [k: string]: Simple | Simple[] };

interface Node {
  name: string;
  children: Node[];
  text: string;
}

const decode = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

function parse(xml: string): Node {
  const root: Node = { name: '', children: [], text: '' };
  const stack = [root];
  const re = /<\?[^?]*\?>|<(\/?)([A-Za-z][\w.-]*)(\s[^>]*)?(\/?)>|([^<]+)|(<)/g;
  for (const m of xml.matchAll(re)) {
    if (m[6]) throw new Error(`stray < at ${m.index}`);
    if (m[3]?.trim()) throw new Error(`attributes are not expected: <${m[2]}${m[3]}>`);
    const top = stack.at(-1)!;
    if (m[5] !== undefined) top.text += m[5];
    else if (m[2] && m[1]) {
      if (top.name !== m[2]) throw new Error(`</${m[2]}> closes <${top.name}>`);
      stack.pop();
    } else if (m[2]) {
      const node: Node = { name: m[2], children: [], text: '' };
      top.children.push(node);
      if (!m[4]) stack.push(node);
    }
  }
  if (stack.length !== 1 || root.children.length !== 1)
    throw new Error('not one well-formed document');
  return root.children[0]!;
}

const KEY_ATTRS = ['name', 'key', 'id'];

function simplify(n: Node): Simple {
  if (n.children.length === 0) return n.text === '' ? {} : decode(n.text);
  const out: { [k: string]: Simple | Simple[] } = {};
  for (const c of n.children) {
    const v = simplify(c);
    const had = out[c.name];
    out[c.name] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
  }
  for (const [k, v] of Object.entries(out)) {
    if (!Array.isArray(v)) continue;
    const key = KEY_ATTRS.find((a) =>
      v.every(
        (e) => typeof e === 'object' && typeof (e as Record<string, unknown>)[a] === 'string',
      ),
    );
    if (key)
      out[k] = Object.fromEntries(
        v.map((e) => {
          const { [key]: name, ...rest } = e as Record<string, Simple>;
          return [name as string, rest];
        }),
      );
  }
  return out;
}

/** XMLin(text) as EBI's Perl client calls it. */
export function xmlIn(text: string): Simple {
  return simplify(parse(text));
}
