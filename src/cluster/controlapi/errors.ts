import { ShoalError, type ErrorCode } from '../../util/errors.js';

/**
 * The gRPC codes swarmkit's control API answers with. Docker 20.10 passes those errors through
 * with the code in the message (`rpc error: code = InvalidArgument desc = ...`), and clients and
 * scripts match on that text, so Shoal words them the same way.
 */
export type RpcCode = 'InvalidArgument' | 'NotFound' | 'AlreadyExists' | 'FailedPrecondition' | 'PermissionDenied' | 'Unimplemented' | 'Unknown';

/** Docker's HTTP status for each gRPC code (api/server/httpstatus). */
const errorCodeByRpc: Record<RpcCode, ErrorCode> = {
  InvalidArgument: 'invalid_argument',
  NotFound: 'not_found',
  AlreadyExists: 'conflict',
  FailedPrecondition: 'invalid_argument',
  PermissionDenied: 'forbidden',
  Unimplemented: 'not_implemented',
  Unknown: 'internal',
};

export function rpcError(code: RpcCode, desc: string): ShoalError {
  return new ShoalError(errorCodeByRpc[code], `rpc error: code = ${code} desc = ${desc}`);
}

/** What swarmkit answers when an update carries a stale `version` (HTTP 500 in Docker). */
export const outOfSequence = (): ShoalError => rpcError('Unknown', 'update out of sequence');

/** Checks the `version` an update was made against: the object must not have changed since. */
export function checkVersion(current: { Version: { Index: number } }, version: number): void {
  if (current.Version.Index !== version) throw outOfSequence();
}
