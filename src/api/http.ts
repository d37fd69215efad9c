import type { IncomingMessage, ServerResponse } from 'node:http';
import { ShoalError, errorMessage, invalidArgument, isShoalError } from '../util/errors.js';
import { decode, type Schema } from './decode.js';

/** Bodies larger than this are refused; image import streams and has no limit. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Reads a JSON body and checks it against a Go-shaped schema, as Docker's handlers do. */
export async function readJson<T>(req: IncomingMessage, schema: Schema & { kind: 'struct' }): Promise<T> {
  const body = await readBody(req);
  if (body.length === 0) throw invalidArgument('got EOF while reading request body');
  checkJsonContentType(req);
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw invalidArgument(`invalid JSON in request body: ${errorMessage(err)}`);
  }
  return decode<T>(value, schema);
}

/** Docker's CheckForJSON: a body must be sent as application/json. */
function checkJsonContentType(req: IncomingMessage): void {
  const type = req.headers['content-type'] ?? '';
  if (type.split(';')[0]!.trim().toLowerCase() !== 'application/json') {
    throw invalidArgument(`Content-Type specified (${type}) must be 'application/json'`);
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const tooLarge = (): ShoalError =>
  new ShoalError('payload_too_large', `request body is larger than ${MAX_BODY_BYTES} bytes: Engine API requests are limited to 4 MiB (images go through docker import)`);

/** A JSON answer, as Go's json.Encoder writes it (with a trailing newline). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = Buffer.from(`${JSON.stringify(body)}\n`);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': data.length });
  res.end(data);
}

/** An empty answer: no Content-Type, `Content-Length: 0` (as Docker answers updates and removals). */
export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'Content-Length': 0 });
  res.end();
}

/** `{"message": ...}` with the status the error's code maps to. */
export function sendError(res: ServerResponse, err: unknown): number {
  const status = isShoalError(err) ? err.httpStatus : 500;
  if (res.headersSent) {
    res.destroy();
    return status;
  }
  // An oversized body is not read to its end: close the connection rather than drain it.
  if (status === 413) res.setHeader('Connection', 'close');
  sendJson(res, status, { message: errorMessage(err) });
  return status;
}
