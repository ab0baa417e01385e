/**
 * An order-statistics tree: distinct items kept sorted by a key of three numbers (compared
 * in turn), each node knowing how many items lie under it, so that inserting, removing,
 * the rank of an item (how many come before it) and the k-th item are all O(log n). A
 * counted B+-tree: up to 64 items per leaf and 64 children per inner node, so 100,000
 * items lie three levels down. The keys are copied into each node (three numbers per
 * entry, side by side in one array), so a lookup reads a few contiguous arrays and never
 * the items themselves: a binary tree of objects costs a cache miss per level and per
 * comparison once the queue no longer fits in the CPU's caches.
 *
 * An inner node routes by its keys: the key of entry i (i >= 1) is at most every key
 * under kids[i] and above every key under kids[i-1]; a key whose item was removed may
 * stay (it still orders the items around it). A node left with under a quarter of its room
 * is merged into a neighbour when both fit in one.
 */

/** An item's place in the order: three numbers, compared first to last. Items' keys differ. */
export type Key = readonly [number, number, number];

const MAX = 64;
const LOW = MAX / 4;

interface Leaf<T> {
  leaf: true;
  items: T[];
  /** The items' keys, three numbers each. */
  keys: number[];
  size: number;
}
interface Inner<T> {
  leaf: false;
  /** Three numbers per child: a lower bound of the keys under it (the first is never read). */
  keys: number[];
  kids: Node<T>[];
  size: number;
}
type Node<T> = Leaf<T> | Inner<T>;

const width = <T>(n: Node<T>): number => (n.leaf ? n.items.length : n.kids.length);

/** The sign of (entry m of `keys`) − (x, y, z). */
function cmp(keys: number[], m: number, x: number, y: number, z: number): number {
  const a = keys[3 * m]!;
  if (a !== x) return a < x ? -1 : 1;
  const b = keys[3 * m + 1]!;
  if (b !== y) return b < y ? -1 : 1;
  const c = keys[3 * m + 2]!;
  return c === z ? 0 : c < z ? -1 : 1;
}

/** The first entry of `keys[0..count)` not below (x, y, z). */
function lowerBound(keys: number[], count: number, x: number, y: number, z: number): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cmp(keys, mid, x, y, z) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The child of `n` whose range holds (x, y, z). */
function route<T>(n: Inner<T>, x: number, y: number, z: number): number {
  let lo = 1;
  let hi = n.kids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cmp(n.keys, mid, x, y, z) > 0) hi = mid;
    else lo = mid + 1;
  }
  return lo - 1;
}

/** Put `x` at index `j` of `xs`, the rest moved up (splice without the array it returns). */
function putAt<X>(xs: X[], j: number, x: X): void {
  for (let i = xs.push(x) - 1; i > j; i--) xs[i] = xs[i - 1]!;
  xs[j] = x;
}

/** Put key (x, y, z) at entry `j` of `keys`. */
function putKey(keys: number[], j: number, x: number, y: number, z: number): void {
  keys.push(0, 0, 0);
  for (let i = keys.length - 1; i >= 3 * j + 3; i--) keys[i] = keys[i - 3]!;
  keys[3 * j] = x;
  keys[3 * j + 1] = y;
  keys[3 * j + 2] = z;
}

/** Remove `w` elements of `xs` from index `j`. */
function cut<X>(xs: X[], j: number, w: number): void {
  for (let i = j; i + w < xs.length; i++) xs[i] = xs[i + w]!;
  xs.length -= w;
}

/** Items in the order of their keys (`keyOf`, which never changes while an item is in). */
export class RankTree<T> {
  private root: Node<T> = { leaf: true, items: [], keys: [], size: 0 };

  constructor(private readonly keyOf: (item: T) => Key) {}

  /** How many items it holds. */
  get size(): number {
    return this.root.size;
  }

  /** Put `item` in its place (it must not be in already). */
  insert(item: T): void {
    const split = this.ins(this.root, item, this.keyOf(item));
    if (!split) return;
    const k = split.key;
    const x = k[0],
      y = k[1],
      z = k[2];
    this.root = {
      leaf: false,
      keys: [x, y, z, x, y, z],
      kids: [this.root, split.node],
      size: this.root.size + split.node.size,
    };
  }

  /** Take `item` out; false when it is not in. */
  delete(item: T): boolean {
    if (!this.del(this.root, item, this.keyOf(item))) return false;
    while (!this.root.leaf && this.root.kids.length === 1) this.root = this.root.kids[0]!;
    return true;
  }

  /** How many items come before `item`, or -1 when it is not in. */
  rank(item: T): number {
    const key = this.keyOf(item);
    const x = key[0],
      y = key[1],
      z = key[2];
    let n = this.root;
    let r = 0;
    while (!n.leaf) {
      const i = route(n, x, y, z);
      for (let j = 0; j < i; j++) r += n.kids[j]!.size;
      n = n.kids[i]!;
    }
    const j = lowerBound(n.keys, n.items.length, x, y, z);
    return n.items[j] === item ? r + j : -1;
  }

  /** The k-th item (0: the first), or undefined. */
  at(k: number): T | undefined {
    if (k < 0 || k >= this.root.size) return undefined;
    let n = this.root;
    while (!n.leaf) {
      let i = 0;
      while (k >= n.kids[i]!.size) k -= n.kids[i++]!.size;
      n = n.kids[i]!;
    }
    return n.items[k];
  }

  /** The first item, or undefined when empty. */
  first(): T | undefined {
    let n = this.root;
    while (!n.leaf) n = n.kids[0]!;
    return n.items[0];
  }

  /** The last item, or undefined when empty. */
  last(): T | undefined {
    let n = this.root;
    while (!n.leaf) n = n.kids[n.kids.length - 1]!;
    return n.items[n.items.length - 1];
  }

  /** The first `limit` items (all by default), in order. */
  *items(limit = Infinity): IterableIterator<T> {
    let left = limit;
    const walk = function* (n: Node<T>): IterableIterator<T> {
      if (n.leaf) {
        for (const x of n.items) {
          if (left-- <= 0) return;
          yield x;
        }
      } else for (const k of n.kids) if (left > 0) yield* walk(k);
    };
    yield* walk(this.root);
  }

  /** Insert under `n`; a new right sibling when `n` split, with its least key. */
  private ins(n: Node<T>, item: T, key: Key): { node: Node<T>; key: Key } | null {
    const x = key[0],
      y = key[1],
      z = key[2];
    n.size++;
    if (n.leaf) {
      const j = lowerBound(n.keys, n.items.length, x, y, z);
      putAt(n.items, j, item);
      putKey(n.keys, j, x, y, z);
      if (n.items.length <= MAX) return null;
      const items = n.items.splice(MAX / 2);
      const keys = n.keys.splice((3 * MAX) / 2);
      n.size = n.items.length;
      const node: Leaf<T> = { leaf: true, items, keys, size: items.length };
      return { node, key: [keys[0]!, keys[1]!, keys[2]!] };
    }
    const i = route(n, x, y, z);
    const split = this.ins(n.kids[i]!, item, key);
    if (!split) return null;
    putAt(n.kids, i + 1, split.node);
    putKey(n.keys, i + 1, ...split.key);
    if (n.kids.length <= MAX) return null;
    const kids = n.kids.splice(MAX / 2);
    const keys = n.keys.splice((3 * MAX) / 2);
    let moved = 0;
    for (const k of kids) moved += k.size;
    n.size -= moved;
    return { node: { leaf: false, keys, kids, size: moved }, key: [keys[0]!, keys[1]!, keys[2]!] };
  }

  /** Remove `item` from under `n`; false when it is not there. */
  private del(n: Node<T>, item: T, key: Key): boolean {
    const x = key[0],
      y = key[1],
      z = key[2];
    if (n.leaf) {
      const j = lowerBound(n.keys, n.items.length, x, y, z);
      if (n.items[j] !== item) return false;
      cut(n.items, j, 1);
      cut(n.keys, 3 * j, 3);
      n.size--;
      return true;
    }
    const i = route(n, x, y, z);
    const kid = n.kids[i]!;
    if (!this.del(kid, item, key)) return false;
    n.size--;
    if (width(kid) === 0) {
      cut(n.kids, i, 1);
      cut(n.keys, 3 * i, 3);
    } else if (width(kid) < LOW && n.kids.length > 1) {
      const l = i > 0 ? i - 1 : i;
      const a = n.kids[l]!;
      const b = n.kids[l + 1]!;
      if (width(a) + width(b) <= MAX) {
        if (a.leaf && b.leaf) {
          a.items.push(...b.items);
          a.keys.push(...b.keys);
        } else if (!a.leaf && !b.leaf) {
          a.keys.push(...n.keys.slice(3 * (l + 1), 3 * (l + 2)), ...b.keys.slice(3));
          a.kids.push(...b.kids);
        }
        a.size += b.size;
        cut(n.kids, l + 1, 1);
        cut(n.keys, 3 * (l + 1), 3);
      }
    }
    return true;
  }
}
