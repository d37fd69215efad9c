/**
 * Backends live in a dense slot map (slot 0..n-1 → backend) that `numgen inc mod n` indexes, so
 * each backend gets exactly one n-th of new connections. A change rewrites only the slots that
 * change: a removed backend's slot is refilled by an added one or by the backend in the last slot
 * (swap-remove), so replacing 1 of 10,000 backends is two element operations, not 10,000.
 */
export interface Reslot {
  /** The new slot map. */
  slots: string[];
  /** Slots whose element must be deleted (removed, moved away from, or past the new end). */
  deleted: number[];
  /** Slots to (re)add, with their backend. */
  added: [number, string][];
}

export function reslot(prev: readonly string[], next: readonly string[]): Reslot {
  const wanted = new Set(next);
  const had = new Set(prev);
  const n = next.length;
  const slots = prev.slice(0, n);
  // Slots below n to fill: holes left by removed backends, and new slots past the old end.
  const free: number[] = [];
  for (let i = 0; i < n; i++) if (i >= prev.length || !wanted.has(prev[i]!)) free.push(i);
  // Fillers: survivors beyond the new end must move down; then the added backends.
  const fillers = [...prev.slice(n).filter((b) => wanted.has(b)), ...next.filter((b) => !had.has(b))];
  free.forEach((slot, i) => (slots[slot] = fillers[i]!));
  const deleted: number[] = [];
  const added: [number, string][] = [];
  for (let i = 0; i < Math.max(prev.length, n); i++) {
    const before = prev[i];
    const after = slots[i];
    if (before === after) continue;
    if (before !== undefined) deleted.push(i);
    if (after !== undefined) added.push([i, after]);
  }
  return { slots, deleted, added };
}
