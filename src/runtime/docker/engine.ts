import Docker from 'dockerode';
import { invalidArgument, ShoalError } from '../../util/errors.js';

/**
 * The Engine API client for `--docker-host`. Only unix sockets: the executor moves veths into
 * containers by their PIDs, so the engine must run on this machine.
 */
export function connectEngine(dockerHost: string): Docker {
  const m = /^unix:\/\/(\/.+)$/.exec(dockerHost);
  if (!m) {
    throw invalidArgument(
      `--docker-host "${dockerHost}" must be unix:///path/to/docker.sock: the docker runtime plugs containers into the overlay by their PIDs, so the engine must run on this host`,
    );
  }
  return new Docker({ socketPath: m[1] });
}

/** Whether the engine answers /_ping within `timeoutMs`. */
export async function engineAnswers(docker: Docker, timeoutMs = 2000): Promise<boolean> {
  const timeout = new Promise<false>((resolve) => setTimeout(resolve, timeoutMs, false).unref());
  return Promise.race([docker.ping().then(() => true, () => false), timeout]);
}

/** A dockerode error's HTTP status (undefined when the engine did not answer). */
export function engineStatus(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * The engine's own message for a failed call ("No such image: x:latest"), else the client's, less
 * the prefix dockerode puts before an engine message it did not parse ("(HTTP code 500) server error - ").
 */
export function engineMessage(err: unknown): string {
  const json = (err as { json?: { message?: unknown } } | null)?.json;
  if (json && typeof json.message === 'string') return json.message;
  const message = err instanceof Error ? err.message : String(err);
  return /^\(HTTP code \d+\) [^-]*- ([^]*)$/.exec(message)?.[1]?.trim() ?? message;
}

/** Wraps a failed engine call in a ShoalError whose code follows the engine's status. */
export function engineError(what: string, err: unknown): ShoalError {
  const status = engineStatus(err);
  const code = status === 404 ? 'not_found' : status === 409 ? 'conflict' : status === 400 ? 'invalid_argument' : status === undefined ? 'unavailable' : 'internal';
  return new ShoalError(code, `${what}: ${engineMessage(err)}`, { cause: err });
}

/**
 * Reads a progress stream (pull, import) to its end; returns the error it reports, if any. The
 * engine answers 200 before the work starts, so failures come as `{"error": ...}` lines.
 */
export async function progressError(stream: NodeJS.ReadableStream): Promise<string | undefined> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const msg = JSON.parse(line) as { error?: string; errorDetail?: { message?: string } };
      if (msg.error || msg.errorDetail?.message) return msg.errorDetail?.message ?? msg.error;
    } catch {
      return `unreadable progress from the engine: ${line.slice(0, 200)}`;
    }
  }
  return undefined;
}
