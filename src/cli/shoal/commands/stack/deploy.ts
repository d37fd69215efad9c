import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { planStack, type StackPlan } from '../../../../stack/compose.js';
import type { FileObjectPlan } from '../../../../stack/objects.js';
import { invalidArgument, isShoalError } from '../../../../util/errors.js';
import type { Context } from '../../command.js';
import { filtersQuery, type EngineClient } from '../../engine-client.js';
import { naturalCompare } from '../../format/list.js';
import { requireManager, stackObjects, type Doc } from './api.js';

/** A compose file's text; `-` is standard input, as with docker. */
function readComposeFile(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    throw invalidArgument(`cannot read compose file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Reads the compose files and converts them: nothing is sent before the whole plan is valid. */
export function planFromFiles(files: string[], stack: string): StackPlan {
  if (files.length === 0) throw invalidArgument('Please specify a Compose file (with --compose-file or -c).');
  return planStack({
    files: files.map((name) => ({ name: name === '-' ? '<stdin>' : name, text: readComposeFile(name) })),
    stack,
    workingDir: files[0] === '-' ? process.cwd() : dirname(resolve(files[0]!)),
    env: (k) => process.env[k],
    readFile: (p) => readFileSync(p),
  });
}

const byName = (client: EngineClient, kind: string, names: string[]): Promise<Doc[]> => client.get<Doc[]>(`/${kind}`, { filters: filtersQuery({ name: names }) });

/** Creates the stack's secrets or configs, or updates those that exist (only their labels may change). */
async function createFileObjects(ctx: Context, kind: 'secret' | 'config', plans: FileObjectPlan[]): Promise<void> {
  for (const p of plans) {
    if (!p.spec) continue;
    const existing = (await byName(ctx.client, `${kind}s`, [p.name])).find((o) => o.Spec.Name === p.name);
    if (existing) {
      await ctx.client.post(`/${kind}s/${existing.ID}/update`, p.spec, { version: existing.Version.Index }).catch((err: unknown) => {
        throw invalidArgument(`failed to update ${kind} ${p.name}: ${(err as Error).message}`);
      });
    } else {
      ctx.out.write(`Creating ${kind} ${p.name}\n`);
      await ctx.client.post(`/${kind}s/create`, p.spec);
    }
  }
}

async function checkExternalNetworks(client: EngineClient, plan: StackPlan): Promise<void> {
  for (const n of plan.networks.filter((x) => x.external)) {
    const found = await client.get<Doc>(`/networks/${encodeURIComponent(n.name)}`).catch((err: unknown) => {
      if (isShoalError(err, 'not_found')) return undefined;
      throw err;
    });
    if (!found || found.Scope !== 'swarm') {
      throw invalidArgument(`network "${n.name}" is declared as external, but could not be found. You need to create a swarm-scoped network before the stack is deployed`);
    }
  }
}

/** Fills in the IDs of the secrets and configs the services refer to, by name. */
async function resolveReferences(client: EngineClient, plan: StackPlan): Promise<void> {
  const refs = plan.services.flatMap((s) => [
    ...(s.TaskTemplate.ContainerSpec!.Secrets ?? []).map((r) => ({ kind: 'secret', name: r.SecretName, set: (id: string) => void (r.SecretID = id) })),
    ...(s.TaskTemplate.ContainerSpec!.Configs ?? []).map((r) => ({ kind: 'config', name: r.ConfigName, set: (id: string) => void (r.ConfigID = id) })),
  ]);
  for (const kind of ['secret', 'config']) {
    const wanted = refs.filter((r) => r.kind === kind);
    if (wanted.length === 0) continue;
    const found = await byName(client, `${kind}s`, [...new Set(wanted.map((r) => r.name))]);
    for (const r of wanted) {
      const id = found.find((o) => o.Spec.Name === r.name)?.ID;
      if (!id) throw invalidArgument(`${kind} not found: ${r.name}`);
      r.set(id);
    }
  }
}

/** `stack deploy`: the same calls, in the same order, as `docker stack deploy`. */
export async function deployStack(ctx: Context, files: string[], stack: string, prune: boolean): Promise<void> {
  const { client, out } = ctx;
  const plan = planFromFiles(files, stack);
  await requireManager(client);
  for (const w of plan.warnings) ctx.err.write(`${w}\n\n`);
  if (prune) {
    const wanted = new Set(plan.services.map((s) => s.Name));
    const stale = (await stackObjects(client, stack, 'services')).filter((x) => !wanted.has(x.Spec.Name));
    for (const s of stale.sort((a, b) => naturalCompare(a.Spec.Name, b.Spec.Name))) {
      out.write(`Removing service ${s.Spec.Name}\n`);
      await client.delete(`/services/${s.ID}`);
    }
  }
  await checkExternalNetworks(client, plan);
  const existingNetworks = new Set((await stackObjects(client, stack, 'networks')).map((n) => n.Name as string));
  for (const n of plan.networks) {
    if (!n.create || existingNetworks.has(n.name)) continue;
    out.write(`Creating network ${n.name}\n`);
    await client.post('/networks/create', n.create);
  }
  await createFileObjects(ctx, 'secret', plan.secrets);
  await createFileObjects(ctx, 'config', plan.configs);
  await resolveReferences(client, plan);
  const existing = new Map((await stackObjects(client, stack, 'services')).map((s) => [s.Spec.Name as string, s]));
  for (const spec of plan.services) {
    const current = existing.get(spec.Name);
    if (current) {
      out.write(`Updating service ${spec.Name} (id: ${current.ID})\n`);
      // No --force in stack deploy: keep ForceUpdate so unchanged tasks are not redeployed.
      spec.TaskTemplate.ForceUpdate = current.Spec.TaskTemplate?.ForceUpdate ?? 0;
      await client.post(`/services/${current.ID}/update`, spec, { version: current.Version.Index });
    } else {
      out.write(`Creating service ${spec.Name}\n`);
      await client.post('/services/create', spec);
    }
  }
}
