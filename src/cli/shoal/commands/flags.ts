import type { FlagSpec } from '../args.js';

/** Flags many verbs share, spelled as the docker CLI spells them. */
export const formatFlag: FlagSpec = { name: 'format', short: 'f', type: 'string', description: "Format output using a custom template: 'json' or a Go template" };
export const quietFlag: FlagSpec = { name: 'quiet', short: 'q', type: 'bool', description: 'Only display IDs' };
export const filterFlag: FlagSpec = { name: 'filter', short: 'f', type: 'list', valueName: 'filter', description: "Filter output based on conditions provided" };
export const listFormatFlag: FlagSpec = { name: 'format', type: 'string', description: "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or 'TEMPLATE'" };
export const detachFlag: FlagSpec = { name: 'detach', short: 'd', type: 'bool', description: 'Exit immediately instead of waiting for the service to converge' };
export const forceFlag: FlagSpec = { name: 'force', short: 'f', type: 'bool', description: 'Force the action' };
export const labelFlag: FlagSpec = { name: 'label', short: 'l', type: 'list', description: 'Labels (key=value)' };
