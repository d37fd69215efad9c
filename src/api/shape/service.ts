import { withServiceDefaults } from '../../cluster/controlapi/service-defaults.js';
import type { ServiceStatus } from '../../cluster/controlapi/service-status.js';
import type { ServiceObject } from '../../cluster/types.js';
import { hideServicePullOptions } from './pull-options.js';

/**
 * A service as the Engine API shows it: the store's object less `SpecVersion` and registry
 * credentials (internal), with swarmkit's defaults filled in when `insertDefaults` is asked for,
 * and `ServiceStatus` for `status=true`.
 */
export function shapeService(service: ServiceObject, opts: { insertDefaults: boolean; status?: ServiceStatus }): object {
  const { SpecVersion: _specVersion, PreviousSpec, ...rest } = service;
  const spec = hideServicePullOptions(service.Spec);
  return {
    ...rest,
    Spec: opts.insertDefaults ? withServiceDefaults(spec) : spec,
    ...(PreviousSpec && { PreviousSpec: hideServicePullOptions(PreviousSpec) }),
    Endpoint: service.Endpoint ?? { Spec: {} },
    ...(opts.status ? { ServiceStatus: opts.status } : {}),
  };
}
