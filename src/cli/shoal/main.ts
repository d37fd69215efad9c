import { parseArgs } from 'node:util';
import { EngineClient } from './engine-client.js';
import { errorMessage } from '../../util/errors.js';
import { SHOAL_VERSION } from '../../version.js';

const DEFAULT_HOST = 'unix:///run/shoal/shoal.sock';

const USAGE = `Usage:  shoal [OPTIONS] COMMAND

The Shoal client: speaks the Docker Engine API to shoald.

Options:
  -H, --host string   daemon socket to connect to (default $SHOAL_HOST or ${DEFAULT_HOST})
  -h, --help          print this help
  -v, --version       print the client version

Commands:
  version   show the client and daemon versions
  info      show the swarm state of the daemon

Every docker swarm command works against shoald with the docker CLI too:
  docker -H ${DEFAULT_HOST} service create --replicas 3 -p 8080:80 --name web busybox httpd -f -p 80
`;

interface VersionAnswer {
  Version: string;
  ApiVersion: string;
  Os: string;
  Arch: string;
  KernelVersion: string;
}

interface InfoAnswer {
  Name: string;
  Swarm: { LocalNodeState: string; NodeID: string; NodeAddr: string; ControlAvailable: boolean; Nodes?: number; Managers?: number };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { host: { type: 'string', short: 'H' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help || positionals.length === 0) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 1;
  }
  if (values.version) {
    process.stdout.write(`shoal ${SHOAL_VERSION}\n`);
    return 0;
  }
  const client = new EngineClient(values.host ?? process.env.SHOAL_HOST ?? DEFAULT_HOST);
  const [command] = positionals;
  switch (command) {
    case 'version': {
      const v = await client.get<VersionAnswer>('/version');
      process.stdout.write(`Client:\n Version:\t${SHOAL_VERSION}\n API version:\t1.41\n\nServer:\n Version:\t${v.Version}\n API version:\t${v.ApiVersion}\n OS/Arch:\t${v.Os}/${v.Arch}\n Kernel:\t${v.KernelVersion}\n`);
      return 0;
    }
    case 'info': {
      const i = await client.get<InfoAnswer>('/info');
      const s = i.Swarm;
      const lines = [`Name: ${i.Name}`, `Swarm: ${s.LocalNodeState}`];
      if (s.LocalNodeState === 'active') {
        lines.push(` NodeID: ${s.NodeID}`, ` Is Manager: ${s.ControlAvailable}`, ` Node Address: ${s.NodeAddr}`);
        if (s.ControlAvailable) lines.push(` Managers: ${s.Managers}`, ` Nodes: ${s.Nodes}`);
      }
      process.stdout.write(lines.join('\n') + '\n');
      return 0;
    }
    default:
      process.stderr.write(`shoal: '${command}' is not a shoal command yet. See 'shoal --help'; the docker CLI does it: docker -H ${client.hostUrl} ${positionals.join(' ')}\n`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${errorMessage(err)}\n`);
    process.exit(1);
  },
);
