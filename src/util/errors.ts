/**
 * Typed errors with stable codes. Each code maps to the HTTP status the Engine API answers with,
 * so handlers never choose statuses themselves.
 */
export type ErrorCode =
  | 'invalid_argument' // 400
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'not_found' // 404
  | 'conflict' // 409
  | 'payload_too_large' // 413
  | 'failed_precondition' // 503 in Docker's swarm endpoints ("not a swarm manager", ...)
  | 'unavailable' // 503
  | 'not_implemented' // 501
  | 'internal'; // 500

const statusByCode: Record<ErrorCode, number> = {
  invalid_argument: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  failed_precondition: 503,
  unavailable: 503,
  not_implemented: 501,
  internal: 500,
};

export class ShoalError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ShoalError';
    this.code = code;
  }

  get httpStatus(): number {
    return statusByCode[this.code];
  }
}

export const invalidArgument = (message: string): ShoalError => new ShoalError('invalid_argument', message);
export const notFound = (message: string): ShoalError => new ShoalError('not_found', message);
export const conflict = (message: string): ShoalError => new ShoalError('conflict', message);
export const unavailable = (message: string): ShoalError => new ShoalError('unavailable', message);

export function isShoalError(err: unknown, code?: ErrorCode): err is ShoalError {
  return err instanceof ShoalError && (code === undefined || err.code === code);
}

/** The message of any thrown value, for logs and error bodies. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
