// A stand-in daemon for the restart test: starts one task with its own executor, says so, then
// waits to be killed (SIGKILL, as in a crash); the task must outlive it.
import { ImageStore } from '../../../src/runtime/images/index.js';
import { ProcessExecutor } from '../../../src/runtime/process/index.js';
import type { TaskRunSpec } from '../../../src/runtime/types.js';
import { silentLogger } from '../../../src/util/logger.js';
import type { RuntimeLab } from './runtime-lab.js';

const { lab, spec } = JSON.parse(process.env.SHOAL_RUNTIME_CRASHING_DAEMON!) as { lab: RuntimeLab; spec: TaskRunSpec };
const images = new ImageStore({ dataDir: lab.dataDir, logger: silentLogger });
const executor = new ProcessExecutor({ dataDir: lab.dataDir, namePrefix: lab.execPrefix, images, logger: silentLogger });
const started = await executor.start(spec);
process.stdout.write(`started ${started.pid}\n`);
setInterval(() => {}, 1 << 30);
