import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore } from '../src/cluster/store/index.js';
import { silentLogger } from '../src/util/logger.js';
import { MemberCluster } from '../test/lab/raft/member-cluster.js';
import { ratio, summarize, timeMs } from './stats.js';
import type { BenchSuite } from './suite.js';

const N = Number(process.env.BENCH_N ?? 400);
const IN_FLIGHT = 64;

const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(0.99 * xs.length) - 1)]!;

/**
 * Commits through a 3-manager Raft cluster (three processes on loopback, gRPC between them,
 * every write fsynced on a quorum), sequentially and with 64 in flight, written over HTTP to
 * the leader. Baselines in the same run: one fdatasync of a small record, and a single-host
 * LocalStore commit. Then the leader is killed and the time to the next committed write printed.
 */
export const suite: BenchSuite = {
  name: 'raft',
  description: `3-manager Raft commits on loopback (sequential and ${IN_FLIGHT} in flight) vs fdatasync and LocalStore, N=${N}`,
  async run(ctx) {
    const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-raft-'));
    const c = await MemberCluster.create(3, { RAFT_LOG_LEVEL: 'warn' });
    try {
      const fsync: number[] = [];
      const fd = openSync(join(dir, 'f'), 'a');
      for (let i = 0; i < N; i++) fsync.push(await timeMs(async () => (writeSync(fd, 'x'.repeat(200)), fdatasyncSync(fd))));
      closeSync(fd);

      const local = LocalStore.open(join(dir, 'local'), silentLogger);
      const localCommit: number[] = [];
      for (let i = 0; i < N; i++) localCommit.push(await timeMs(() => local.update((tx) => tx.create('secrets', { ID: `s${i}`, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: `s${i}`, Labels: {} } }))));
      await local.close();

      const leader = await c.waitLeader(['m1', 'm2', 'm3']);
      const write = async (key: string): Promise<void> => {
        const r = await c.call(leader, `/write?key=${key}&value=v`);
        if (r.status !== 200) throw new Error(`write refused: ${JSON.stringify(r.body)}`);
      };
      for (let i = 0; i < 50; i++) await write(`warm${i}`);
      const sequential: number[] = [];
      for (let i = 0; i < N; i++) sequential.push(await timeMs(() => write(`seq${i}`)));
      const seqSecs = sequential.reduce((a, b) => a + b, 0) / 1000;
      ctx.progress(`sequential: ${(N / seqSecs).toFixed(0)} writes/s, p50 ${summarize(sequential).median} ms, p99 ${p99(sequential).toFixed(2)} ms`);

      const pipelined: number[] = [];
      const total = N * 4;
      let next = 0;
      const t0 = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (next < total) {
            const i = next++;
            pipelined.push(await timeMs(() => write(`par${i}`)));
          }
        }),
      );
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      ctx.progress(`${IN_FLIGHT} in flight: ${(total / secs).toFixed(0)} writes/s, p50 ${summarize(pipelined).median} ms, p99 ${p99(pipelined).toFixed(2)} ms`);
      ctx.progress(`baselines: fdatasync p50 ${summarize(fsync).median} ms p99 ${p99(fsync).toFixed(2)} ms; LocalStore commit p50 ${summarize(localCommit).median} ms p99 ${p99(localCommit).toFixed(2)} ms`);

      const failover = await timeMs(async () => {
        await c.kill(leader);
        const rest = ['m1', 'm2', 'm3'].filter((id) => id !== leader);
        for (;;) {
          const id = await c.waitLeader(rest);
          const r = await c.call(id, '/write?key=after&value=v').catch(() => undefined);
          if (r?.status === 200) return;
        }
      });
      ctx.progress(`failover: leader killed → next committed write in ${failover.toFixed(0)} ms`);

      const f = {
        fdatasync: summarize(fsync),
        localStoreCommit: summarize(localCommit),
        raftSequential: summarize(sequential),
        raftPipelined64: summarize(pipelined),
        failover: summarize([failover]),
      };
      return {
        figures: f,
        ratios: {
          'raftSequential/fdatasync': ratio(f.raftSequential, f.fdatasync),
          'raftSequential/localStoreCommit': ratio(f.raftSequential, f.localStoreCommit),
          'raftPipelined64/raftSequential': ratio(f.raftPipelined64, f.raftSequential),
        },
      };
    } finally {
      await c.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
