import { randomInt } from 'node:crypto';
import { rpcError } from './errors.js';

// swarmkit's rules: services, networks and nodes are DNS name components; secrets and configs
// may also hold dots.
const DNS_NAME = /^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$/;
const SECRET_NAME = /^[a-zA-Z0-9]+(?:[a-zA-Z0-9-_.]*[a-zA-Z0-9])?$/;

/** Names of services and networks (Docker: swarmkit validateAnnotations). */
export function validateDnsName(name: string): void {
  if (name === '') throw rpcError('InvalidArgument', 'meta: name must be provided');
  if (!DNS_NAME.test(name)) throw rpcError('InvalidArgument', 'name must be valid as a DNS name component');
  if (name.length > 63) throw rpcError('InvalidArgument', 'name must be 63 characters or fewer');
}

/** Names of secrets and configs (Docker: swarmkit validateConfigOrSecretAnnotations). */
export function validateSecretName(name: string): void {
  if (name === '') throw rpcError('InvalidArgument', 'name must be provided');
  if (name.length > 64 || !SECRET_NAME.test(name)) {
    throw rpcError('InvalidArgument', 'invalid name, only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]');
  }
}

const ADJECTIVES = ['brave', 'calm', 'eager', 'gentle', 'happy', 'keen', 'lucid', 'nimble', 'quiet', 'steady', 'swift', 'tidy', 'vivid', 'wise', 'zealous'];
const SURNAMES = ['hopper', 'lovelace', 'turing', 'knuth', 'ritchie', 'thompson', 'liskov', 'hamilton', 'dijkstra', 'lamport', 'perlman', 'cerf', 'kahn', 'torvalds', 'wirth'];

/** The name a service gets when created without one, as Docker does (`adjective_surname`). */
export function randomServiceName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${SURNAMES[randomInt(SURNAMES.length)]}`;
}
