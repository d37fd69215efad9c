import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilters } from '../../../src/cluster/controlapi/filters.js';
import { decode } from '../../../src/api/decode.js';
import { formatLine, frame } from '../../../src/api/log-stream.js';
import { serviceSpecSchema, nodeSpecSchema } from '../../../src/api/schemas.js';
import { compareVersions, splitVersion } from '../../../src/api/version.js';

test('decode: Go-like type errors, unknown fields and nulls dropped, field names case-insensitive', () => {
  const spec = decode<Record<string, unknown>>({ name: 'web', Bogus: 1, Labels: null, Mode: { Replicated: { Replicas: 2 } } }, serviceSpecSchema);
  assert.deepEqual(spec, { Name: 'web', Mode: { Replicated: { Replicas: 2 } } });
  assert.throws(() => decode({ Role: 5 }, nodeSpecSchema), /^ShoalError: json: cannot unmarshal number into Go struct field NodeSpec\.Role of type string$/);
  assert.throws(() => decode([], nodeSpecSchema), /cannot unmarshal array into Go value of type NodeSpec/);
  assert.throws(
    () => decode({ EndpointSpec: { Ports: [{ PublishedPort: 70000.5 }] } }, serviceSpecSchema),
    /cannot unmarshal number 70000\.5 into Go struct field PortConfig\.EndpointSpec\.Ports\.PublishedPort of type uint32/,
  );
  // A null element of a slice is its zero value, as in Go (it used to reach the port checks as null: a 500).
  const nulls = decode<{ EndpointSpec: { Ports: unknown[] }; TaskTemplate: { ContainerSpec: { Args: unknown[] } } }>(
    { EndpointSpec: { Ports: [null, { TargetPort: 80 }] }, TaskTemplate: { ContainerSpec: { Args: [null, 'x'] } } },
    serviceSpecSchema,
  );
  assert.deepEqual(nulls.EndpointSpec.Ports, [{}, { TargetPort: 80 }]);
  assert.deepEqual(nulls.TaskTemplate.ContainerSpec.Args, ['', 'x']);
});

test('filters: both JSON forms; malformed ones refused', () => {
  assert.deepEqual([...parseFilters('{"name":{"web":true},"label":["a=b","c"]}')], [['name', ['web']], ['label', ['a=b', 'c']]]);
  assert.equal(parseFilters('').size, 0);
  assert.throws(() => parseFilters('{"name":'), /Invalid filter/);
  assert.throws(() => parseFilters('{"name":{"web":1}}'), /Invalid filter/);
});

test('versions: prefix split and bounds', () => {
  assert.deepEqual(splitVersion('/v1.41/services'), { version: '1.41', path: '/services' });
  assert.deepEqual(splitVersion('/_ping'), { version: '1.41', path: '/_ping' });
  assert.ok(compareVersions('1.9', '1.12') < 0);
  assert.throws(() => splitVersion('/v1.42/info'), /client version 1\.42 is too new/);
});

test('log frames: 8-byte header with stream and big-endian length; lines get a newline', () => {
  const f = frame('stderr', Buffer.from('hi\n'));
  assert.deepEqual([...f.subarray(0, 8)], [2, 0, 0, 0, 0, 0, 0, 3]);
  const line = formatLine({ stream: 'stdout', timestamp: '2026-01-01T00:00:00.000000001Z', line: Buffer.from('x') }, { timestamps: true, details: 'k=v' });
  assert.equal(line.toString(), '2026-01-01T00:00:00.000000001Z k=v x\n');
});
