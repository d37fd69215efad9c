import { test } from 'node:test';
import { runDockerLabFile } from './docker-lab.js';

test('start times of container and process tasks, run inside a lab host with a private Docker engine', { skip: process.getuid?.() !== 0 && 'needs root', timeout: 600_000 }, async () => {
  await runDockerLabFile(new URL('./start-times.lab.js', import.meta.url));
});
