import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchFailures, runBatch, type CommandRunner } from '../../../src/mesh/overlay/commands.js';

const lines = ['neigh del 10.0.1.9 dev shoalvx4097', 'link set dev shoalvx4097 master shoal4097 up', 'fdb del 02:42:0a:00:01:09 dev shoalvx4097 self'];

test('removals of what is already gone are not failures; anything else is, named by its line', () => {
  const stderr = 'RTNETLINK answers: No such file or directory\nCommand failed -:1\nCannot find device "shoal4097"\nCommand failed -:2\nRTNETLINK answers: No such file or directory\nCommand failed -:3\n';
  assert.deepEqual(batchFailures(lines, stderr), [{ line: lines[1], message: 'Cannot find device "shoal4097"' }]);
});

test('runBatch sends the lines on stdin in one run and throws only for real failures', async () => {
  const calls: string[][] = [];
  const ok: CommandRunner = async (cmd, args, input) => {
    calls.push([cmd, ...args, input ?? '']);
    return { code: 1, stdout: '', stderr: 'RTNETLINK answers: No such file or directory\nCommand failed -:1\n' };
  };
  await runBatch(ok, 'ip', [lines[0]!]);
  assert.deepEqual(calls, [['ip', '-force', '-batch', '-', `${lines[0]}\n`]]);
  await runBatch(ok, 'ip', []);
  assert.equal(calls.length, 1, 'nothing to do: no process');
  const bad: CommandRunner = async () => ({ code: 1, stdout: '', stderr: 'Error: argument "x" is wrong\nCommand failed -:2\n' });
  await assert.rejects(runBatch(bad, 'bridge', lines), /bridge -batch failed: "link set dev shoalvx4097 master shoal4097 up": Error: argument "x" is wrong/);
});
