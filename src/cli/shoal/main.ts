import { homedir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { parseArgs, type FlagSpec } from './args.js';
import { EngineClient } from './engine-client.js';
import { dispatch, entriesHelp } from './command.js';
import { COMMANDS } from './commands/index.js';
import { errorMessage } from '../../util/errors.js';
import { SHOAL_VERSION } from '../../version.js';

const DEFAULT_HOST = 'unix:///run/shoal/shoal.sock';
const certDir = process.env.SHOAL_CERT_PATH ?? join(homedir(), '.shoal');

const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'host', short: 'H', type: 'string', description: `Daemon socket to connect to (default $SHOAL_HOST or ${DEFAULT_HOST})` },
  { name: 'tls', type: 'bool', description: 'Use TLS; implied by --tlsverify' },
  { name: 'tlsverify', type: 'bool', description: 'Use TLS and verify the remote (default $SHOAL_TLS_VERIFY)' },
  { name: 'tlscacert', type: 'string', description: `Trust certs signed only by this CA (default "${join(certDir, 'ca.pem')}")` },
  { name: 'tlscert', type: 'string', description: `Path to TLS certificate file (default "${join(certDir, 'cert.pem')}")` },
  { name: 'tlskey', type: 'string', description: `Path to TLS key file (default "${join(certDir, 'key.pem')}")` },
  { name: 'help', short: 'h', type: 'bool', description: 'Print usage' },
  { name: 'version', short: 'v', type: 'bool', description: 'Print version information and quit' },
];

const usage = (): string => `Usage:  shoal [OPTIONS] COMMAND

The Shoal client: the docker CLI's swarm verbs (and a few more), over the Engine API to shoald.

Options:
${GLOBAL_FLAGS.map((f) => `  ${(f.short ? `-${f.short}, ` : '    ') + `--${f.name}${f.type === 'string' ? ' string' : ''}`.padEnd(19)} ${f.description}`).join('\n')}

Commands:
${entriesHelp(COMMANDS).join('\n')}

Run 'shoal COMMAND --help' for more information on a command.
`;

/** TLS settings from the flags and environment, docker's way: a given file must exist, a default one may be missing. */
function tlsOptions(flags: Record<string, unknown>) {
  const verify = flags.tlsverify === true || (flags.tlsverify === undefined && !!process.env.SHOAL_TLS_VERIFY);
  if (!verify && flags.tls !== true) return undefined;
  const file = (flag: string, name: string) => (flags[flag] as string | undefined) ?? (existsSync(join(certDir, name)) ? join(certDir, name) : undefined);
  return { verify, ca: verify ? file('tlscacert', 'ca.pem') : undefined, cert: file('tlscert', 'cert.pem'), key: file('tlskey', 'key.pem') };
}

async function main(argv: string[]): Promise<number> {
  // Global flags come before the command; the command's own flags are parsed by the command.
  const firstCommand = argv.findIndex((a, i) => !a.startsWith('-') && !['-H', '--host', '--tlscacert', '--tlscert', '--tlskey'].includes(argv[i - 1] ?? ''));
  const global = parseArgs(firstCommand < 0 ? argv : argv.slice(0, firstCommand), GLOBAL_FLAGS);
  const rest = firstCommand < 0 ? [] : argv.slice(firstCommand);
  if (global.flags.version) {
    process.stdout.write(`Shoal version ${SHOAL_VERSION}\n`);
    return 0;
  }
  if (global.flags.help || rest.length === 0) {
    process.stdout.write(usage());
    return global.flags.help ? 0 : 1;
  }
  const host = (global.flags.host as string | undefined) ?? process.env.SHOAL_HOST ?? DEFAULT_HOST;
  const client = new EngineClient(host, tlsOptions(global.flags));
  try {
    return await dispatch(COMMANDS, rest, { client, out: process.stdout, err: process.stderr });
  } finally {
    client.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`${errorMessage(err)}\n`);
    process.exitCode = 1;
  },
);
