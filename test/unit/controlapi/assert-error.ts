import assert from 'node:assert/strict';
import { isShoalError } from '../../../src/util/errors.js';

/** Asserts `fn` throws a ShoalError with this HTTP status and message (exact string, or a pattern). */
export async function rejects(fn: () => unknown, status: number, message: string | RegExp): Promise<void> {
  await assert.rejects(async () => fn(), (err: unknown) => {
    assert.ok(isShoalError(err), `not a ShoalError: ${String(err)}`);
    assert.equal(err.httpStatus, status, err.message);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}
