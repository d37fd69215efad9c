import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planStack, type ComposeInput } from '../../../src/stack/compose.js';

const FILES: Record<string, string> = { '/app/db_password.txt': 's3cret\n', '/app/web.env': '# comment\nFROM_FILE=1\nMODE=file\n', '/app/nginx.conf': 'events {}\n' };
const readFile = (p: string): Buffer => {
  if (!(p in FILES)) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
  return Buffer.from(FILES[p]!);
};

const plan = (text: string, more: Partial<ComposeInput> = {}) =>
  planStack({ files: [{ name: 'compose.yml', text }], stack: 'shop', workingDir: '/app', env: (k) => ({ TAG: '1.25', HOME: '/root' })[k], readFile, ...more });

/** The error message of a plan that must fail. */
const failure = (text: string, more: Partial<ComposeInput> = {}): string => {
  try {
    plan(text, more);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the plan should have failed');
};

const THREE = `version: "3.8"
services:
  web:
    image: nginx:\${TAG}
    command: httpd -f -p "8080"
    ports:
      - "80:8080"
      - target: 443
        published: 8443
        protocol: tcp
        mode: host
    networks: [front]
    environment:
      MODE: prod
      HOME:
    env_file: web.env
    healthcheck:
      test: wget -q -O- localhost:8080
      interval: 5s
      timeout: 1s500ms
      retries: 3
    deploy:
      replicas: 3
      labels: [tier=front]
      placement:
        constraints: [node.role == worker]
        preferences:
          - spread: node.labels.zone
      resources:
        limits: { cpus: '0.5', memory: 64M }
        reservations: { memory: 16m }
      update_config: { parallelism: 2, delay: 10s, order: start-first, failure_action: rollback }
      rollback_config: { monitor: 1m }
      restart_policy: { condition: on-failure, max_attempts: 3, delay: 500ms }
  api:
    image: busybox
    entrypoint: ["/bin/sh", "-c"]
    command: ["echo $$HOME"]
    networks:
      front:
        aliases: [backend]
      back:
    secrets:
      - db_password
      - source: db_password
        target: /etc/pw
        mode: 0400
    configs: [nginx]
    deploy:
      mode: global
      endpoint_mode: dnsrr
  db:
    image: busybox
    build: ./db
    restart: always
networks:
  front:
    driver: overlay
    attachable: true
  back:
    external: true
secrets:
  db_password:
    file: ./db_password.txt
configs:
  nginx:
    file: nginx.conf
    labels: { purpose: proxy }
`;

test('three services: names, labels, networks, ports, secrets, configs, deploy as docker stack deploy sends them', () => {
  const p = plan(THREE);
  assert.deepEqual(p.services.map((s) => s.Name), ['shop_api', 'shop_db', 'shop_web']);
  assert.deepEqual(p.warnings, ['Ignoring unsupported options: build, restart']);
  assert.deepEqual(p.networks.map((n) => [n.name, n.external, n.create?.Attachable]), [['shop_front', false, true], ['back', true, undefined], ['shop_default', false, false]]);
  assert.deepEqual(p.networks[0]!.create!.Labels, { 'com.docker.stack.namespace': 'shop' });
  assert.equal(p.secrets[0]!.name, 'shop_db_password');
  assert.equal(Buffer.from(p.secrets[0]!.spec!.Data, 'base64').toString(), 's3cret\n');
  assert.deepEqual(p.configs[0]!.spec!.Labels, { purpose: 'proxy', 'com.docker.stack.namespace': 'shop' });

  const [api, db, web] = p.services as [typeof p.services[0], typeof p.services[0], typeof p.services[0]];
  assert.deepEqual(web.Labels, { tier: 'front', 'com.docker.stack.namespace': 'shop', 'com.docker.stack.image': 'nginx:1.25' });
  const c = web.TaskTemplate.ContainerSpec!;
  assert.equal(c.Image, 'nginx:1.25');
  assert.deepEqual(c.Args, ['httpd', '-f', '-p', '8080']);
  assert.deepEqual(c.Env, ['FROM_FILE=1', 'HOME=/root', 'MODE=prod']);
  assert.deepEqual(c.Labels, { 'com.docker.stack.namespace': 'shop' });
  assert.deepEqual(c.HealthCheck, { Test: ['CMD-SHELL', 'wget -q -O- localhost:8080'], Interval: 5e9, Timeout: 1.5e9, Retries: 3 });
  assert.deepEqual(web.Mode, { Replicated: { Replicas: 3 } });
  assert.deepEqual(web.EndpointSpec, {
    Ports: [
      { Protocol: 'tcp', TargetPort: 8080, PublishedPort: 80, PublishMode: 'ingress' },
      { Protocol: 'tcp', TargetPort: 443, PublishedPort: 8443, PublishMode: 'host' },
    ],
  });
  assert.deepEqual(web.TaskTemplate.Networks, [{ Target: 'shop_front', Aliases: ['web'] }]);
  assert.deepEqual(web.TaskTemplate.Placement, { Constraints: ['node.role == worker'], Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }] });
  assert.deepEqual(web.TaskTemplate.Resources, { Limits: { NanoCPUs: 5e8, MemoryBytes: 64 * 1024 * 1024 }, Reservations: { MemoryBytes: 16 * 1024 * 1024 } });
  assert.deepEqual(web.UpdateConfig, { Parallelism: 2, Delay: 10e9, Order: 'start-first', FailureAction: 'rollback' });
  assert.deepEqual(web.RollbackConfig, { Parallelism: 1, Monitor: 60e9 });
  assert.deepEqual(web.TaskTemplate.RestartPolicy, { Condition: 'on-failure', MaxAttempts: 3, Delay: 5e8 });

  assert.deepEqual(api.TaskTemplate.ContainerSpec!.Command, ['/bin/sh', '-c']);
  assert.deepEqual(api.TaskTemplate.ContainerSpec!.Args, ['echo $HOME'], '$$ is a literal $');
  assert.deepEqual(api.TaskTemplate.Networks, [{ Target: 'back', Aliases: ['api'] }, { Target: 'shop_front', Aliases: ['backend', 'api'] }]);
  assert.deepEqual(api.TaskTemplate.ContainerSpec!.Secrets, [
    { File: { Name: 'db_password', UID: '0', GID: '0', Mode: 0o444 }, SecretID: '', SecretName: 'shop_db_password' },
    { File: { Name: '/etc/pw', UID: '0', GID: '0', Mode: 0o400 }, SecretID: '', SecretName: 'shop_db_password' },
  ]);
  assert.deepEqual(api.TaskTemplate.ContainerSpec!.Configs, [{ File: { Name: 'nginx', UID: '0', GID: '0', Mode: 0o444 }, ConfigID: '', ConfigName: 'shop_nginx' }]);
  assert.deepEqual(api.Mode, { Global: {} });
  assert.deepEqual(api.EndpointSpec, { Mode: 'dnsrr' });

  assert.deepEqual(db.TaskTemplate.Networks, [{ Target: 'shop_default', Aliases: ['db'] }]);
  assert.deepEqual(db.TaskTemplate.RestartPolicy, { Condition: 'any' }, 'restart: always still sets the policy, as Docker does');
  assert.deepEqual(db.Mode, { Replicated: { Replicas: 1 } });
});

test('interpolation: defaults, required variables, $$ and bare names', () => {
  const args = (value: string) => plan(`services:\n  s:\n    image: busybox\n    command: [${JSON.stringify(value)}]\n`).services[0]!.TaskTemplate.ContainerSpec!.Args![0];
  assert.equal(args('${TAG}'), '1.25');
  assert.equal(args('$TAG-x'), '1.25-x');
  assert.equal(args('${NOPE:-fallback}'), 'fallback');
  assert.equal(args('${NOPE-fallback}'), 'fallback');
  assert.equal(args('${NOPE}'), '');
  assert.equal(args('${TAG:?needed}'), '1.25');
  assert.equal(args('cost: $$5'), 'cost: $5');
  assert.match(failure('services:\n  s:\n    image: busybox\n    command: ["${NOPE?set NOPE to the port}"]\n'), /^compose\.yml:4: services\.s\.command\.0: required variable NOPE is missing a value: set NOPE to the port$/);
  assert.match(failure('services:\n  s:\n    image: "busybox:${TAG"\n'), /^compose\.yml:3: services\.s\.image: invalid interpolation format/);
});

test('errors name the file, the line and the key', () => {
  assert.equal(failure('services:\n  web:\n    image: busybox\n    deploy:\n      replicas: three\n'), 'compose.yml:5: services.web.deploy.replicas: must be an integer, not string "three"');
  assert.equal(
    failure('services:\n  web:\n    image: busybox\n    deploy:\n      replica: 2\n'),
    'compose.yml:5: services.web.deploy.replica: unknown key "replica"; known keys here: mode, replicas, labels, placement, resources, update_config, rollback_config, restart_policy, endpoint_mode',
  );
  assert.match(failure('services:\n  web:\n    image: busybox\n    ports:\n      - "80:99999"\n'), /^compose\.yml:5: services\.web\.ports\.0: invalid port range "99999"/);
  assert.match(failure('services:\n  web:\n    image: busybox\n    networks: [nope]\n'), /^compose\.yml:4: services\.web\.networks\.nope: network "nope" is not declared/);
  assert.match(failure('services:\n  web:\n    image: busybox\n    secrets: [pw]\n'), /^compose\.yml:4: services\.web\.secrets\.0: secret "pw" is not declared/);
  assert.match(failure('services:\n  web:\n    image: busybox\n   bad: indent\n'), /^compose\.yml:4: invalid YAML/);
  assert.match(failure('version: "2.1"\nservices:\n  web:\n    image: busybox\n'), /^compose\.yml:1: version: unsupported compose file version "2\.1"/);
  assert.match(failure('services:\n  web:\n    command: ls\n'), /^compose\.yml:2: services\.web: a service needs "image:"/);
  assert.match(failure('services:\n  web:\n    image: busybox\n    healthcheck:\n      interval: 5 seconds\n'), /^compose\.yml:5: services\.web\.healthcheck\.interval: invalid duration "5 seconds"/);
  assert.match(failure('services:\n  web:\n    image: busybox\nsecrets:\n  pw:\n    file: ./missing.txt\n'), /^compose\.yml:6: secrets\.pw\.file: cannot read \/app\/missing\.txt: ENOENT/);
  assert.match(failure('services:\n  web:\n    image: busybox\n    deploy:\n      mode: global\n      replicas: 2\n'), /^compose\.yml:6: services\.web\.deploy\.replicas: replicas can only be used with mode replicated/);
  assert.match(failure('services:\n  web:\n    image: busybox\n', { stack: 'bad name' }), /invalid stack name "bad name"/);
});

test('several files: later ones override key by key, and errors point at the file that set the key', () => {
  const base = 'services:\n  web:\n    image: busybox\n    environment: [A=1, B=2]\n    ports: ["80:80"]\n    deploy:\n      replicas: 1\n';
  const override = 'services:\n  web:\n    environment:\n      B: 3\n    ports: ["81:81"]\n    deploy:\n      replicas: 4\n';
  const p = plan('', { files: [{ name: 'base.yml', text: base }, { name: 'prod.yml', text: override }] });
  const web = p.services[0]!;
  assert.deepEqual(web.Mode, { Replicated: { Replicas: 4 } });
  assert.deepEqual(web.TaskTemplate.ContainerSpec!.Env, ['A=1', 'B=3']);
  assert.deepEqual(web.EndpointSpec!.Ports!.map((x) => x.PublishedPort), [80, 81]);
  const bad = 'services:\n  web:\n    deploy:\n      placement:\n        constraints: node.role == manager\n';
  assert.match(failure('', { files: [{ name: 'base.yml', text: base }, { name: 'bad.yml', text: bad }] }), /^bad\.yml:5: services\.web\.deploy\.placement\.constraints: must be a list/);
});

test('anchors and merge keys, ports ranges and udp, global jobs', () => {
  const p = plan(`x-common: &common
  image: busybox
  deploy:
    mode: replicated-job
    replicas: 2
services:
  a:
    <<: *common
    ports: ["7000-7001:8000-8001/udp", "9000"]
  b:
    <<: *common
    deploy: { mode: global-job }
`);
  const [a, b] = p.services;
  assert.equal(a!.TaskTemplate.ContainerSpec!.Image, 'busybox');
  assert.deepEqual(a!.Mode, { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 2 } });
  assert.deepEqual(a!.EndpointSpec!.Ports, [
    { Protocol: 'tcp', TargetPort: 9000, PublishedPort: 0, PublishMode: 'ingress' },
    { Protocol: 'udp', TargetPort: 8000, PublishedPort: 7000, PublishMode: 'ingress' },
    { Protocol: 'udp', TargetPort: 8001, PublishedPort: 7001, PublishMode: 'ingress' },
  ]);
  assert.deepEqual(b!.Mode, { GlobalJob: {} });
});
