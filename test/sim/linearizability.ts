/** One client operation on a register: a write of a value, or a read that returned one. */
export interface Op {
  kind: 'write' | 'read';
  key: string;
  /** Written value, or the value read (undefined: the key did not exist). */
  value: string | undefined;
  call: number;
  /** Infinity: the outcome is unknown (the call failed or timed out), so it may or may not have happened. */
  ret: number;
}

/**
 * Checks that a history of register operations is linearizable (Wing & Gong's search with
 * Lowe's memoization, as in Knossos and Porcupine), one key at a time. Returns the keys whose
 * history has no linearization.
 */
export function nonLinearizableKeys(history: readonly Op[]): string[] {
  const byKey = new Map<string, Op[]>();
  for (const op of history) {
    let ops = byKey.get(op.key);
    if (!ops) byKey.set(op.key, (ops = []));
    ops.push(op);
  }
  return [...byKey].filter(([, ops]) => !linearizable(ops)).map(([k]) => k);
}

function linearizable(all: Op[]): boolean {
  // A failed read tells nothing; a failed write may have happened at any time after its call.
  const ops = all.filter((o) => !(o.kind === 'read' && o.ret === Infinity));
  const n = ops.length;
  const done = new Uint8Array(n);
  const seen = new Set<string>();
  const search = (value: string | undefined, count: number): boolean => {
    if (ops.every((o, i) => done[i] || o.ret === Infinity)) return true;
    const key = `${done.join('')}|${value ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    // The operations that may come next: called before every pending operation returned.
    let minRet = Infinity;
    for (let i = 0; i < n; i++) if (!done[i]) minRet = Math.min(minRet, ops[i]!.ret);
    for (let i = 0; i < n; i++) {
      const o = ops[i]!;
      if (done[i] || o.call > minRet) continue;
      if (o.kind === 'read' && o.value !== value) continue;
      done[i] = 1;
      if (search(o.kind === 'write' ? o.value : value, count + 1)) return true;
      done[i] = 0;
    }
    return false;
  };
  return search(undefined, 0);
}
