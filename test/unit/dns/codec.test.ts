import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RRClass, RRType } from '../../../src/dns/wire/constants.js';
import type { DnsMessage } from '../../../src/dns/wire/message.js';
import { DnsFormatError, encodeName, readName } from '../../../src/dns/wire/name.js';
import { parseMessage } from '../../../src/dns/wire/parse.js';
import { serializeMessage } from '../../../src/dns/wire/serialize.js';

const header = (qd: number, an = 0, ns = 0, ar = 0): number[] => [0x12, 0x34, 0x01, 0x00, 0, qd, 0, an, 0, ns, 0, ar];
const bytes = (...parts: (number[] | Buffer)[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p)));
const label = (s: string): number[] => [s.length, ...Buffer.from(s, 'latin1')];
const formatError = (fn: () => unknown, why: RegExp): void => assert.throws(fn, (e: unknown) => e instanceof DnsFormatError && why.test(e.message));

const sample: DnsMessage = {
  id: 4242,
  flags: 0x8580,
  questions: [{ name: 'web.appnet', type: RRType.A, class: RRClass.IN }],
  answers: [
    { name: 'web.appnet', type: RRType.A, class: RRClass.IN, ttl: 600, data: '10.0.1.5' },
    { name: 'web.appnet', type: RRType.AAAA, class: RRClass.IN, ttl: 5, data: '2001:db8:0:0:0:0:0:1' },
    { name: '5.1.0.10.in-addr.arpa', type: RRType.PTR, class: RRClass.IN, ttl: 600, data: 'web.appnet' },
    { name: 'web.appnet', type: RRType.TXT, class: RRClass.IN, ttl: 5, data: ['a b', ''] },
    { name: 'web.appnet', type: RRType.MX, class: RRClass.IN, ttl: 5, data: Buffer.from([0, 10, 0]) },
  ],
  authorities: [],
  additionals: [],
  edns: { udpSize: 1232, extendedRcode: 0, version: 0, flags: 0x8000, options: Buffer.alloc(0) },
};

test('a message survives serialize then parse, every section and EDNS0 included', () => {
  assert.deepEqual(parseMessage(serializeMessage(sample)), sample);
});

test('names are compressed on output: a repeated name or suffix becomes a pointer', () => {
  const wire = serializeMessage(sample);
  // "web.appnet" is written once (12 bytes at offset 12); every later owner is the pointer C0 0C.
  assert.equal(wire.indexOf(Buffer.from([3, ...Buffer.from('web'), 6, ...Buffer.from('appnet'), 0])), 12);
  assert.equal(wire.indexOf(Buffer.from([3, ...Buffer.from('web')]), 13), -1);
  assert.ok(wire.includes(Buffer.from([0xc0, 0x0c, 0, RRType.A])));
  const suffix = serializeMessage({ ...sample, questions: [{ name: 'a.example.org', type: 1, class: 1 }], answers: [{ name: 'b.example.org', type: 1, class: 1, ttl: 1, data: '1.2.3.4' }], edns: undefined as never });
  assert.ok(suffix.includes(Buffer.from([1, 0x62, 0xc0, 14])), 'b + pointer to example.org');
});

test('names compare and compress without case, and keep the case they were written in', () => {
  const wire = serializeMessage({ ...sample, questions: [{ name: 'WeB.AppNet', type: 1, class: 1 }], answers: [{ name: 'web.appnet', type: 1, class: 1, ttl: 1, data: '1.2.3.4' }], edns: undefined as never });
  const m = parseMessage(wire);
  assert.equal(m.questions[0]!.name, 'WeB.AppNet');
  assert.equal(m.answers[0]!.name, 'WeB.AppNet', 'the answer points at the question');
});

test('labels with dots, backslashes and unprintable bytes are escaped, and read back', () => {
  const name = 'a\\.b.c\\\\d.\\000\\255x';
  assert.deepEqual(encodeName(name), Buffer.from([3, 0x61, 0x2e, 0x62, 3, 0x63, 0x5c, 0x64, 3, 0, 255, 0x78, 0]));
  assert.equal(readName(encodeName(name), 0).name, name);
  assert.equal(readName(Buffer.from([0]), 0).name, '');
  assert.deepEqual(encodeName('.'), Buffer.from([0]));
});

test('names too long, labels too long and empty labels are refused on output', () => {
  formatError(() => encodeName('x'.repeat(64)), /label over 63/);
  formatError(() => encodeName(Array(64).fill('abc').join('.')), /over 255/);
  formatError(() => encodeName('a..b'), /empty label/);
  assert.equal(encodeName(['x'.repeat(63), 'y'.repeat(63), 'z'.repeat(63), 'w'.repeat(61)].join('.')).length, 255);
});

test('input bounds: truncation anywhere is an error, never an out-of-range read', () => {
  const wire = serializeMessage(sample);
  for (let cut = 0; cut < wire.length; cut++) assert.throws(() => parseMessage(wire.subarray(0, cut)), DnsFormatError, `cut at ${cut}`);
});

test('input bounds: compression loops and forward pointers are refused', () => {
  const q = [0, 1, 0, 1];
  formatError(() => parseMessage(bytes(header(1), [0xc0, 12], q)), /backwards/); // points at itself
  formatError(() => parseMessage(bytes(header(1), [0xc0, 14, 0], q)), /backwards/); // forward
  // label at 12, then a pointer back to 12: a loop that only moves backwards once.
  formatError(() => parseMessage(bytes(header(1), label('a'), [0xc0, 12], q)), /backwards/);
  // two names pointing at each other
  formatError(() => parseMessage(bytes(header(2), label('a'), [0xc0, 20], q, [0xc0, 12], q)), /backwards/);
  formatError(() => parseMessage(bytes(header(1), [0xc0], q.slice(0, 0))), /cut short/);
  formatError(() => parseMessage(bytes(header(1), [0x40, 0], q)), /label type/);
  formatError(() => parseMessage(bytes(header(1), [0x80, 0], q)), /label type/);
});

test('input bounds: a chain of backward pointers is followed, but the name it spells is capped at 255 bytes', () => {
  // "a" at 0, then entries "b" + pointer to the entry before: entry k spells k+1 labels.
  const chain = (entries: number): { buf: Buffer; last: number } => {
    const parts: number[] = [...label('a'), 0];
    let prev = 0;
    for (let i = 0; i < entries; i++) {
      const at = parts.length;
      parts.push(...label('b'), 0xc0 | (prev >> 8), prev & 0xff);
      prev = at;
    }
    return { buf: Buffer.from(parts), last: prev };
  };
  const ok = chain(100); // 101 labels of 1 byte: 203 bytes
  assert.equal(readName(ok.buf, ok.last).name, [...Array(100).fill('b'), 'a'].join('.'));
  const tooLong = chain(200);
  formatError(() => readName(tooLong.buf, tooLong.last), /over 255/);
});

test('input bounds: counts that promise more records than there are, or fewer', () => {
  const wire = serializeMessage({ ...sample, answers: sample.answers.slice(0, 1), edns: undefined as never });
  const more = Buffer.from(wire);
  more.writeUInt16BE(2, 6);
  formatError(() => parseMessage(more), /past the end|cut short/);
  const fewer = Buffer.from(wire);
  fewer.writeUInt16BE(0, 6);
  formatError(() => parseMessage(fewer), /bytes after the last record/);
  const moreQuestions = Buffer.from(wire);
  moreQuestions.writeUInt16BE(0xffff, 4);
  assert.throws(() => parseMessage(moreQuestions), DnsFormatError);
});

test('input bounds: labels over 63 and names over 255 bytes are refused', () => {
  formatError(() => parseMessage(bytes(header(1), [63, ...Buffer.alloc(63, 0x61), 0], [0, 1, 0, 1]).subarray(0, 10)), /shorter than its header/);
  const long = Buffer.alloc(64, 0x61);
  long[0] = 64; // 0x40: not a length but the reserved label type
  formatError(() => parseMessage(bytes(header(1), long, [0, 0, 1, 0, 1])), /label type/);
  const name: number[] = [];
  for (let i = 0; i < 5; i++) name.push(...label('x'.repeat(60)));
  formatError(() => parseMessage(bytes(header(1), name, [0, 0, 1, 0, 1])), /over 255/);
});

test('record data must have the size of its type, and OPT must be single, last and owned by the root', () => {
  const base = serializeMessage({ ...sample, answers: [sample.answers[0]!], edns: undefined as never });
  const shortA = Buffer.concat([base.subarray(0, base.length - 6), Buffer.from([0, 3, 10, 0, 1])]);
  formatError(() => parseMessage(shortA), /not 4 bytes/);
  const opt = [0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0];
  formatError(() => parseMessage(bytes(header(0, 0, 0, 2), opt, opt)), /more than one OPT/);
  formatError(() => parseMessage(bytes(header(0, 1), opt)), /outside the additional/);
  formatError(() => parseMessage(bytes(header(0, 0, 0, 1), label('x'), opt)), /root/);
  assert.equal(parseMessage(bytes(header(0, 0, 0, 1), opt)).edns?.udpSize, 1232);
});
