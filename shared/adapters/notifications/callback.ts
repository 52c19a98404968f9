/**
 * Where notifications may go, and sending one. A subscriber names its callback URL, so the
 * gateway would otherwise POST wherever a caller points it: into the partner's network, at the
 * cloud's metadata endpoint, at itself. So a callback must be HTTPS, carry no credentials, and
 * every address its host resolves to must be public; this is checked when subscribing and again
 * before every delivery (the name may resolve elsewhere later). Redirects are never followed.
 * Loopback is allowed only by a setting the local product uses.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

export interface CallbackPolicy {
  /** Local product only: loopback callbacks (plain http included). */
  allowLoopback: boolean;
}

export type Lookup = (host: string) => Promise<{ address: string; family: number }[]>;

const defaultLookup: Lookup = (host) => dnsLookup(host, { all: true, verbatim: true });

/** Addresses no callback may reach: private, link-local (metadata), shared, reserved. */
const INTERNAL = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv6');
}
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is judged as the IPv4 address it maps. */
function plain(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return { address: mapped[1], family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

/**
 * Whether every address a URL's host resolves to is public (loopback too, when allowed): for any
 * URL the gateway fetches because a sender named it.
 */
export async function reachesPublicAddress(
  url: URL,
  policy: CallbackPolicy,
  lookup: Lookup = defaultLookup,
): Promise<boolean> {
  const addresses = await addressesOf(url, lookup);
  return (
    addresses !== undefined &&
    addresses.length > 0 &&
    addresses.every((address) => {
      const p = plain(address);
      if (LOOPBACK.check(p.address, p.family)) return policy.allowLoopback;
      return !INTERNAL.check(p.address, p.family);
    })
  );
}

/** The addresses a URL's host stands for; undefined when it does not resolve. */
async function addressesOf(url: URL, lookup: Lookup): Promise<string[] | undefined> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  try {
    return isIP(host) ? [host] : (await lookup(host)).map((a) => a.address);
  } catch {
    return undefined;
  }
}

export type CallbackCheck = { ok: true; url: URL } | { ok: false; problem: string };

export async function checkCallbackUrl(
  raw: string,
  policy: CallbackPolicy,
  lookup: Lookup = defaultLookup,
): Promise<CallbackCheck> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, problem: 'must be an absolute URL' };
  }
  if (url.username || url.password) {
    return { ok: false, problem: 'must not carry a user name or password' };
  }
  const addresses = await addressesOf(url, lookup);
  if (!addresses) return { ok: false, problem: `its host ${url.hostname} could not be resolved` };
  if (addresses.length === 0) return { ok: false, problem: 'its host has no address' };
  const loopback = addresses.every((a) => {
    const p = plain(a);
    return LOOPBACK.check(p.address, p.family);
  });
  if (loopback && policy.allowLoopback) {
    return url.protocol === 'https:' || url.protocol === 'http:'
      ? { ok: true, url }
      : { ok: false, problem: 'must be an http(s) URL' };
  }
  if (url.protocol !== 'https:') return { ok: false, problem: 'must be an https URL' };
  for (const address of addresses) {
    const p = plain(address);
    if (LOOPBACK.check(p.address, p.family) || INTERNAL.check(p.address, p.family)) {
      return {
        ok: false,
        problem: `must point at a public address; ${url.hostname} resolves to an internal or loopback one`,
      };
    }
  }
  return { ok: true, url };
}

export type DeliveryResult =
  { ok: true; status: number } | { ok: false; failure: string; retryable: boolean };

/** One notification POSTed (JSON), within the timeout, without following redirects. */
export async function postNotification(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  options: { fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<DeliveryResult> {
  try {
    const response = await (options.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 15000),
    });
    await response.arrayBuffer().catch(() => undefined);
    if (response.ok) return { ok: true, status: response.status };
    // A subscription Power Automate no longer has (the flow was deleted) answers 404 or 410.
    const gone = response.status === 404 || response.status === 410;
    return { ok: false, failure: `HTTP ${response.status}`, retryable: !gone };
  } catch (error) {
    const name = (error as { name?: unknown }).name;
    const timedOut = name === 'TimeoutError' || name === 'AbortError';
    return { ok: false, failure: timedOut ? 'timeout' : 'unreachable', retryable: true };
  }
}
