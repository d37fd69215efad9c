import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageIdPrefix, parseImageRef, repoTag } from '../../../src/runtime/images/image-ref.js';
import { isShoalError } from '../../../src/util/errors.js';

test('image references are normalised like Docker: default tag, Docker Hub prefixes dropped, digest kept apart', () => {
  const cases: [string, string][] = [
    ['busybox', 'busybox:latest'],
    ['busybox:1.36', 'busybox:1.36'],
    ['library/busybox', 'busybox:latest'],
    ['docker.io/library/busybox:musl', 'busybox:musl'],
    ['docker.io/team/app', 'team/app:latest'],
    ['myregistry:5000/team/app', 'myregistry:5000/team/app:latest'],
    ['localhost/app:v1', 'localhost/app:v1'],
    ['busybox:latest@sha256:' + 'a'.repeat(64), 'busybox:latest'],
    ['busybox@sha256:' + 'b'.repeat(64), 'busybox:latest'],
  ];
  for (const [ref, want] of cases) assert.equal(repoTag(parseImageRef(ref)), want, ref);
  assert.equal(parseImageRef('busybox:1@sha256:' + 'c'.repeat(64)).digest, 'sha256:' + 'c'.repeat(64));
});

test('invalid references are refused with Docker wording', () => {
  for (const ref of ['BusyBox', 'busybox:', 'bad name', 'busybox@sha256:xyz', '']) {
    assert.throws(() => parseImageRef(ref), (e) => isShoalError(e, 'invalid_argument') && /invalid reference format/.test(e.message), ref);
  }
  assert.throws(() => parseImageRef('Team/App'), /repository name must be lowercase/);
});

test('image IDs are recognised in full, with sha256:, or as a prefix of 12 or more hex digits', () => {
  const hex = 'ab'.repeat(32);
  assert.equal(imageIdPrefix(`sha256:${hex}`), hex);
  assert.equal(imageIdPrefix(hex.slice(0, 12)), hex.slice(0, 12));
  assert.equal(imageIdPrefix(hex.slice(0, 8)), undefined);
  assert.equal(imageIdPrefix('busybox'), undefined);
});
