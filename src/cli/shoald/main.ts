import { parseDaemonArgs, usage } from './options.js';
import { createLogger } from '../../util/logger.js';
import { errorMessage, isShoalError } from '../../util/errors.js';
import { SHOAL_VERSION } from '../../version.js';
import { Daemon } from '../../daemon/daemon.js';

async function main(): Promise<number> {
  let cmd;
  try {
    cmd = parseDaemonArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`shoald: ${errorMessage(err)}\n`);
    return 2;
  }
  if (cmd.kind === 'help') {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  if (cmd.kind === 'version') {
    process.stdout.write(`shoald ${SHOAL_VERSION} (Engine API 1.41)\n`);
    return 0;
  }
  const log = createLogger(cmd.options.logLevel);
  if (cmd.configFile) log.info({ configFile: cmd.configFile }, 'options read from the config file');
  const daemon = new Daemon(cmd.options, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    daemon.stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  try {
    await daemon.start();
  } catch (err) {
    log.fatal({ err }, 'shoald could not start');
    process.stderr.write(`shoald: ${errorMessage(err)}\n`);
    await daemon.stop().catch(() => undefined);
    return isShoalError(err, 'invalid_argument') ? 2 : 1;
  }
  const sock = cmd.options.apiSocket;
  process.stdout.write(
    `shoald ${SHOAL_VERSION} is serving the Docker Engine API (1.41) on unix://${sock}\n` +
      `Try:  docker -H unix://${sock} swarm init && docker -H unix://${sock} service create --name hello --replicas 2 busybox ping 127.0.0.1\n` +
      (daemon.uiAddress ? `Live cluster view: http://${daemon.uiAddress.host}:${daemon.uiAddress.port}/\n` : ''),
  );
  return -1; // keep running until a signal
}

const code = await main();
if (code >= 0) process.exit(code);
