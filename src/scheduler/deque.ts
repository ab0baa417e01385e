/**
 * One submitter's waiting jobs in submission order: a sorted array with a moving head,
 * so taking the first is O(1) (amortised), reading the k-th is O(1), and a job arriving
 * last (the usual case) is O(1). A job requeued with its old submission time, or one
 * cancelled from the middle, costs a binary search and a splice.
 */

/** A queued job as the scheduler holds it: `seq` orders jobs submitted in the same millisecond. */
export interface Entry {
  id: string;
  type: string;
  submitted: number;
  submitter: string;
  seq: number;
}

/** Whether entry a was submitted before b (ties: the one the scheduler heard of first). */
export function earlier(a: Entry, b: Entry): boolean {
  return a.submitted < b.submitted || (a.submitted === b.submitted && a.seq < b.seq);
}

/** Entries in submission order. */
export class SortedDeque {
  private items: Entry[] = [];
  private head = 0;

  /** How many entries it holds. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** The k-th entry (0: the first), or undefined. */
  at(k: number): Entry | undefined {
    return k < 0 ? undefined : this.items[this.head + k];
  }

  /** Put `e` in its place by submission time. */
  insert(e: Entry): void {
    const last = this.items[this.items.length - 1];
    if (this.length === 0 || !earlier(e, last!)) {
      this.items.push(e);
      return;
    }
    this.items.splice(this.head + this.search(e), 0, e);
  }

  /** Index of `e`, or -1. */
  indexOf(e: Entry): number {
    if (this.items[this.head] === e) return 0;
    const k = this.search(e);
    return this.items[this.head + k] === e ? k : -1;
  }

  /** Take `e` out; false when it is not here. */
  remove(e: Entry): boolean {
    const k = this.indexOf(e);
    if (k < 0) return false;
    if (k === 0) {
      this.items[this.head++] = undefined as unknown as Entry;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
    } else {
      this.items.splice(this.head + k, 1);
    }
    return true;
  }

  /** Every entry, first to last. */
  *[Symbol.iterator](): IterableIterator<Entry> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i]!;
  }

  /** The number of entries submitted before `e` (where e would go). */
  private search(e: Entry): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (earlier(this.items[this.head + mid]!, e)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
