/**
 * An order-statistics tree: distinct items kept sorted by `before`, each node knowing the
 * size of its subtree, so that inserting, removing, the rank of an item (how many come
 * before it) and the k-th item are all O(log n). A treap: each node has a random
 * priority and the tree is a heap by priority, which keeps it balanced in expectation
 * whatever the order of insertions (in the scheduler they mostly arrive last).
 */

interface Node<T> {
  item: T;
  pri: number;
  size: number;
  left: Node<T> | null;
  right: Node<T> | null;
}

const sizeOf = <T>(n: Node<T> | null): number => (n ? n.size : 0);
const fix = <T>(n: Node<T>): Node<T> => {
  n.size = 1 + sizeOf(n.left) + sizeOf(n.right);
  return n;
};

/** Items in the order of `before(a, b)` (true when a comes first); no two items are equal. */
export class RankTree<T> {
  private root: Node<T> | null = null;

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  /** How many items it holds. */
  get size(): number {
    return sizeOf(this.root);
  }

  /** Put `item` in its place (it must not be in already). */
  insert(item: T): void {
    this.root = this.ins(this.root, { item, pri: Math.random(), size: 1, left: null, right: null });
  }

  /** Take `item` out; false when it is not in. */
  delete(item: T): boolean {
    if (this.rank(item) < 0) return false;
    this.root = this.del(this.root!, item);
    return true;
  }

  /** How many items come before `item`, or -1 when it is not in. */
  rank(item: T): number {
    let n = this.root;
    let r = 0;
    while (n) {
      if (this.before(item, n.item)) n = n.left;
      else if (this.before(n.item, item)) {
        r += sizeOf(n.left) + 1;
        n = n.right;
      } else return n.item === item ? r + sizeOf(n.left) : -1;
    }
    return -1;
  }

  /** The k-th item (0: the first), or undefined. */
  at(k: number): T | undefined {
    let n = this.root;
    while (n) {
      const l = sizeOf(n.left);
      if (k < l) n = n.left;
      else if (k === l) return n.item;
      else {
        k -= l + 1;
        n = n.right;
      }
    }
    return undefined;
  }

  /** The first item, or undefined when empty. */
  first(): T | undefined {
    let n = this.root;
    while (n?.left) n = n.left;
    return n?.item;
  }

  /** The last item, or undefined when empty. */
  last(): T | undefined {
    let n = this.root;
    while (n?.right) n = n.right;
    return n?.item;
  }

  /** The first `limit` items (all by default), in order. */
  *items(limit = Infinity): IterableIterator<T> {
    const stack: Node<T>[] = [];
    let n = this.root;
    let left = limit;
    while ((n || stack.length) && left > 0) {
      while (n) {
        stack.push(n);
        n = n.left;
      }
      const top = stack.pop()!;
      yield top.item;
      left--;
      n = top.right;
    }
  }

  private ins(t: Node<T> | null, n: Node<T>): Node<T> {
    if (!t) return n;
    if (n.pri > t.pri) {
      const [l, r] = this.split(t, n.item);
      n.left = l;
      n.right = r;
      return fix(n);
    }
    if (this.before(n.item, t.item)) t.left = this.ins(t.left, n);
    else t.right = this.ins(t.right, n);
    t.size++;
    return t;
  }

  /** The items of `t` before `item`, and the rest. */
  private split(t: Node<T> | null, item: T): [Node<T> | null, Node<T> | null] {
    if (!t) return [null, null];
    if (this.before(t.item, item)) {
      const [l, r] = this.split(t.right, item);
      t.right = l;
      return [fix(t), r];
    }
    const [l, r] = this.split(t.left, item);
    t.left = r;
    return [l, fix(t)];
  }

  private merge(a: Node<T> | null, b: Node<T> | null): Node<T> | null {
    if (!a) return b;
    if (!b) return a;
    if (a.pri > b.pri) {
      a.right = this.merge(a.right, b);
      return fix(a);
    }
    b.left = this.merge(a, b.left);
    return fix(b);
  }

  /** `t` without `item` (which is in it). */
  private del(t: Node<T>, item: T): Node<T> | null {
    if (this.before(item, t.item)) t.left = this.del(t.left!, item);
    else if (this.before(t.item, item)) t.right = this.del(t.right!, item);
    else return this.merge(t.left, t.right);
    t.size--;
    return t;
  }
}
