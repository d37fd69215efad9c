import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isolationRuleset, removeIsolationRuleset } from '../../../src/mesh/overlay/isolation.js';

test('the isolation table: same-bridge traffic passes, internal networks are closed, other overlays dropped', () => {
  const text = isolationRuleset({ vnis: [4098, 4097, 4096], internal: [4098], ingress: 4096, subnets: ['10.0.1.0/24', '10.0.0.0/24', '10.0.2.0/24'] });
  assert.equal(
    text,
    [
      'table inet shoal-isolation',
      'delete table inet shoal-isolation',
      'table inet shoal-isolation {',
      '  set overlay_subnets { type ipv4_addr; flags interval; auto-merge; elements = { 10.0.0.0/24, 10.0.1.0/24, 10.0.2.0/24 } }',
      '  chain forward {',
      '    type filter hook forward priority filter; policy accept;',
      '    ct state established,related accept',
      '    iifname . oifname { "shoal4096" . "shoal4096", "shoal4097" . "shoal4097", "shoal4098" . "shoal4098" } accept',
      '    iifname { "shoal4098" } drop',
      '    oifname { "shoal4098" } drop',
      '    iifname "shoal*" oifname "shoal4096" ct status dnat accept',
      '    iifname "shoal*" ip daddr @overlay_subnets drop',
      '    iifname "shoal*" oifname "shoal*" drop',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
});

test('with no network here the table still drops traffic between overlay bridges; removal works whether it exists or not', () => {
  const text = isolationRuleset({ vnis: [], internal: [], ingress: undefined, subnets: [] });
  assert.ok(!text.includes('overlay_subnets') && !text.includes('iifname .'));
  assert.match(text, /iifname "shoal\*" oifname "shoal\*" drop/);
  assert.equal(removeIsolationRuleset(), 'table inet shoal-isolation\ndelete table inet shoal-isolation\n');
});
