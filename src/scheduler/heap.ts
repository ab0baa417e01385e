/**
 * A binary min-heap of distinct items that knows where each item sits, so an item whose
 * key changed moves (update) and an item anywhere leaves (remove) in O(log n). The
 * scheduler keeps one per job type over the submitters with queued jobs of that type.
 */
export class IndexedHeap<T> {
  private readonly items: T[] = [];
  private readonly at = new Map<T, number>();

  /** A heap ordered by `before(a, b)`: true when a must come out before b. */
  constructor(private readonly before: (a: T, b: T) => boolean) {}

  /** How many items it holds. */
  get size(): number {
    return this.items.length;
  }

  /** The first item, or undefined when empty. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** Whether `item` is in the heap. */
  has(item: T): boolean {
    return this.at.has(item);
  }

  /** Add `item`, or re-place it when it is already in (its key changed). */
  update(item: T): void {
    const i = this.at.get(item);
    if (i === undefined) {
      this.items.push(item);
      this.at.set(item, this.items.length - 1);
      this.up(this.items.length - 1);
      return;
    }
    this.down(this.up(i));
  }

  /** Take `item` out (no-op when absent). */
  remove(item: T): void {
    const i = this.at.get(item);
    if (i === undefined) return;
    const last = this.items.pop()!;
    this.at.delete(item);
    if (i === this.items.length) return;
    this.items[i] = last;
    this.at.set(last, i);
    this.down(this.up(i));
  }

  private swap(i: number, j: number): void {
    const a = this.items[i]!;
    const b = this.items[j]!;
    this.items[i] = b;
    this.items[j] = a;
    this.at.set(b, i);
    this.at.set(a, j);
  }

  private up(i: number): number {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(this.items[i]!, this.items[p]!)) break;
      this.swap(i, p);
      i = p;
    }
    return i;
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.items.length && this.before(this.items[l]!, this.items[m]!)) m = l;
      if (r < this.items.length && this.before(this.items[r]!, this.items[m]!)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
