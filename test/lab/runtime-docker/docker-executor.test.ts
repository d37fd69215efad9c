import { test } from 'node:test';
import { runDockerLabFile } from './docker-lab.js';

test('docker executor, run inside a lab host with a private Docker engine', { skip: process.getuid?.() !== 0 && 'needs root', timeout: 600_000 }, async () => {
  await runDockerLabFile(new URL('./docker-executor.lab.js', import.meta.url));
});
