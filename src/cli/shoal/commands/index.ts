import type { Entry } from '../command.js';
import { configGroup, secretGroup } from './secret-config.js';
import { infoCommand, versionCommand } from './system.js';
import { networkGroup } from './network.js';
import { nodeGroup } from './node.js';
import { serviceGroup } from './service/index.js';
import { stackGroup } from './stack/index.js';
import { swarmGroup } from './swarm.js';
import { eventsCommand } from './events.js';
import { traceCommand } from './trace.js';

/**
 * Every top-level command of `shoal`, in the order `shoal --help` lists them.
 * A new verb group is one line here (and its file under commands/).
 */
export const COMMANDS: Entry[] = [
  swarmGroup,
  nodeGroup,
  serviceGroup,
  stackGroup,
  networkGroup,
  secretGroup,
  configGroup,
  eventsCommand,
  traceCommand,
  infoCommand,
  versionCommand,
];
