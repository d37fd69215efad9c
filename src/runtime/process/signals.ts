import { constants } from 'node:os';
import { invalidArgument } from '../../util/errors.js';

const byNumber = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);

/** A stop signal as Docker accepts it (`SIGTERM`, `TERM`, `term`, `15`); SIGTERM when empty. */
export function parseSignal(spec: string | undefined): NodeJS.Signals {
  const s = (spec ?? '').trim();
  if (s === '') return 'SIGTERM';
  if (/^\d+$/.test(s)) {
    const name = byNumber.get(Number(s));
    if (name) return name;
  } else {
    const name = (s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`) as NodeJS.Signals;
    if (name in constants.signals) return name;
  }
  throw invalidArgument(`invalid stop signal "${s}": use a name such as SIGTERM or a number`);
}
