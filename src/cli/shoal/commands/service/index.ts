import type { CommandGroup } from '../../command.js';
import { inspectCommand } from './inspect.js';
import { logsCommand } from './logs.js';
import { lsCommand } from './ls.js';
import { psCommand } from './ps.js';
import { rmCommand } from './rm.js';

export const serviceGroup: CommandGroup = {
  name: 'service',
  summary: 'Manage Swarm services',
  commands: [inspectCommand, logsCommand, lsCommand, psCommand, rmCommand],
};
