// The operator's switch for the PROXY protocol: a service label per published TCP port,
// `shoal.proxy-protocol.<published port>=v1|v2` (Docker's PortConfig has no field for it).
import type { ProxyProtocol } from '../../mesh/proxy-protocol/header.js';
import type { PortLabel } from './port-labels.js';

export const PROXY_PROTOCOL_LABEL: PortLabel<ProxyProtocol> = {
  prefix: 'shoal.proxy-protocol.',
  only: { protocol: 'tcp', because: 'the PROXY protocol is TCP only' },
  parse: (value) => (value === 'v1' || value === 'v2' ? value : new Error('the PROXY protocol version is v1 or v2')),
};
