import { status, type ServiceError } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import { isShoalError, errorMessage, ShoalError, type ErrorCode } from '../../util/errors.js';

/** An error a handler answers with: a gRPC status and a message for the caller. */
export class RpcError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

const STATUS_BY_CODE: Partial<Record<ErrorCode, status>> = {
  invalid_argument: status.INVALID_ARGUMENT,
  unauthorized: status.UNAUTHENTICATED,
  forbidden: status.PERMISSION_DENIED,
  not_found: status.NOT_FOUND,
  conflict: status.ALREADY_EXISTS,
  failed_precondition: status.FAILED_PRECONDITION,
  unavailable: status.UNAVAILABLE,
};

/**
 * Ends a server stream with `err` as its status. Not `call.destroy(err)`: grpc-js then never sends
 * the status, and the caller waits for its deadline (a host without a certificate, or one asking a
 * manager that is not the leader, would hang instead of being told).
 */
export function failStream(call: NodeJS.EventEmitter, err: unknown): void {
  call.emit('error', Object.assign(new Error(errorMessage(err)), toServiceError(err)));
}

/** What a handler's thrown error becomes on the wire. */
export function toServiceError(err: unknown): Partial<ServiceError> {
  const code = err instanceof RpcError ? err.code : isShoalError(err) ? (STATUS_BY_CODE[err.code] ?? status.INTERNAL) : status.INTERNAL;
  return { code, details: errorMessage(err), metadata: new Metadata() };
}

const CODE_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  [status.INVALID_ARGUMENT]: 'invalid_argument',
  [status.UNAUTHENTICATED]: 'unauthorized',
  [status.PERMISSION_DENIED]: 'forbidden',
  [status.NOT_FOUND]: 'not_found',
  [status.FAILED_PRECONDITION]: 'failed_precondition',
};

/** A failed call as a ShoalError, keeping the remote message (`rpc error: code = … desc = …` as Docker prints it). */
export function fromServiceError(err: ServiceError): ShoalError {
  const name = status[err.code] ?? 'Unknown';
  const pretty = name.split('_').map((w) => w[0] + w.slice(1).toLowerCase()).join('');
  return new ShoalError(CODE_BY_STATUS[err.code] ?? 'unavailable', `rpc error: code = ${pretty} desc = ${err.details}`);
}
