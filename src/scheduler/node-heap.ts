/** A binary min-heap under `less`; the top's key may grow in place (`top` then `siftTop`). */
export class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  top(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    for (let i = items.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.less(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      this.siftTop();
    }
    return top;
  }

  /** Restores the order after the top's key grew. */
  siftTop(): void {
    const items = this.items;
    for (let i = 0; ; ) {
      const [l, r] = [2 * i + 1, 2 * i + 2];
      let min = i;
      if (l < items.length && this.less(items[l], items[min])) min = l;
      if (r < items.length && this.less(items[r], items[min])) min = r;
      if (min === i) return;
      [items[i], items[min]] = [items[min], items[i]];
      i = min;
    }
  }
}
