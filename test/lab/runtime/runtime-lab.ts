import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec } from '../../../src/util/exec.js';

/**
 * A lab for runtime tests: a network namespace `<prefix>-lab` with a bridge, standing for the host
 * namespace of a daemon. Lab test files (`*.lab.js`) run inside it (`nsenter --net`), so the executor
 * creates its veths there and never in the machine's root namespace.
 */
export interface RuntimeLab {
  prefix: string;
  netns: string;
  bridge: string;
  /** The bridge's address: the tasks' gateway. */
  gateway: string;
  /** First three octets of the lab subnet (a /24). */
  subnet: string;
  dataDir: string;
  /** The executor's name prefix: its namespaces are `<execPrefix>-<taskid12>`. */
  execPrefix: string;
}

const LAB_ENV = 'SHOAL_RUNTIME_LAB';

export function labFromEnv(): RuntimeLab | undefined {
  const raw = process.env[LAB_ENV];
  return raw ? (JSON.parse(raw) as RuntimeLab) : undefined;
}

function newLab(): RuntimeLab {
  const prefix = `shrt${[...randomBytes(4)].map((b) => (b % 36).toString(36)).join('')}`;
  return {
    prefix,
    netns: `${prefix}-lab`,
    bridge: 'br0',
    gateway: '10.77.0.1',
    subnet: '10.77.0',
    dataDir: join(tmpdir(), `shoal-rt-${prefix}`),
    execPrefix: `${prefix}-t`,
  };
}

/** Runs a lab test file inside a fresh lab and removes the lab afterwards, also when the file failed or crashed. */
export async function runLabFile(file: URL): Promise<{ code: number; output: string }> {
  const lab = newLab();
  try {
    const batch = ['link set lo up', `link add ${lab.bridge} type bridge`, `addr add ${lab.gateway}/24 dev ${lab.bridge}`, `link set ${lab.bridge} up`].join('\n');
    await exec('ip', ['netns', 'add', lab.netns]);
    await exec('ip', ['-n', lab.netns, '-batch', '-'], { input: `${batch}\n` });
    return await new Promise((resolve, reject) => {
      // Without the runner's NODE_TEST_CONTEXT, so the file runs as a test process of its own and reports in plain text.
      const { NODE_TEST_CONTEXT: _runner, ...env } = process.env;
      const child = spawn('nsenter', [`--net=/run/netns/${lab.netns}`, process.execPath, '--test-reporter=spec', fileURLToPath(file)], {
        env: { ...env, [LAB_ENV]: JSON.stringify(lab) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      const keep = (d: Buffer) => {
        output += d.toString();
        process.stdout.write(d);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? 1, output }));
    });
  } finally {
    await removeLab(lab);
  }
}

/** What a lab's executor left behind: task namespaces, veths on the bridge, processes or mounts using the data dir, task dirs. */
export async function leftovers(lab: RuntimeLab): Promise<string[]> {
  const found: string[] = [];
  const netns = (await exec('ip', ['netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]!);
  found.push(...netns.filter((n) => n.startsWith(`${lab.execPrefix}-`)).map((n) => `network namespace ${n}`));
  const ports = await exec('ip', ['-n', lab.netns, '-o', 'link', 'show', 'master', lab.bridge], { allowFail: true });
  found.push(...ports.stdout.split('\n').filter(Boolean).map((l) => `bridge port ${l.split(':')[1]!.trim()}`));
  for (const p of await processesUsing(lab.dataDir)) found.push(`process ${p.pid} (its ${p.using} names the data dir)`);
  const tasks = await readdir(join(lab.dataDir, 'tasks')).catch(() => [] as string[]);
  found.push(...tasks.map((t) => `task dir ${t}`));
  return found;
}

/** Processes whose command line or mounts name the data dir: supervisors, and tasks' mount namespaces. */
async function processesUsing(dataDir: string): Promise<{ pid: number; using: string }[]> {
  const out: { pid: number; using: string }[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    for (const what of ['cmdline', 'mountinfo']) {
      const text = await readFile(`/proc/${name}/${what}`, 'latin1').catch(() => '');
      if (text.includes(dataDir)) {
        out.push({ pid: Number(name), using: what });
        break;
      }
    }
  }
  return out;
}

async function removeLab(lab: RuntimeLab): Promise<void> {
  for (const { pid } of await processesUsing(lab.dataDir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const netns = (await exec('ip', ['netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]!);
  for (const n of netns.filter((x) => x.startsWith(`${lab.prefix}-`))) await exec('ip', ['netns', 'del', n], { allowFail: true });
  await rm(lab.dataDir, { recursive: true, force: true });
}
