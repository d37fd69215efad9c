import { getCluster, updateSwarm } from '../../cluster/controlapi/swarm.js';
import { checkExternalCAs, plannedRootCA, specCAConfig } from '../../cluster/controlapi/ca-config.js';
import type { SwarmSpec } from '../../cluster/types.js';
import { ShoalError } from '../../util/errors.js';
import type { SwarmInitRequest, SwarmJoinRequest } from '../backend.js';
import { managerStore, update, view, type RequestContext } from '../context.js';
import { readJson, sendEmpty, sendJson } from '../http.js';
import { boolParam, versionParam } from '../query.js';
import type { Route } from '../router.js';
import { swarmInitSchema, swarmJoinSchema, swarmSpecSchema, swarmUnlockSchema } from '../schemas.js';
import { shapeSwarm } from '../shape/cluster.js';

const ALREADY_IN_SWARM = 'This node is already part of a swarm. Use "docker swarm leave" to leave this swarm and join another one.';

function refuseIfInSwarm(ctx: RequestContext): void {
  if (ctx.backend.swarm.state().localNodeState !== 'inactive') throw new ShoalError('failed_precondition', ALREADY_IN_SWARM);
}

async function inspect(ctx: RequestContext): Promise<void> {
  sendJson(ctx.res, 200, view(ctx, (tx) => shapeSwarm(getCluster(tx))));
}

async function init(ctx: RequestContext): Promise<void> {
  const req = await readJson<SwarmInitRequest>(ctx.req, swarmInitSchema);
  // --force-new-cluster is the recovery of a manager already in a (broken) swarm.
  if (!req.ForceNewCluster) refuseIfInSwarm(ctx);
  sendJson(ctx.res, 200, await ctx.backend.swarm.init(req));
}

async function join(ctx: RequestContext): Promise<void> {
  refuseIfInSwarm(ctx);
  const req = await readJson<SwarmJoinRequest>(ctx.req, swarmJoinSchema);
  await ctx.backend.swarm.join(req);
  sendEmpty(ctx.res, 200);
}

async function leave(ctx: RequestContext): Promise<void> {
  if (ctx.backend.swarm.state().localNodeState === 'inactive') throw new ShoalError('failed_precondition', 'This node is not part of a swarm');
  await ctx.backend.swarm.leave(boolParam(ctx.query, 'force'));
  sendEmpty(ctx.res, 200);
}

async function updateRoute(ctx: RequestContext): Promise<void> {
  managerStore(ctx.backend);
  const version = versionParam(ctx.query, 'swarm');
  const given = await readJson<Partial<SwarmSpec>>(ctx.req, swarmSpecSchema);
  // A root rotation's new root is made (and cross-signed) before the write; the version check then refuses a race.
  const current = view(ctx, (tx) => getCluster(tx));
  const externalCAs = given.CAConfig?.ExternalCAs !== undefined ? checkExternalCAs(given.CAConfig.ExternalCAs) : current.Spec.CAConfig.ExternalCAs;
  const rootCA = current.RootCA && (await plannedRootCA(current.RootCA, given.CAConfig, externalCAs));
  const spec: Partial<SwarmSpec> = given.CAConfig ? { ...given, CAConfig: specCAConfig(given.CAConfig, externalCAs) as SwarmSpec['CAConfig'] } : given;
  const rotate = {
    workerToken: boolParam(ctx.query, 'rotateWorkerToken'),
    managerToken: boolParam(ctx.query, 'rotateManagerToken'),
    unlockKey: boolParam(ctx.query, 'rotateManagerUnlockKey'),
  };
  await update(ctx, (tx) => updateSwarm(tx, version, spec, rotate, rootCA));
  sendEmpty(ctx.res, 200);
}

async function unlock(ctx: RequestContext): Promise<void> {
  const req = await readJson<{ UnlockKey?: string }>(ctx.req, swarmUnlockSchema);
  await ctx.backend.swarm.unlock(req.UnlockKey ?? '');
  sendEmpty(ctx.res, 200);
}

async function unlockKey(ctx: RequestContext): Promise<void> {
  sendJson(ctx.res, 200, { UnlockKey: view(ctx, (tx) => getCluster(tx).UnlockKey ?? '') });
}

export const swarmRoutes: Route[] = [
  { method: 'GET', pattern: '/swarm', handler: inspect },
  { method: 'POST', pattern: '/swarm/init', handler: init },
  { method: 'POST', pattern: '/swarm/join', handler: join },
  { method: 'POST', pattern: '/swarm/leave', handler: leave },
  { method: 'POST', pattern: '/swarm/update', handler: updateRoute },
  { method: 'GET', pattern: '/swarm/unlockkey', handler: unlockKey },
  { method: 'POST', pattern: '/swarm/unlock', handler: unlock },
];
