// `npm run demo`: a three-host cluster in network namespaces on this machine (root, nothing else set
// up), a three-replica web service with a published port deployed with `shoal stack deploy`, the
// operator's views, requests through each host's port, then everything torn down.
// Every claim it prints as ✔ is checked; a failed check stops it with exit code 1.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { withLab, waitUntil } from '../test/lab/index.js';
import { startShoalds, type ShoaldInHost } from '../test/e2e/shoald-harness.js';
import { HOSTS, WalkthroughCluster } from '../test/e2e/walkthrough-cluster.js';
import { exec } from '../src/util/exec.js';

const PORT = 8080;
const REQUESTS_PER_HOST = 3;

const COMPOSE = `version: "3.8"
services:
  web:
    image: busybox:latest
    command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www"]
    ports:
      - "${PORT}:80"
    deploy:
      replicas: 3
      placement:
        preferences:
          - spread: node.id
`;

const say = (text: string): void => void process.stdout.write(text);
const check = (ok: boolean, claim: string): void => {
  if (!ok) throw new Error(`demo check failed: ${claim}`);
  say(`✔ ${claim}\n`);
};

async function shoal(host: ShoaldInHost, ...args: string[]): Promise<string> {
  say(`\n[${host.host}] $ shoal ${args.join(' ')}\n`);
  const res = await exec(process.execPath, [resolve('bin/shoal'), '-H', `unix://${host.socket}`, ...args], { timeoutMs: 60_000 });
  say(res.stdout + res.stderr);
  return res.stdout;
}

/** `shoal` without echoing the command, for polling. */
const quietly = async (host: ShoaldInHost, ...args: string[]): Promise<string> =>
  (await exec(process.execPath, [resolve('bin/shoal'), '-H', `unix://${host.socket}`, ...args], { timeoutMs: 60_000 })).stdout;

async function main(): Promise<void> {
  const started = Date.now();
  say('Building a three-host lab (network namespaces h1, h2, h3 on a private underlay) with shoald on each host...\n');
  await withLab({ hosts: HOSTS.length }, async (lab) => {
    const hosts = await startShoalds(lab, [...HOSTS]);
    // No registry here: each host imports a busybox root filesystem as busybox:latest.
    for (const h of Object.values(hosts)) await h.importBusybox();
    const cluster = new WalkthroughCluster(lab, hosts);
    const [h1, h2, h3] = HOSTS.map((h) => hosts[h]!) as [ShoaldInHost, ShoaldInHost, ShoaldInHost];

    await shoal(h1, 'swarm', 'init', '--advertise-addr', cluster.address('h1'), '--dispatcher-heartbeat', '1s');
    const token = (await quietly(h1, 'swarm', 'join-token', '-q', 'worker')).trim();
    for (const h of [h2, h3]) await shoal(h, 'swarm', 'join', '--token', token, cluster.managerAddr);
    await waitUntil('three nodes Ready', async () => (await quietly(h1, 'node', 'ls', '--format', '{{.Status}}')).trim().split('\n').filter((s) => s === 'Ready').length === 3, { timeoutMs: 20_000, intervalMs: 200 });
    const nodes = await shoal(h1, 'node', 'ls');
    check(HOSTS.every((h) => new RegExp(`\\s${h}\\s+Ready\\s+Active`).test(nodes)), 'node ls: h1, h2 and h3 are Ready and Active, h1 the Leader');

    const file = join(lab.dir, 'demo.yml');
    writeFileSync(file, COMPOSE);
    say(`\n${file}:\n${COMPOSE}`);
    await shoal(h1, 'stack', 'deploy', '-c', file, 'demo');
    await waitUntil('three web tasks running', async () => (await quietly(h1, 'service', 'ps', '--filter', 'desired-state=running', '--format', '{{.CurrentState}}', 'demo_web')).split('\n').filter((s) => s.startsWith('Running')).length === 3, { timeoutMs: 30_000, intervalMs: 250 });
    await shoal(h1, 'service', 'ls');
    const ps = await shoal(h1, 'service', 'ps', 'demo_web');
    const taskHosts = ps.split('\n').filter((l) => /\sRunning\s/.test(l)).map((l) => l.split(/\s+/)[3]);
    check(new Set(taskHosts).size === 3, `service ps: three tasks Running, one on each host (${taskHosts.join(', ')})`);

    say(`\nRequests from outside the cluster to port ${PORT} of each host (each page is the answering task's hostname):\n`);
    const all = new Set<string>();
    for (const h of HOSTS) {
      await cluster.reachedEverywhere(PORT, 1, [h]);
      const answers: string[] = [];
      for (let i = 0; i < REQUESTS_PER_HOST; i++) answers.push(await cluster.httpGet(h, PORT));
      for (const a of answers) {
        say(`  GET http://${cluster.address(h)}:${PORT}/  →  ${a || '(no answer)'}\n`);
        all.add(a);
      }
      check(answers.every(Boolean) && new Set(answers).size > 1, `${h}:${PORT} answered ${answers.length} requests from ${new Set(answers).size} different tasks`);
    }
    check(all.size === 3, `the three tasks all answered (${[...all].join(', ')})`);

    await shoal(h1, 'stack', 'rm', 'demo');
    say('\nTearing the lab down (shoalds stopped, namespaces, bridges and task files removed)...\n');
  });
  say(`✔ lab torn down; the demo took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
