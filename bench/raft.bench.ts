import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore } from '../src/cluster/store/index.js';
import { silentLogger } from '../src/util/logger.js';
import { MemberCluster } from '../test/lab/raft/member-cluster.js';
import { EtcdCluster } from './etcd-cluster.js';
import { ratio, summarize, timeMs } from './stats.js';
import type { BenchSuite, Summary } from './suite.js';
import { IN_FLIGHT, p99, WriteLoad } from './write-load.js';

/** Sequential writes per system (and four times as many with 64 in flight): p99 is then the 20th slowest, not the 4th. */
const N = Number(process.env.BENCH_N ?? 2000);
const ROUNDS = 4;
const WARM_UP = Number(process.env.BENCH_WARM_UP ?? 3000);
const SEQUENTIAL_WARM_UP = Number(process.env.BENCH_SEQUENTIAL_WARM_UP ?? 15_000);
/** etcd's values are about as large as the log entry of a Shoal write (a secret object and what the transaction read). */
const ETCD_VALUE = 'v'.repeat(300);
const IDS = ['m1', 'm2', 'm3'];

/**
 * Commits through a 3-manager Raft cluster (three processes on loopback, gRPC between them,
 * every write fsynced on a quorum), written over HTTP to the leader, next to a 3-member etcd
 * (Debian's etcd-server, when installed) written through its leader over gRPC: N writes one at
 * a time and 4N with 64 in flight each, in alternating rounds. Baselines in the same run: one
 * fdatasync of a small record, and a single-host LocalStore commit. Then Shoal's leader is killed
 * and the time to the next committed write printed.
 */
export const suite: BenchSuite = {
  name: 'raft',
  description: `3-manager Raft commits on loopback (sequential and ${IN_FLIGHT} in flight) vs etcd 3.4, fdatasync and LocalStore, N=${N}`,
  async run(ctx) {
    const figures: Record<string, Summary> = { ...(await baselines(ctx.progress)) };
    const ratios: Record<string, number> = {};
    const c = await MemberCluster.create(3, { RAFT_LOG_LEVEL: 'warn' });
    const etcd = await EtcdCluster.start(3);
    try {
      const leader = await c.waitLeader(IDS);
      const shoal = new WriteLoad(
        'Shoal',
        async (key) => {
          const r = await c.call(leader, `/write?key=${key}&value=v`);
          if (r.status !== 200) throw new Error(`write refused: ${JSON.stringify(r.body)}`);
        },
        () => c.pids(),
      );
      const loads = [shoal];
      if (etcd) loads.push(new WriteLoad('etcd', (key) => etcd.put(key, ETCD_VALUE), () => etcd.pids()));
      else ctx.progress('etcd is not installed (apt-get install etcd-server etcd-client): no etcd baseline in this run');
      for (const load of loads) await load.warmUp(WARM_UP, SEQUENTIAL_WARM_UP);
      for (let r = 0; r < ROUNDS; r++) for (const load of loads) await load.round(r, N / ROUNDS);
      for (const load of loads) {
        ctx.progress(load.line());
        const key = load === shoal ? 'raft' : 'etcd';
        figures[`${key}Sequential`] = summarize(load.sequential);
        figures[`${key}Pipelined64`] = summarize(load.pipelined);
        figures[`${key}Per1000Pipelined64`] = summarize([load.per1000Pipelined]);
        figures[`${key}MembersCpuUsPerSequentialWrite`] = summarize([load.serverCpuPerWrite.sequential]);
        figures[`${key}MembersCpuUsPerPipelinedWrite`] = summarize([load.serverCpuPerWrite.pipelined]);
      }
      ratios['raftSequential/fdatasync'] = ratio(figures['raftSequential']!, figures['fdatasync']!);
      ratios['raftSequential/localStoreCommit'] = ratio(figures['raftSequential']!, figures['localStoreCommit']!);
      if (loads[1]) {
        ctx.progress(shoal.versus(loads[1]));
        ratios['raftSequential/etcdSequential'] = ratio(figures['raftSequential']!, figures['etcdSequential']!);
        ratios['raftPer1000Pipelined64/etcdPer1000Pipelined64'] = ratio(figures['raftPer1000Pipelined64']!, figures['etcdPer1000Pipelined64']!);
        ratios['raftMembersCpuSequential/etcd'] = ratio(figures['raftMembersCpuUsPerSequentialWrite']!, figures['etcdMembersCpuUsPerSequentialWrite']!);
        ratios['raftMembersCpuPipelined/etcd'] = ratio(figures['raftMembersCpuUsPerPipelinedWrite']!, figures['etcdMembersCpuUsPerPipelinedWrite']!);
      }
      const failoverMs = await failover(c, leader);
      ctx.progress(`failover: leader killed → next committed write in ${failoverMs.toFixed(0)} ms`);
      figures['failover'] = summarize([failoverMs]);
      return { figures, ratios };
    } finally {
      await etcd?.stop();
      await c.destroy();
    }
  },
};

/** One fdatasync of a small record, and one single-host LocalStore commit. */
async function baselines(progress: (m: string) => void): Promise<Record<string, Summary>> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-raft-'));
  try {
    const fsync: number[] = [];
    const fd = openSync(join(dir, 'f'), 'a');
    for (let i = 0; i < N; i++) fsync.push(await timeMs(async () => (writeSync(fd, 'x'.repeat(200)), fdatasyncSync(fd))));
    closeSync(fd);
    const local = LocalStore.open(join(dir, 'local'), silentLogger);
    const localCommit: number[] = [];
    for (let i = 0; i < N; i++) localCommit.push(await timeMs(() => local.update((tx) => tx.create('secrets', { ID: `s${i}`, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: `s${i}`, Labels: {} } }))));
    await local.close();
    progress(`baselines: fdatasync p50 ${summarize(fsync).median} ms p99 ${p99(fsync).toFixed(2)} ms; LocalStore commit p50 ${summarize(localCommit).median} ms p99 ${p99(localCommit).toFixed(2)} ms`);
    return { fdatasync: summarize(fsync), localStoreCommit: summarize(localCommit) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Kills Shoal's leader; the time until the next write is committed. */
function failover(c: MemberCluster, leader: string): Promise<number> {
  return timeMs(async () => {
    await c.kill(leader);
    const rest = IDS.filter((id) => id !== leader);
    for (;;) {
      const id = await c.waitLeader(rest);
      const r = await c.call(id, '/write?key=after&value=v').catch(() => undefined);
      if (r?.status === 200) return;
    }
  });
}
