// The thin binding to libnftables (through koffi). FFI lives only in native/.
import koffi from 'koffi';

/** What one batch of nft commands gave: libnftables' return code and its buffered output and errors. */
export interface NftResult {
  ok: boolean;
  output: string;
  error: string;
}

/** libnftables in this process. Commands act in the network namespace the process is in. */
export interface Libnftables {
  /**
   * Runs commands in `nft -f` syntax as one netlink transaction (all or nothing). With `dryRun`
   * the kernel checks the batch and aborts it, like `nft -c`. Calls are serialized: a context is not
   * safe to share between threads, and each call runs on koffi's worker thread.
   */
  run(commands: string, opts?: { dryRun?: boolean }): Promise<NftResult>;
  close(): void;
}

const LIBRARY = 'libnftables.so.1';

/** Loads libnftables and makes one context with buffered output; throws when the library is missing. */
export function openLibnftables(path = LIBRARY): Libnftables {
  const lib = koffi.load(path);
  const ctxNew = lib.func('void *nft_ctx_new(uint32_t flags)');
  const ctxFree = lib.func('void nft_ctx_free(void *ctx)');
  const bufferOutput = lib.func('int nft_ctx_buffer_output(void *ctx)');
  const bufferError = lib.func('int nft_ctx_buffer_error(void *ctx)');
  const outputBuffer = lib.func('const char *nft_ctx_get_output_buffer(void *ctx)');
  const errorBuffer = lib.func('const char *nft_ctx_get_error_buffer(void *ctx)');
  const setDryRun = lib.func('void nft_ctx_set_dry_run(void *ctx, bool dry)');
  const runCmd = lib.func('int nft_run_cmd_from_buffer(void *ctx, const char *buf)');

  let ctx: unknown = ctxNew(0);
  if (!ctx) throw new Error('nft_ctx_new failed');
  if (bufferOutput(ctx) !== 0 || bufferError(ctx) !== 0) throw new Error('nft_ctx_buffer_output/error failed');
  let queue: Promise<unknown> = Promise.resolve();

  const runOne = (commands: string, dryRun: boolean): Promise<NftResult> =>
    new Promise((resolve, reject) => {
      if (!ctx) return reject(new Error('libnftables context is closed'));
      setDryRun(ctx, dryRun);
      runCmd.async(ctx, commands, (err: unknown, rc: number) => {
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        // Reading a buffer also resets it for the next call.
        resolve({ ok: rc === 0, output: String(outputBuffer(ctx) ?? ''), error: String(errorBuffer(ctx) ?? '') });
      });
    });

  return {
    run(commands, opts = {}) {
      const p = queue.then(() => runOne(commands, opts.dryRun ?? false));
      queue = p.catch(() => undefined);
      return p;
    },
    close() {
      if (!ctx) return;
      const c = ctx;
      ctx = undefined;
      // Free only after calls already queued have finished.
      void queue.then(() => ctxFree(c));
    },
  };
}
