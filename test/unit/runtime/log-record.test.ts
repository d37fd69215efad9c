import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LastItems, parseLogRecord, timestampAt } from '../../../src/runtime/process/log-record.js';

test('log records parse into stream, timestamp and the line with its newline', () => {
  const line = parseLogRecord(Buffer.from('2026-01-02T03:04:05.123456789Z stderr it broke: a b\n'));
  assert.deepEqual(line && { ...line, line: line.line.toString() }, {
    stream: 'stderr',
    timestamp: '2026-01-02T03:04:05.123456789Z',
    line: 'it broke: a b\n',
  });
  assert.equal(parseLogRecord(Buffer.from('2026-01-02T03:04:05.123456789Z stdout \n'))?.line.toString(), '\n');
  assert.equal(parseLogRecord(Buffer.from('torn rec')), undefined);
  assert.equal(parseLogRecord(Buffer.from('2026-01-02T03:04:05.123456789Z stdin- x\n')), undefined);
});

test('timestamps of Unix seconds have the record format, so they compare as strings', () => {
  assert.equal(timestampAt(0), '1970-01-01T00:00:00.000000000Z');
  assert.equal(timestampAt(1767322445.5), '2026-01-02T02:54:05.500000000Z');
  assert.ok(timestampAt(1767322445.25) < timestampAt(1767322445.5));
  assert.ok(timestampAt(1767322445.999) < timestampAt(1767322446));
});

test('LastItems keeps the last n items in order', () => {
  const last = new LastItems<number>(3);
  assert.deepEqual(last.items(), []);
  for (const n of [1, 2]) last.push(n);
  assert.deepEqual(last.items(), [1, 2]);
  for (const n of [3, 4, 5, 6, 7]) last.push(n);
  assert.deepEqual(last.items(), [5, 6, 7]);
  const none = new LastItems<number>(0);
  none.push(1);
  assert.deepEqual(none.items(), []);
});
