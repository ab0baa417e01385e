import { escapeHtml } from 'jobdir';
import { shortNames } from './alignment.js';

/**
 * The guide tree Clustal Omega writes (--guidetree-out, Newick) shown as text: a nested
 * list, one item per sequence with its branch length, each group of sequences indented
 * under the branch that joins them. Screen readers read it as the lists it is.
 */

/** A node of a Newick tree: a leaf has a name, a group has children. */
export interface TreeNode {
  name: string;
  length: number | null;
  children: TreeNode[];
}

/** Lines from each group to its members, drawn with borders. */
const TREE_CSS = [
  '.tree,.tree ul{list-style:none;margin:0;padding:0}.tree ul{margin-left:.45rem}',
  '.tree li{position:relative;padding-left:1.1rem;border-left:1px solid #767b8a}',
  '.tree li:last-child{border-left-color:transparent}',
  '.tree li::before{content:"";position:absolute;left:-1px;top:0;width:.9rem;height:.8em;border-left:1px solid #767b8a;border-bottom:1px solid #767b8a}',
  '.tree .leaf{font-weight:600}.tree .bl{color:#556;font-size:.9rem}',
].join('');

/** Past this many sequences the tree is left to its file. */
const MAX_LEAVES = 1000;

/** Parse Newick text (`((a:0.1,b:0.2):0.05,c:0.3);`); null when it is not a tree. */
export function parseNewick(text: string): TreeNode | null {
  // Whitespace means nothing outside a quoted name.
  const s = text.replace(/'(?:[^']|'')*'|\s+/g, (m) => (m.startsWith("'") ? m : ''));
  let at = 0;
  const label = (): string => {
    if (s[at] === "'") {
      let out = '';
      at++;
      while (at < s.length) {
        if (s[at] === "'" && s[at + 1] === "'") {
          out += "'";
          at += 2;
        } else if (s[at] === "'") {
          at++;
          return out;
        } else out += s[at++];
      }
      throw new Error('unterminated quoted name');
    }
    const start = at;
    while (at < s.length && !'(),:;'.includes(s[at]!)) at++;
    return s.slice(start, at);
  };
  const node = (depth: number): TreeNode => {
    if (depth > 10_000) throw new Error('too deep');
    const children: TreeNode[] = [];
    if (s[at] === '(') {
      at++;
      children.push(node(depth + 1));
      while (s[at] === ',') {
        at++;
        children.push(node(depth + 1));
      }
      if (s[at] !== ')') throw new Error(`expected ) at ${at}`);
      at++;
    }
    const name = label();
    let length: number | null = null;
    if (s[at] === ':') {
      at++;
      const start = at;
      while (at < s.length && /[0-9eE.+-]/.test(s[at]!)) at++;
      length = Number(s.slice(start, at));
      if (!Number.isFinite(length)) throw new Error('bad branch length');
    }
    if (!children.length && !name) throw new Error('a leaf without a name');
    return { name, length, children };
  };
  try {
    const root = node(0);
    return s[at] === ';' && at === s.length - 1 ? root : null;
  } catch {
    return null;
  }
}

/** The leaves' names, left to right. */
export function leaves(t: TreeNode): string[] {
  return t.children.length ? t.children.flatMap(leaves) : [t.name];
}

/** The tree as nested lists; null when there is none to show. */
export function treeHtml(text: string): string | null {
  const tree = parseNewick(text);
  if (!tree) return null;
  const names = leaves(tree);
  if (names.length > MAX_LEAVES) return null;
  const shorts = shortNames(names);
  const short = new Map(names.map((n, i) => [n, shorts[i]!]));
  const length = (n: TreeNode) =>
    n.length === null ? '' : ` <span class="bl">${Number(n.length.toPrecision(3))}</span>`;
  const item = (n: TreeNode): string =>
    n.children.length
      ? `<li><span class="clade">${n.children.length === names.length ? '' : 'group'}${length(n)}</span><ul>${n.children.map(item).join('')}</ul></li>`
      : `<li><span class="leaf" title="${escapeHtml(n.name)}">${escapeHtml(short.get(n.name) ?? n.name)}</span>${length(n)}</li>`;
  return `<style>${TREE_CSS}</style><ul class="tree" aria-label="Guide tree">${tree.children.length ? tree.children.map(item).join('') : item(tree)}</ul>`;
}
