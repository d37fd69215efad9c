import { ShoalError, invalidArgument } from '../../util/errors.js';
import { createRootCA } from '../ca/certificates.js';
import { samePems } from '../ca/chain.js';
import { crossSignRoot } from '../ca/cross-sign.js';
import { checkGivenRoot } from '../ca/given-root.js';
import { requireReachableExternalCA } from '../ca/external-ca.js';
import { externalCAsFor } from '../ca/signer.js';
import { asClusterRootCA } from '../ca/root-ca.js';
import type { ClusterRootCA, ExternalCA, SwarmSpec } from '../types.js';

type CAConfig = Partial<SwarmSpec['CAConfig']>;

/** `ExternalCAs` as given (cfssl over https), normalised; undefined when not given. */
export function checkExternalCAs(given: unknown): ExternalCA[] | undefined {
  if (given === undefined || given === null) return undefined;
  if (!Array.isArray(given)) throw invalidArgument('CAConfig.ExternalCAs must be a list');
  return given.map((raw: Partial<ExternalCA>, i): ExternalCA => {
    const protocol = String(raw?.Protocol ?? '').toLowerCase();
    if (protocol !== 'cfssl') throw invalidArgument(`external CA ${i + 1}: protocol "${raw?.Protocol ?? ''}" is not supported: use protocol=cfssl`);
    let url: URL;
    try {
      url = new URL(String(raw.URL ?? ''));
    } catch {
      throw invalidArgument(`external CA ${i + 1}: "${raw.URL ?? ''}" is not a URL: give url=https://<host>:<port>`);
    }
    if (url.protocol !== 'https:') throw invalidArgument(`external CA ${url.href}: the URL must be https (the managers check its certificate against the swarm's root)`);
    const caCert = raw.CACert?.trim() ? checkGivenRoot(raw.CACert).certPem : '';
    return { Protocol: 'cfssl', URL: url.href, Options: raw.Options ?? {}, CACert: caCert };
  });
}

/** A root CA that an operator gives: with its key, or without when an external CA signs with it. */
function givenRoot(certPem: string, keyPem: string | undefined, externalCAs: ExternalCA[] | undefined, currentRootPem?: string): { certPem: string; keyPem?: string } {
  const root = checkGivenRoot(certPem, keyPem);
  if (!root.keyPem && externalCAsFor(root.certPem, currentRootPem ?? root.certPem, externalCAs).length === 0) {
    throw invalidArgument('a root CA certificate without its key needs an external CA that signs with it: give the key (--ca-key) or --external-ca protocol=cfssl,url=<url>');
  }
  return root;
}

const nonEmpty = (s: string | undefined): string | undefined => (s?.trim() ? s : undefined);

/**
 * The root CA of a new swarm: one given in the spec (`SigningCACert`/`SigningCAKey`, or an
 * external CA's `cacert=` whose key the swarm never holds), else a new one.
 */
export async function initialRootCA(config: CAConfig | undefined): Promise<ClusterRootCA> {
  const externalCAs = checkExternalCAs(config?.ExternalCAs);
  if (config?.SigningCAKey && !nonEmpty(config.SigningCACert)) throw invalidArgument('if a signing CA key is provided, the signing CA cert must also be provided');
  const certPem = nonEmpty(config?.SigningCACert) ?? externalCAs?.find((ca) => ca.CACert)?.CACert;
  if (externalCAs?.length && !certPem) {
    throw invalidArgument('an external CA given at init needs the root certificate it signs with: --external-ca protocol=cfssl,url=<url>,cacert=<root.pem>');
  }
  if (!certPem) {
    return asClusterRootCA(await createRootCA());
  }
  const root = givenRoot(certPem, nonEmpty(config?.SigningCAKey), externalCAs);
  return { CACert: root.certPem, ...(root.keyPem ? { CAKey: root.keyPem } : {}), LastForcedRotation: 0 };
}

/**
 * What a swarm update asks of the root CA, as swarmkit reads it: a `ForceRotate` change or a
 * `SigningCACert` other than the wanted root starts a rotation to a new root (generated, or the
 * given one), cross-signed by the current root; the current root given again cancels one under
 * way. Undefined: keep the root CA as it is. A root whose key the swarm does not hold (the current
 * one, or the new one) needs an external CA for it that answers a TLS handshake with its certificate.
 */
export async function plannedRootCA(current: ClusterRootCA, config: CAConfig | undefined, externalCAs: ExternalCA[] | undefined): Promise<ClusterRootCA | undefined> {
  const wantCert = nonEmpty(config?.SigningCACert);
  const wantKey = nonEmpty(config?.SigningCAKey);
  if (wantKey && !wantCert) throw invalidArgument('if a signing CA key is provided, the signing CA cert must also be provided');
  // As swarmkit: a swarm whose root key only external CAs hold keeps one that answers.
  if (!current.CAKey) await requireReachableExternalCA(externalCAsFor(current.CACert, current.CACert, externalCAs), current.CACert, 'current');
  const lastForced = current.LastForcedRotation ?? 0;
  const force = config?.ForceRotate ?? lastForced;
  if (force === lastForced) {
    if (!wantCert || samePems(wantCert, current.RootRotation?.CACert ?? current.CACert)) return undefined;
    if (current.RootRotation && samePems(wantCert, current.CACert)) return { CACert: current.CACert, CAKey: current.CAKey, LastForcedRotation: lastForced };
  }
  const next = wantCert ? givenRoot(wantCert, wantKey, externalCAs, current.CACert) : await createRootCA().then((r) => ({ certPem: r.certPem, keyPem: r.keyPem }));
  if (!current.CAKey) {
    throw new ShoalError('failed_precondition', 'the swarm\'s current root CA key is held only by an external CA, so Shoal cannot cross-sign a new root with it: rotating away from an external root is not supported');
  }
  if (!next.keyPem) await requireReachableExternalCA(externalCAsFor(next.certPem, current.CACert, externalCAs), next.certPem, 'desired');
  const crossSigned = await crossSignRoot({ certPem: current.CACert, keyPem: current.CAKey }, next.certPem);
  return {
    CACert: current.CACert,
    CAKey: current.CAKey,
    RootRotation: { CACert: next.certPem, ...(next.keyPem ? { CAKey: next.keyPem } : {}), CrossSignedCACert: crossSigned },
    LastForcedRotation: force,
  };
}

/** The CA config to keep in the spec: external CAs as checked, the signing key left out (it goes to the root CA). */
export function specCAConfig(given: CAConfig, externalCAs: ExternalCA[] | undefined): CAConfig {
  const { SigningCAKey: _key, ...rest } = given;
  return { ...rest, ...(externalCAs ? { ExternalCAs: externalCAs } : {}) };
}
