import { invalidArgument } from '../../util/errors.js';
import { newId } from '../../util/ids.js';
import type { ReadTx, WriteTx } from '../store/types.js';
import type { ConfigSpec, SecretSpec, ServiceObject, TableTypes } from '../types.js';
import { checkVersion, rpcError } from './errors.js';
import { checkFilterNames, filterValues, matchesLabels, type Filters } from './filters.js';
import { validateSecretName } from './names.js';
import { byId, resolve } from './resolve.js';

/** Secrets and configs share their rules; only the kind's name, size limit and references differ. */
export type SecretTable = 'secrets' | 'configs';
type SecretLikeSpec = SecretSpec | ConfigSpec;

export const SECRET_FILTERS = ['id', 'label', 'name', 'names'] as const;

const KIND: Record<SecretTable, 'secret' | 'config'> = { secrets: 'secret', configs: 'config' };
/** swarmkit's limits on the decoded data (MaxSecretSize, MaxConfigSize). */
const MAX_SIZE: Record<SecretTable, number> = { secrets: 500 * 1024, configs: 1000 * 1024 };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes base64 data as Go's encoding/json does for []byte, with its error wording. */
export function decodeBase64(data: string): Buffer {
  if (!BASE64.test(data) || data.length % 4 !== 0) {
    const bad = data.search(/[^A-Za-z0-9+/=]/);
    const at = bad >= 0 ? bad : Math.floor(data.length / 4) * 4;
    throw invalidArgument(`illegal base64 data at input byte ${at}`);
  }
  return Buffer.from(data, 'base64');
}

/** Creates a secret or config; its name must be free and its data non-empty and within the limit. */
export function createSecret<T extends SecretTable>(tx: WriteTx, table: T, input: SecretLikeSpec): TableTypes[T] {
  const kind = KIND[table];
  validateSecretName(input.Name ?? '');
  if ('Driver' in input && input.Driver?.Name) {
    throw invalidArgument(`${kind} drivers are not supported: Shoal keeps ${kind} data in the swarm store; remove Driver`);
  }
  const size = decodeBase64(input.Data ?? '').length;
  if (size >= MAX_SIZE[table] || size < 1) {
    throw rpcError('InvalidArgument', `${kind} data must be larger than 0 and less than ${MAX_SIZE[table]} bytes`);
  }
  if (tx.find(table, 'name', input.Name).length > 0) throw rpcError('AlreadyExists', `${kind} ${input.Name} already exists`);
  const spec = { ...input, Labels: input.Labels ?? {} };
  return tx.create(table, { ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: spec } as TableTypes[T]);
}

/** Only labels of a secret or config may change; the name and data are fixed. */
export function updateSecret<T extends SecretTable>(tx: WriteTx, table: T, ref: string, version: number, input: SecretLikeSpec): TableTypes[T] {
  const current = resolve(tx, table, ref);
  if (input.Name !== current.Spec.Name || (input.Data !== undefined && input.Data !== null && input.Data !== current.Spec.Data)) {
    throw rpcError('InvalidArgument', 'only updates to Labels are allowed');
  }
  checkVersion(current, version);
  const next = structuredClone(current);
  next.Spec.Labels = input.Labels ?? {};
  return tx.update(table, next);
}

/** Removes a secret or config that no service references. */
export function removeSecret<T extends SecretTable>(tx: WriteTx, table: T, ref: string): TableTypes[T] {
  const kind = KIND[table];
  const current = resolve(tx, table, ref);
  const users = tx
    .list('services')
    .filter((s) => referencedIds(s, table).includes(current.ID))
    .map((s) => s.Spec.Name);
  if (users.length > 0) {
    throw rpcError('InvalidArgument', `${kind} '${current.Spec.Name}' is in use by the following ${users.length === 1 ? 'service' : 'services'}: ${users.join(', ')}`);
  }
  tx.remove(table, current.ID);
  return current;
}

/** Docker's secret and config filters: `names` exact, `name` and `id` by prefix (any of them), and labels. */
export function listSecrets<T extends SecretTable>(tx: ReadTx, table: T, filters: Filters): TableTypes[T][] {
  checkFilterNames(filters, SECRET_FILTERS);
  const names = filterValues(filters, 'names');
  const namePrefixes = filterValues(filters, 'name');
  const idPrefixes = filterValues(filters, 'id');
  const any = names.length + namePrefixes.length + idPrefixes.length === 0;
  return tx
    .list(table)
    .filter(
      (o) =>
        (any ||
          names.includes(o.Spec.Name) ||
          namePrefixes.some((p) => o.Spec.Name.startsWith(p)) ||
          idPrefixes.some((p) => o.ID.startsWith(p))) &&
        matchesLabels(o.Spec.Labels, filterValues(filters, 'label')),
    )
    .sort(byId);
}

function referencedIds(s: ServiceObject, table: SecretTable): string[] {
  const c = s.Spec.TaskTemplate.ContainerSpec;
  return table === 'secrets' ? (c?.Secrets ?? []).map((r) => r.SecretID) : (c?.Configs ?? []).map((r) => r.ConfigID);
}
