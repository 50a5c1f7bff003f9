import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { isForbiddenAddress } from '../auth/oauth/client-metadata.service';

/** Where webhooks may be sent (WEBHOOKS_ALLOW_PRIVATE_NETWORKS, WEBHOOKS_ALLOW_HTTP_LOOPBACK). */
export interface TargetPolicy {
  allowPrivateNetworks: boolean;
  allowHttpLoopback: boolean;
}

export const MAX_URL_LENGTH = 2000;
/** How long the check of a new subscription waits for DNS. */
const RESOLVE_TIMEOUT_MS = 3000;

export type Lookup = (
  hostname: string,
  options: { all: true },
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

const defaultLookup: Lookup = (hostname, options, callback) => dnsLookup(hostname, options, callback);

function bare(hostname: string): string {
  return hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

export function isLoopbackAddress(address: string): boolean {
  const a = address.toLowerCase();
  return a === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(a);
}

function isLoopbackHost(hostname: string): boolean {
  const host = bare(hostname);
  return host === 'localhost' || host.endsWith('.localhost') || (isIP(host) !== 0 && isLoopbackAddress(host));
}

/** Whether a delivery may connect to this address under the policy. */
export function addressAllowed(address: string, policy: TargetPolicy): boolean {
  if (isIP(address) === 0) {
    return false;
  }
  if (policy.allowPrivateNetworks || !isForbiddenAddress(address)) {
    return true;
  }
  return policy.allowHttpLoopback && isLoopbackAddress(address);
}

function forbidden(address: string): string {
  return (
    `url points to a private, loopback, link-local or reserved address (${address}); such targets are refused ` +
    'unless WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true.'
  );
}

/**
 * What is wrong with a subscription URL, checked without the network: https (http only for a
 * loopback host with WEBHOOKS_ALLOW_HTTP_LOOPBACK), no credentials or fragment, bounded length,
 * and, for an IP literal, an allowed address. Host names are checked by `resolveProblem`, and
 * again at every delivery (the connection's own lookup), so that DNS rebinding gains nothing.
 */
export function urlProblem(value: unknown, policy: TargetPolicy): string | undefined {
  if (typeof value !== 'string' || !value.trim()) {
    return 'url must be an https URL.';
  }
  if (value.length > MAX_URL_LENGTH) {
    return `url is longer than ${MAX_URL_LENGTH} characters.`;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'url is not a valid absolute URL.';
  }
  if (url.protocol === 'http:') {
    if (!policy.allowHttpLoopback || !isLoopbackHost(url.hostname)) {
      return 'url must use https (http is accepted only for loopback hosts, with WEBHOOKS_ALLOW_HTTP_LOOPBACK=true).';
    }
  } else if (url.protocol !== 'https:') {
    return `url must use https, not ${url.protocol.replace(/:$/, '')}.`;
  }
  if (url.username || url.password) {
    return 'url must not carry credentials (user:password@); authenticate the receiver with the signature.';
  }
  if (url.hash || value.includes('#')) {
    return 'url must not have a fragment (#...).';
  }
  const host = bare(url.hostname);
  if (!host) {
    return 'url has no host.';
  }
  if (isIP(host) !== 0 && !addressAllowed(host, policy)) {
    return forbidden(host);
  }
  if (
    (host === 'localhost' || host.endsWith('.localhost')) &&
    !policy.allowPrivateNetworks &&
    !policy.allowHttpLoopback
  ) {
    return forbidden(host);
  }
  return undefined;
}

/**
 * Resolves the URL's host and refuses it when any address is not allowed (a name that does not
 * resolve now is accepted: DNS may be down; each delivery checks again).
 */
export async function resolveProblem(
  value: string,
  policy: TargetPolicy,
  lookup: Lookup = defaultLookup,
): Promise<string | undefined> {
  const host = bare(new URL(value).hostname);
  if (isIP(host) !== 0) {
    return undefined;
  }
  const addresses = await new Promise<LookupAddress[]>((resolve) => {
    const timer = setTimeout(() => resolve([]), RESOLVE_TIMEOUT_MS);
    lookup(host, { all: true }, (error, found) => {
      clearTimeout(timer);
      resolve(error ? [] : found);
    });
  });
  const bad = addresses.find((a) => !addressAllowed(a.address, policy));
  return bad ? forbidden(bad.address) : undefined;
}

/** Raised by the guarded lookup: the host resolves to an address the policy refuses. */
export const FORBIDDEN_ADDRESS = 'EWEBHOOKFORBIDDEN';

/**
 * The `lookup` a delivery's connection uses: the system resolver, then the policy on every
 * address returned, so that the check applies to the address actually connected to.
 */
export function guardedLookup(policy: TargetPolicy, lookup: Lookup = defaultLookup) {
  return (
    hostname: string,
    options: object,
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    lookup(hostname, { all: true }, (error, addresses) => {
      if (error) {
        callback(error, []);
        return;
      }
      const bad = addresses.find((a) => !addressAllowed(a.address, policy));
      if (bad || !addresses.length) {
        callback(
          Object.assign(new Error(`${hostname} resolves to a refused address ${bad?.address ?? '(none)'}`), {
            code: FORBIDDEN_ADDRESS,
          }),
          [],
        );
        return;
      }
      if ((options as { all?: boolean }).all) {
        callback(null, addresses);
      } else {
        callback(null, addresses[0].address, addresses[0].family);
      }
    });
  };
}
