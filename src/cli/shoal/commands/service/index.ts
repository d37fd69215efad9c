import type { CommandGroup } from '../../command.js';
import { createCommand } from './create.js';
import { inspectCommand } from './inspect.js';
import { logsCommand } from './logs.js';
import { lsCommand } from './ls.js';
import { psCommand } from './ps.js';
import { rmCommand } from './rm.js';
import { rollbackCommand } from './rollback.js';
import { scaleCommand } from './scale.js';
import { updateCommand } from './update.js';
import { whyCommand } from './why.js';

export const serviceGroup: CommandGroup = {
  name: 'service',
  summary: 'Manage Swarm services',
  commands: [createCommand, inspectCommand, logsCommand, lsCommand, psCommand, rmCommand, rollbackCommand, scaleCommand, updateCommand, whyCommand],
};
